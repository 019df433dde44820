"""The codec's geometry: the canvas it works on, the encoder's edge padding, and what that padding copies.

The analysis transform downsamples by ``multiple`` (``model.downsampling_factor``), so the encoder
pads an image on the right and at the bottom to the next multiple by repeating its last column
and row. Everything that re-encodes an image (the encoder, the guidance, the correction) pads it
here. Book: Part II, chapters "The MSE codec" and "The idempotent perceptual decoder".
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def canvas(height: int, width: int, multiple: int) -> tuple[int, int]:
    """Return the padded size (height, width) the codec works on: each side up to a multiple."""
    return -(-height // multiple) * multiple, -(-width // multiple) * multiple


def as_encoder_input(x: torch.Tensor, height: int, width: int, multiple: int) -> torch.Tensor:
    """Return images (…, H, W) cropped to height×width and edge-padded as the encoder pads them."""
    x = x[..., :height, :width]
    pad = (0, -width % multiple, 0, -height % multiple)
    return F.pad(x, pad, mode="replicate") if any(pad) else x


def copies(height: int, width: int, multiple: int) -> torch.Tensor:
    """Return (height, width): how many pixels of the encoder's edge-padded input each pixel of a
    height×width image fills (1 inside, more on the last row and column, most at the corner)."""
    rows, columns = torch.ones(height), torch.ones(width)
    rows[-1] += -height % multiple
    columns[-1] += -width % multiple
    return rows[:, None] * columns[None, :]
