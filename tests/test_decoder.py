"""The perceptual decoder: shape and range, seeds, the three constraints, and exact idempotence
after the correction (the saved 8-bit PNG re-encodes to the received file byte for byte)."""
import json

import numpy as np
import pytest
import torch

from idemlab.codec.pipeline import SMALL_HYPERPRIOR, codec_for, decode, encode, latents, symbols
from idemlab.data import held_out_patches, held_out_photos
from idemlab.decoder import (CONSTRAINTS, CorrectionSettings, PerceptualSettings, correct_to_files, idempotence_guidance,
                             make_idempotent, ste_round)
from idemlab.codec.geometry import as_encoder_input, copies
from idemlab.decoder.constraints import band_clamp, even_pull, residual_norm
from idemlab.codec.received import SAFETY, judge, receive
from idemlab.decoder.correction import Correction, as_saved, descend, polish, BestIterates, CellTarget
from idemlab.decoder.perceptual import anchored, gaussian_blur, perceptual_decode
from idemlab.decoder.settings import STEP_RULES
from idemlab.errors import IdemlabError, InexactWarning
from idemlab.images import to_uint8
from idemlab.metrics import psnr
from idemlab.prior.sampling import inference_scheduler, pull_weights, reverse_diffusion


@pytest.fixture(scope="module")
def tiles() -> np.ndarray:
    return held_out_patches()[::19][:6]


def test_ste_round_rounds_forward_and_passes_gradients_back():
    y = torch.tensor([0.2, 1.7, -2.6], requires_grad=True)
    out = ste_round(y)
    out.sum().backward()
    assert out.tolist() == [0.0, 2.0, -3.0] and y.grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("kind", CONSTRAINTS)
def test_each_constraint_is_zero_at_its_target_and_positive_elsewhere(kind, tiles):
    model = codec_for(SMALL_HYPERPRIOR, 3)
    y_hat = torch.round(latents(model, torch.tensor(tiles[:2]).permute(0, 3, 1, 2).float() / 255)[0]).detach()
    guidance = idempotence_guidance(kind, model, y_hat, 32, 32)
    target = model.g_s(y_hat).detach() * 2 - 1 if kind != "latent" else None
    noise = torch.rand(2, 3, 32, 32) * 2 - 1
    assert (guidance(noise, 0) > 1).all()
    if target is not None:
        assert guidance(target, 0).max() < (1e-3 if kind == "mse" else guidance(noise, 0).min())


@pytest.mark.parametrize("band", [1.0, 1.25])
def test_the_band_clamp_clips_and_passes_the_gradient_only_within_the_band(band):
    x = torch.tensor([-1000.0, -1.2, -0.5, 1.0, 1.1, 1.3], requires_grad=True)
    out = band_clamp(x, band)
    out.sum().backward()
    assert out.tolist() == x.detach().clamp(-1, 1).tolist()
    assert x.grad.tolist() == [float(abs(v) < band) for v in x.tolist()]
    plain = x.detach().clone().requires_grad_()
    plain.clamp(-1, 1).sum().backward()
    assert band > 1 or x.grad.tolist() == plain.grad.tolist()  # band 1 is torch's clamp


def test_even_pull_leaves_the_image_and_gives_every_pixel_the_pull_of_one_encoder_input_pixel():
    height, width, multiple = 5, 6, 4  # the encoder pads 3 rows and 2 columns
    assert copies(height, width, multiple)[-1].tolist() == [4, 4, 4, 4, 4, 12]
    x = torch.rand(1, 3, 8, 8, requires_grad=True)  # the sampler's canvas: the image and its free margin
    padded = as_encoder_input(even_pull(x, height, width, multiple), height, width, multiple)
    plain = as_encoder_input(x, height, width, multiple)
    assert torch.equal(padded, plain)
    (padded.sum() + plain.sum()).backward()  # each: 1 per encoder-input pixel a pixel fills
    pull = torch.zeros(8, 8)
    pull[:height, :width] = 1 + copies(height, width, multiple)
    torch.testing.assert_close(x.grad[0, 0], pull)


def test_a_vanished_residual_has_gradient_zero_not_nan():
    residual = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1e-30, 0.0]], requires_grad=True)  # the last one's square underflows
    norms = residual_norm(residual)
    norms.sum().backward()
    assert norms.tolist() == [0.0, 5.0, 0.0]
    torch.testing.assert_close(residual.grad, torch.tensor([[0.0, 0.0], [0.6, 0.8], [0.0, 0.0]]))


