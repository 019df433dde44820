"""Windowed attention: the library's attention at the training size, separate windows above it,
and the half-window shift that joins neighbouring windows at every other step."""

import torch
from diffusers.models.attention_processor import Attention

from idemlab.prior import Prior, small_unet, training_scheduler
from idemlab.prior.sampling import reverse_diffusion
from idemlab.prior.windows import WindowedAttention, shift_windows, use_windowed_attention


def attention_prior(seed: int = 0) -> Prior:
    """A tiny prior (16×16, two levels) whose coarsest level (8×8 feature map) holds attention."""
    torch.manual_seed(seed)
    return Prior(small_unet(sample_size=16, channels=(8, 16)).eval(), training_scheduler())


def windowed_layers(unet) -> list[Attention]:
    return [m for m in unet.modules() if isinstance(m, Attention) and isinstance(m.processor, WindowedAttention)]


def test_at_the_training_size_windows_change_nothing_shifted_or_not():
    prior = attention_prior()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        library = prior.unet(x, 500).sample
        use_windowed_attention(prior.unet)
        for step in (0, 1):
            shift_windows(prior.unet, step)
            torch.testing.assert_close(prior.unet(x, 500).sample, library, atol=1e-5, rtol=1e-4)


def _influence(layer, processor: WindowedAttention, shifted: bool, source: tuple[int, int], at: tuple[int, int]) -> float:
    """Return how much the attention output at one token moves when another token's input moves."""
    processor.shifted = shifted
    x = torch.randn(1, 16, 16, 16)
    moved = x.clone()
    moved[:, :, source[0], source[1]] += 10
    with torch.no_grad():
        difference = processor(layer, moved) - processor(layer, x)
    return float(difference[:, :, at[0], at[1]].abs().max())


def test_the_shift_joins_the_halves_of_neighbouring_windows():
    layer = windowed_layers(use_windowed_attention(attention_prior().unet))[0]
    processor, layer.group_norm = layer.processor, None  # the norm's statistics would join every token
    s = processor.window  # a 16×16 feature map holds 2×2 windows of 8 tokens
    # token (0, s − 1) and token (0, s) lie on either side of the grid line: apart, then together
    assert _influence(layer, processor, False, (0, s), (0, s - 1)) == 0
    assert _influence(layer, processor, True, (0, s), (0, s - 1)) > 0
    # tokens (0, 0) and (0, s − 1) share a window of the training grid, but not of the shifted one
    assert _influence(layer, processor, False, (0, 0), (0, s - 1)) > 0
    assert _influence(layer, processor, True, (0, 0), (0, s - 1)) == 0


def test_reverse_diffusion_alternates_the_grid_and_leaves_it_unshifted(monkeypatch):
    prior = Prior(use_windowed_attention(attention_prior().unet), training_scheduler())
    seen = []
    processor = windowed_layers(prior.unet)[0].processor
    original = WindowedAttention.__call__

    def record(self, *args, **kwargs):
        if self is processor:
            seen.append(self.shifted)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(WindowedAttention, "__call__", record)
    reverse_diffusion(prior, torch.randn(1, 3, 32, 32), steps=4, kind="ddim")
    assert seen == [False, True, False, True]
    assert not any(layer.processor.shifted for layer in windowed_layers(prior.unet))


def test_the_shipped_priors_samples_show_the_window_grid_only_when_the_windows_stay_put(monkeypatch):
    """On a 96×96 canvas (3×3 windows of the shipped prior's 32 pixels) windows that stay put for
    the whole reverse diffusion leave a patchwork: the seam index across their grid lines is about
    2.3 (measured 2026-12-07; photos score 0.8–1.4, ``test_defects``). Shifted at every other step
    it falls to about 1.3. Perceptual decodes show no such difference: on six held-out photos at
    quality 0 (128×128) the default decoder scored 1.18 with the windows fixed and with them
    shifted, as did the paper's start from pure noise (96×96, 20 DPM-Solver++ steps: 1.07 both) —
    the file's guidance holds the picture together — so the sampler is tested where seams are born."""
    import idemlab.prior.sampling as sampling
    from idemlab.images import to_uint8
    from idemlab.prior import load_prior
    from idemlab.realism.defects import seam_index

    prior = load_prior()

    def mean_seam_index() -> float:
        generator = torch.Generator().manual_seed(0)
        x_T = torch.randn((4, 3, 96, 96), generator=generator)
        samples = to_uint8((reverse_diffusion(prior, x_T, 20, "ddim", generator=generator) + 1) / 2)
        return sum(seam_index(sample) for sample in samples) / len(samples)

    shifted = mean_seam_index()
    monkeypatch.setattr(sampling, "shift_windows", lambda unet, step: shift_windows(unet, 0))  # the old layout
    fixed = mean_seam_index()
    assert shifted < 1.5 < 1.8 < fixed
