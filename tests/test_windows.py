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