def test_a_guidance_step_that_overflows_is_taken_unguided_for_that_image_only(tiny_prior):
    x_T = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    pull = lambda x0, step: x0.flatten(1).sum(1) * torch.tensor([float("nan"), 1.0])  # image 0 overflows
    guided = reverse_diffusion(tiny_prior, x_T, 3, "ddim", pull, zeta=0.1)
    unguided = reverse_diffusion(tiny_prior, x_T, 3, "ddim")
    assert torch.isfinite(guided).all()
    assert torch.equal(guided[0], unguided[0]) and not torch.equal(guided[1], unguided[1])


def test_guidance_that_skips_the_prior_moves_x_t_by_the_x0_gradient_over_root_alpha_bar(tiny_prior):
    """One DDIM step from t = 999 with the loss Σ c·x̂₀: through_prior=False moves x_t by exactly
    ζ·c/√ᾱ_999 (ε held fixed) and runs no backward pass through the network; through the prior
    the move differs (the network's Jacobian)."""
    x_T = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    c = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    pull = lambda x0, step: (x0 * c).flatten(1).sum(1)
    alpha_bar = inference_scheduler(tiny_prior, "ddim", 1).alphas_cumprod[999]
    unguided = reverse_diffusion(tiny_prior, x_T, 1, "ddim")
    backward_passes = []
    hook = tiny_prior.unet.conv_in.register_full_backward_hook(lambda *args: backward_passes.append(1))
    try:
        shortcut = reverse_diffusion(tiny_prior, x_T, 1, "ddim", pull, zeta=0.01, through_prior=False)
        assert not backward_passes
        through = reverse_diffusion(tiny_prior, x_T, 1, "ddim", pull, zeta=0.01)
        assert backward_passes
    finally:
        hook.remove()
    inside = unguided.abs() < 0.9  # away from the final clamp to [-1, 1]
    torch.testing.assert_close(((unguided - shortcut) / 0.01)[inside], (c / alpha_bar.sqrt())[inside], rtol=1e-3, atol=1e-3)
    assert not torch.allclose(through, shortcut, atol=1e-3)


def test_a_few_step_decode_that_skips_the_prior_re_encodes_byte_for_byte(tiny_prior, tiles):
    files = [encode(tile, 1) for tile in tiles[:2]]
    settings = PerceptualSettings(sampler="dpm++", steps=3, through_prior=False)
    out = perceptual_decode(files, 0, settings, tiny_prior)
    assert out.correction.exact.all() and all(encode(image, 1) == data for image, data in zip(out.images, files))
    with pytest.raises(IdemlabError, match="through_prior must be true or false"):
        PerceptualSettings(through_prior="no")


def test_a_decode_with_the_prior_in_bfloat16_moves_its_floats_and_re_encodes_byte_for_byte(tiny_prior, tiles):
    files = [encode(tile, 1) for tile in tiles[:2]]
    settings = PerceptualSettings(sampler="dpm++", steps=3, precision="bfloat16")
    out = perceptual_decode(files, 0, settings, tiny_prior)
    in_float32 = perceptual_decode(files, 0, PerceptualSettings(sampler="dpm++", steps=3), tiny_prior)
    assert out.raw.dtype == torch.float32 and not torch.equal(out.raw, in_float32.raw)
    assert out.correction.exact.all() and all(encode(image, 1) == data for image, data in zip(out.images, files))
    with pytest.raises(IdemlabError, match="precision must be one of"):
        PerceptualSettings(precision="float16")


@pytest.mark.parametrize("steps", [1, 7, 100, 1000])
def test_quadratic_steps_are_distinct_denser_at_the_end_and_pull_as_much_in_total_as_even_ones(steps, tiny_prior):
    scheduler = inference_scheduler(tiny_prior, "ddpm", steps, "quadratic")
    t = scheduler.timesteps.tolist()
    assert len(set(t)) == steps and t == sorted(t, reverse=True) and t[0] == 999
    weights = pull_weights(scheduler, "quadratic")
    assert sum(weights) == pytest.approx(steps)
    if 1 < steps < 1000:  # 1000 quadratic steps are every timestep, as even as 1000 even ones
        assert weights[0] > 1 > weights[-1]
    assert pull_weights(inference_scheduler(tiny_prior, "ddpm", steps), "uniform") == [1.0] * steps


