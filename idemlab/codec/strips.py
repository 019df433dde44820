"""The codec's transforms on large images, strip by strip, in bounded memory.

The analysis and synthesis transforms are convolutions with a small receptive field (under 32
pixels, i.e. 4 latent rows), so a horizontal strip computed with a halo of rows above and below
gives the same rows as the whole image. Above ``STRIP_PIXELS`` the encoder and the MSE decoder
work this way; their memory then grows with the image's width, not its area.
Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

from typing import Callable

import torch

STRIP_PIXELS = 1024 * 1024  # images up to this size go through the transforms in one piece
STRIP_ROWS = 32  # latent rows per strip (256 image rows for y at 1/8)
HALO_ROWS = 4  # latent rows of context above and below a strip

Transform = Callable[[torch.Tensor], torch.Tensor]


def _strips(latent_rows: int):
    """Yield (start, top, bottom, stop) in latent rows: a strip [top, bottom) and its halo [start, stop)."""
    for top in range(0, latent_rows, STRIP_ROWS):
        bottom = min(latent_rows, top + STRIP_ROWS)
        yield max(0, top - HALO_ROWS), top, bottom, min(latent_rows, bottom + HALO_ROWS)


def analysis(g_a: Transform, x: torch.Tensor, factor: int) -> torch.Tensor:
    """Return y = g_a(x) for images x whose sides are multiples of the y factor, strip by strip
    for large images (call without gradients)."""
    if x.shape[-2] * x.shape[-1] <= STRIP_PIXELS:
        return g_a(x)
    parts = [g_a(x[..., start * factor: stop * factor, :])[..., top - start: bottom - start, :]
             for start, top, bottom, stop in _strips(x.shape[-2] // factor)]
    return torch.cat(parts, dim=-2)


def synthesis(g_s: Transform, y_hat: torch.Tensor, factor: int) -> torch.Tensor:
    """Return the MSE reconstruction g_s(ŷ), strip by strip for large images (call without gradients)."""
    if y_hat.shape[-2] * y_hat.shape[-1] * factor * factor <= STRIP_PIXELS:
        return g_s(y_hat)
    parts = [g_s(y_hat[..., start:stop, :])[..., (top - start) * factor: (bottom - start) * factor, :]
             for start, top, bottom, stop in _strips(y_hat.shape[-2])]
    return torch.cat(parts, dim=-2)