@pytest.mark.parametrize("start", [0.3, 0.5])
def test_a_later_start_spaces_its_steps_quadratically_below_it(start, tiny_prior):
    t = inference_scheduler(tiny_prior, "ddpm", 100, "quadratic", start).timesteps.tolist()
    assert t[0] == round(start * 1000) - 1 and t[-1] == 0 and len(set(t)) == 100 and t == sorted(t, reverse=True)
    for kind, spacing, wrong in (("ddpm", "quadratic", 0.0), ("ddpm", "quadratic", 1.5), ("ddpm", "uniform", 0.5)):
        with pytest.raises(ValueError, match="start must lie in"):
            inference_scheduler(tiny_prior, kind, 10, spacing, wrong)
    for wrong in ({"start": 0}, {"start": 2.0}, {"start": 0.5, "sampler": "ddim"}):
        with pytest.raises(IdemlabError, match="start must lie in"):
            PerceptualSettings(**wrong)


def test_a_later_start_begins_at_the_noised_mse_reconstruction_and_stays_exact(tiny_prior, tiles, monkeypatch):
    import idemlab.decoder.perceptual as perceptual

    files = [encode(tile, 1) for tile in tiles[:2]]
    began = []
    real = perceptual.reverse_diffusion
    monkeypatch.setattr(perceptual, "reverse_diffusion",
                        lambda *args, **kwargs: began.append(args[-1]) or real(*args, **kwargs))
    out = perceptual_decode(files, 0, PerceptualSettings(steps=4, start=0.3), tiny_prior)
    mse = np.stack([decode(f) for f in files])
    init = to_uint8((began[0][..., :32, :32] + 1) / 2)
    assert np.abs(init.astype(int) - mse).max() <= 1  # the MSE reconstruction, in the prior's range
    assert out.correction.exact.all()  # and the correction makes the saved images re-encode to the files
    assert perceptual_decode(files, 0, PerceptualSettings(steps=4, start=1.0, correct=False), tiny_prior).raw.shape == out.raw.shape
    assert began[-1] is None  # from pure noise, as the paper begins


def test_a_few_step_dpm_solver_decode_starts_late_and_re_encodes_byte_for_byte(tiny_prior, tiles):
    settings = PerceptualSettings(sampler="dpm++", steps=5)
    assert settings.spacing == "quadratic" and settings.start == 0.5
    assert inference_scheduler(tiny_prior, "dpm++", 5, "quadratic", 0.5).timesteps.tolist()[0] == 499
    for tile, quality in zip(tiles[:3], (0, 3, 7)):
        f = encode(tile, quality)
        out = perceptual_decode([f], 0, settings, tiny_prior)
        assert out.correction.exact.all() and encode(out.images[0], quality) == f


def test_an_anchored_sample_keeps_its_detail_and_takes_the_references_coarse_colours():
    generator = torch.Generator().manual_seed(0)
    sample, reference = torch.rand(2, 3, 24, 40, generator=generator), torch.rand(2, 3, 24, 40, generator=generator)
    sample[:, 0] = sample[:, 0] * 0.5 + 0.5  # a red cast
    out = anchored(sample, reference, 4.0)
    coarse = lambda x: gaussian_blur(x, 4.0)
    assert (coarse(out) - coarse(reference)).abs().mean() < 0.3 * (coarse(sample) - coarse(reference)).abs().mean()
    detail = lambda x: x - coarse(x)
    assert torch.corrcoef(torch.stack([detail(out).flatten(), detail(sample).flatten()]))[0, 1] > 0.9
    torch.testing.assert_close(gaussian_blur(torch.full((1, 3, 5, 7), 0.25), 2.0), torch.full((1, 3, 5, 7), 0.25))  # edges too
    for wrong in (0, -1.0, float("inf"), "wide"):
        with pytest.raises(IdemlabError, match="anchor must be"):
            PerceptualSettings(anchor=wrong)
    assert PerceptualSettings().anchor == 2.0 and PerceptualSettings.paper(32, 32).anchor is None  # the paper's: none


def test_the_spacing_is_the_samplers_own_unless_chosen_and_quadratic_is_not_for_ddim():
    assert PerceptualSettings().spacing == "quadratic" and PerceptualSettings(sampler="ddim").spacing == "uniform"
    assert PerceptualSettings.paper(32, 32).spacing == "uniform"  # the authors' 1000 even steps
    for wrong in ({"sampler": "ddim", "spacing": "quadratic"}, {"spacing": "cosine"}):
        with pytest.raises(IdemlabError, match="spacing must be"):
            PerceptualSettings(**wrong)


def test_the_even_pull_and_the_correction_settings_reach_the_guidance_and_the_correction(tiny_prior, tiles, monkeypatch):
    import idemlab.decoder.perceptual as perceptual

    pulls, corrections = [], []
    guidance, correct = perceptual.idempotence_guidance, perceptual.make_idempotent
    monkeypatch.setattr(perceptual, "idempotence_guidance", lambda *args: pulls.append(args[-1]) or guidance(*args))
    monkeypatch.setattr(perceptual, "make_idempotent",
                        lambda *args, **kwargs: corrections.append(kwargs["settings"]) or correct(*args, **kwargs))
    data = encode(tiles[0][:20, :24], 1)  # a 20×24 crop: the encoder pads it, so the even pull is not a no-op
    adam = CorrectionSettings(step_rule="adam", max_steps=300)
    for even in (False, True):
        perceptual_decode([data], 0, PerceptualSettings(steps=2, even_pull=even, correction=adam), tiny_prior)
    assert pulls == [False, True] and corrections == [adam, adam]
    for wrong in (0, None, "yes"):
        with pytest.raises(IdemlabError, match="even_pull must be true or false"):
            PerceptualSettings(even_pull=wrong)


def test_correct_to_files_steps_as_the_default_decoder_does_at_the_files_quality(tiles, monkeypatch):
    rules = []

    def record(model, images, y_symbols, z_symbols, means, settings):
        rules.append(settings.step_rule)
        n = len(images)
        return Correction(to_uint8(images), np.zeros(n, bool), np.zeros(n, int), np.zeros(n), np.zeros(n, bool))

    monkeypatch.setattr("idemlab.decoder.perceptual.make_idempotent", record)
    image = torch.rand(1, 3, 32, 32)
    with pytest.warns(InexactWarning):  # the stand-in corrects nothing
        for quality, settings in ((0, CorrectionSettings()), (5, CorrectionSettings()),
                                  (5, CorrectionSettings(step_rule="adam"))):
            correct_to_files(image, [encode(tiles[0], quality)], settings)
        correct_to_files(image, [encode(tiles[0], 5)])
    assert rules == ["scaled", "scaled", "adam", "scaled"]  # the default decoder's rule, or the one asked for


@pytest.mark.parametrize("height, width", [(32, 32), (64, 96)])
def test_the_paper_preset_takes_the_authors_guidance_step(height, width):
    """ζ·∇ of our image constraint equals 0.6·∇ of the authors' loss, the unsquared norm of
    codec(x̂₀) − g_s(ŷ) with both in [−1, 1] (their configs' "scale: 0.6", one image per batch)."""
    model = codec_for(SMALL_HYPERPRIOR, 3)
    torch.manual_seed(0)
    original = torch.rand(1, 3, height, width)
    y_hat = torch.round(latents(model, original)[0]).detach()
    settings = PerceptualSettings.paper(height, width)
    assert (settings.steps, settings.sampler, settings.constraint, settings.band) == (1000, "ddpm", "image", 1.0)
    x0 = (torch.rand(1, 3, height, width) * 2 - 1).requires_grad_()
    (ours,) = torch.autograd.grad(settings.zeta * idempotence_guidance("image", model, y_hat, height, width)(x0, 0).sum(), x0)
    reencoded = model.g_s(ste_round(model.g_a((x0 + 1) / 2))) * 2 - 1
    (theirs,) = torch.autograd.grad(0.6 * torch.linalg.norm(reencoded - (model.g_s(y_hat) * 2 - 1)), x0)
    torch.testing.assert_close(ours, theirs)


def test_decoder_shape_range_and_seeds(tiny_prior, tiles):
    files = [encode(tile, 1) for tile in tiles[:2]]
    settings = PerceptualSettings(steps=4, correct=False)
    first, again, other = (perceptual_decode(files, s, settings, tiny_prior) for s in (0, 0, 1))
    assert first.images.shape == (2, 32, 32, 3) and first.images.dtype == np.uint8
    assert 0 <= first.raw.min() and first.raw.max() <= 1
    assert np.array_equal(first.images, again.images)
    assert not np.array_equal(first.images, other.images)


def test_decoder_crops_odd_sizes(tiny_prior):
    image = held_out_patches(size=48)[0][:37, :45]
    result = perceptual_decode([encode(image, 3)], 0, PerceptualSettings(steps=3), tiny_prior)
    assert result.images.shape == (1, 37, 45, 3)


def test_the_correction_makes_the_mse_decoder_exactly_idempotent(tiles):
    quality = 1
    files = [encode(tile, quality) for tile in tiles]
    decoded = np.stack([decode(f) for f in files])
    assert not all(encode(d, quality) == f for d, f in zip(decoded, files))  # the MSE decoder drifts
    model = codec_for(SMALL_HYPERPRIOR, quality)
    y_symbols, z_symbols = zip(*(symbols(tile, quality) for tile in tiles))
    x = torch.tensor(decoded).permute(0, 3, 1, 2).float() / 255
    corrected = make_idempotent(model, x, torch.cat(y_symbols), torch.cat(z_symbols))
    assert corrected.exact.all()
    assert all(encode(c, quality) == f for c, f in zip(corrected.images, files))
    before = np.mean([psnr(d, t) for d, t in zip(decoded, tiles)])
    after = np.mean([psnr(c, t) for c, t in zip(corrected.images, tiles)])
    assert after > before - 0.3  # a nudge that costs (almost) no fidelity
    assert (corrected.replaced == 0).all()  # gradient steps alone got there


def test_any_images_can_be_corrected_to_the_files_they_decode(tiles):
    files = [encode(tile, 3) for tile in tiles[:3]]
    blend = (np.stack([decode(f) for f in files]).astype(float) + tiles[:3]) / 2  # half MSE decoder, half original
    corrected = correct_to_files(torch.tensor(blend).permute(0, 3, 1, 2).float() / 255, files)
    assert corrected.exact.all() and corrected.robust.all()  # as the file-writing encoder judges it
    assert all(encode(image, 3) == data for image, data in zip(corrected.images, files))
    with pytest.raises(IdemlabError, match="share codec, quality and image size"):
        correct_to_files(torch.zeros(2, 3, 32, 32), [files[0], encode(tiles[0], 1)])


def test_adam_moves_every_pixel_alike_and_scaled_steps_in_proportion_to_its_gradient(tiles):
    quality = 3
    model = codec_for(SMALL_HYPERPRIOR, quality)
    y_symbols, z_symbols = symbols(tiles[0], quality)
    start = torch.tensor(decode(encode(tiles[1], quality))).permute(2, 0, 1)[None].float() / 255  # another tile's: far off
    moves = {}
    for rule in STEP_RULES:
        one_step = make_idempotent(model, start, y_symbols, z_symbols, settings=CorrectionSettings(
            step_rule=rule, max_steps=1, retries=0, fallbacks=0, polish_moves=0, learning_rate=0.1))
        moves[rule] = np.abs(one_step.images[0].astype(float) - to_uint8(start)[0]) / 255
    assert np.median(moves["adam"]) > 0.09  # about the learning rate, wherever the gradient is not zero
    assert 0.09 < moves["scaled"].max() < 0.11 and np.median(moves["scaled"]) < 0.02  # only the largest gradient moves by it
    with pytest.raises(IdemlabError, match="step_rule must be one of"):
        CorrectionSettings(step_rule="sgd")


def test_where_gradient_steps_stall_the_mse_reconstruction_is_pasted_in(tiles):
    quality = 3
    files = [encode(tile, quality) for tile in tiles[:3]]
    model = codec_for(SMALL_HYPERPRIOR, quality)
    y_symbols, z_symbols = zip(*(symbols(tile, quality) for tile in tiles[:3]))
    noise = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    # noise is far from every cell: one round of 50 gradient steps and no polish is too few to get
    # there, so the fallback pastes the MSE reconstruction in, from which they suffice
    corrected = make_idempotent(model, noise, torch.cat(y_symbols), torch.cat(z_symbols), settings=CorrectionSettings(
        step_rule="adam", max_steps=50, retries=0, polish_moves=0))
    assert corrected.exact.all() and (corrected.replaced > 0).all()
    assert all(encode(c, quality) == f for c, f in zip(corrected.images, files))
    # one round of 500 steps does not get there either; two more rounds, each from where the last
    # one stopped, do, without a pixel of the MSE reconstruction
    retried = make_idempotent(model, noise, torch.cat(y_symbols), torch.cat(z_symbols), settings=CorrectionSettings(
        step_rule="adam", retries=2, fallbacks=0, polish_moves=0))
    assert retried.exact.all() and (retried.replaced == 0).all() and (retried.steps > 500).all()
    assert all(encode(c, quality) == f for c, f in zip(retried.images, files))


def test_the_lattice_polish_moves_an_image_off_its_cell_edges_by_single_gray_levels():
    """A 37×53 crop at quality 5, corrected from its MSE decode by one round without the polish, ends exact but
    with a latent within SAFETY of its cell's edge; the polish makes it robust by changing a few
    pixels by a few gray levels, and no pixel is taken from the MSE reconstruction."""
    image = np.ascontiguousarray(held_out_photos(2.0)[0][20:57, 200:253])
    quality = 5
    data, model, (y_symbols, z_symbols) = encode(image, quality), codec_for(SMALL_HYPERPRIOR, quality), symbols(image, quality)
    start = torch.tensor(decode(data)).permute(2, 0, 1)[None].float() / 255
    search = BestIterates(CellTarget(model, y_symbols, z_symbols, *image.shape[:2], 0.0), start)
    adam = CorrectionSettings(step_rule="adam")
    descend(search, adam)  # one round's gradient steps (make_idempotent's), without the polish
    assert search.exact[0] and not search.robust[0]
    without = to_uint8(search.result)
    polished = make_idempotent(model, start, y_symbols, z_symbols, settings=adam)
    assert polished.robust[0] and polished.replaced[0] == 0 and encode(polished.images[0], quality) == data
    assert judge(polished.images[:1], receive([data])).margin[0] >= SAFETY
    change = np.abs(polished.images[0].astype(int) - without[0].astype(int))
    assert change.any(-1).mean() < 0.02 and change.max() <= 8  # a dozen pixels, by a few gray levels


class _ClampedTarget:
    """A stand-in for the received file: 40 pixels at 1 would lower the violation most by rising
    (they cannot), one pixel at 0.5 lowers it by falling to 0.3, where the image counts as robust."""

    blocked, movable = slice(0, 40), 45

    def violation(self, x, index, margin):
        flat = x.flatten(1)
        return 10 * (flat[:, self.blocked] - 1.1).pow(2).sum(1) + torch.relu(flat[:, self.movable] - 0.3).pow(2)

    def check(self, x, index=None):
        robust = x.flatten(1)[:, self.movable] <= 0.3
        return robust, robust


def test_the_polish_passes_over_pixels_held_at_0_or_1():
    """Moves the clamp would undo are skipped, so the polish reaches the pixel that can move."""
    image = torch.full((1, 1, 7, 7), 0.5)
    image.view(-1)[_ClampedTarget.blocked] = 1.0
    search = BestIterates(_ClampedTarget(), image)
    polish(search)
    assert search.robust[0] and search.result.view(-1)[_ClampedTarget.movable] == pytest.approx(0.3, abs=1 / 255)
    assert (search.result.view(-1)[_ClampedTarget.blocked] == 1).all()


class _RoundingTarget:
    """A stand-in for the received file: one latent 0.61·a + 0.37·b of two pixels (in gray levels),
    symbol 100. The float start (40.75, 204) is 0.34 from the symbol, inside the descent's margin;
    saved as (41, 204) it is 0.49 from it: exact, not robust."""

    def latent(self, x):
        return 255 * (0.61 * x.flatten(1)[:, 0] + 0.37 * x.flatten(1)[:, 1])

    def violation(self, x, index, margin):
        return torch.relu((self.latent(x) - 100).abs() - (0.5 - torch.as_tensor(margin).reshape(-1))).pow(2)

    def check(self, x, index=None):
        latent = self.latent(as_saved(x))
        return latent.round() == 100, (latent - 100).abs() <= 0.5 - SAFETY


def test_scaled_steps_reach_the_margin_of_the_saved_image():
    """A float image inside the margin has no gradient, though its 8-bit version is not; scaled
    steps descend on the saved version once exact, and get it robust; Adam's float steps do not move."""
    start = torch.tensor([40.75, 204.0]).reshape(1, 1, 1, 2) / 255
    for rule, robust in (("adam", False), ("scaled", True)):
        search = BestIterates(_RoundingTarget(), start)
        assert search.exact[0] and not search.robust[0]
        descend(search, CorrectionSettings(step_rule=rule, max_steps=50))
        assert bool(search.robust[0]) == robust


def test_a_file_adam_leaves_short_of_the_margin_is_finished_on_its_saved_image(monkeypatch):
    """Adam's rounds all restart from the first exact image and take the same float steps, which
    cannot move it; make_idempotent then gives it the scaled rules' margin phase, and it ends robust."""
    import idemlab.decoder.correction as correction

    class _Model:  # a stand-in codec: only the MSE reconstruction (for the fallback) is asked of it
        g_s = staticmethod(lambda y: torch.zeros(1, 1, 1, 2))

    monkeypatch.setattr(correction, "CellTarget", lambda *args: _RoundingTarget())
    start = torch.tensor([40.75, 204.0]).reshape(1, 1, 1, 2) / 255
    result = make_idempotent(_Model(), start, torch.zeros(1), torch.zeros(1),
                             settings=CorrectionSettings(step_rule="adam", fallbacks=0, polish_moves=0))
    assert result.exact[0] and result.robust[0] and result.replaced[0] == 0


def test_settings_survive_a_round_trip_through_json_and_refuse_unknown_names_and_wrong_types():
    for settings in (PerceptualSettings(), PerceptualSettings(sampler="ddim", steps=7, anchor=None),
                     PerceptualSettings.paper(48, 64), PerceptualSettings.fast(), PerceptualSettings(precision="bfloat16"),
                     PerceptualSettings(correction=CorrectionSettings(step_rule="adam", max_steps=20, polish_headroom=0))):
        assert PerceptualSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings
    assert PerceptualSettings.from_dict({"steps": 5}) == PerceptualSettings(steps=5)
    assert PerceptualSettings.from_dict({"correction": {"retries": 0}}).correction == CorrectionSettings(retries=0)
    with pytest.raises(IdemlabError, match="unknown perceptual setting 'sigma'"):
        PerceptualSettings.from_dict({"sigma": 1})
    with pytest.raises(IdemlabError, match="unknown correction setting 'momentum'"):
        PerceptualSettings.from_dict({"correction": {"momentum": 0.9}})
    for wrong in ({"zeta": "4"}, {"correct": "yes"}, {"band": True}, {"anchor": [2]}, {"correction": 5}):
        with pytest.raises(IdemlabError, match=f"{next(iter(wrong))} .*must be"):
            PerceptualSettings.from_dict(wrong)
    for name, wrong in (("max_steps", -1), ("margin", 0.5), ("learning_rate", 0), ("polish_candidates", 0),
                        ("retries", 1.5), ("fallbacks", True), ("polish_headroom", 0.5)):
        with pytest.raises(IdemlabError, match=f"{name} must be"):
            CorrectionSettings(**{name: wrong})
    with pytest.raises(IdemlabError, match="must be an object"):
        PerceptualSettings.from_dict([["steps", 5]])


def test_the_report_separates_exact_files_with_and_without_mse_pixels():
    correction = Correction(images=np.zeros((4, 1, 1, 3), np.uint8), exact=np.array([True, True, True, False]),
                            steps=np.array([0, 10, 20, 30]), replaced=np.array([0.0, 0.0, 0.25, 0.5]),
                            robust=np.array([True, False, True, False]))
    report = Correction.concatenate([correction, correction]).report()
    assert report["images"] == 8
    assert (report["identical_without_mse_pixels_%"], report["identical_with_mse_fallback_%"],
            report["not_identical_%"], report["robust_%"]) == (50, 25, 25, 50)
    assert (report["images_with_fallback_%"], report["fallback_median_%"], report["fallback_max_%"]) == (50, 12.5, 50)


def test_a_reconstruction_that_does_not_re_encode_is_reported_loudly(tiny_prior, tiles, monkeypatch):
    def no_correction(model, images, y_symbols, z_symbols, means, settings):
        n = len(images)
        return Correction(to_uint8(images), np.zeros(n, bool), np.zeros(n, int), np.zeros(n), np.zeros(n, bool))

    monkeypatch.setattr("idemlab.decoder.perceptual.make_idempotent", no_correction)
    with pytest.warns(InexactWarning, match="1 of 1 reconstructions do not re-encode"):
        result = perceptual_decode([encode(tiles[0], 1)], 0, PerceptualSettings(steps=2), tiny_prior)
    assert not result.correction.exact[0] and not result.correction.robust[0]
