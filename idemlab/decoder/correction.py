"""Exact idempotence: nudge a reconstruction until its saved 8-bit PNG re-encodes to the same file.

The sampler's constraint is approximate, and it never sees the hyperlatent z at all (g_s does
not depend on z). The correction moves the image as little as it can: gradient steps on the
squared amount by which the re-encoded latents y and z − medians leave the quantisation cells of
the received symbols (shrunk by a margin), stopping for each image as soon as its *8-bit rounded*
version re-encodes to exactly the received symbols. Book: Part II, chapter "The idempotent
perceptual decoder".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from idemlab.codec.model import SmallScaleHyperprior
from idemlab.codec.pipeline import latents
from idemlab.decoder.constraints import as_encoder_input


@dataclass
class Correction:
    """Corrected 8-bit images (n, H, W, 3), whether each re-encodes exactly, and the steps it took."""

    images: np.ndarray
    exact: np.ndarray
    steps: np.ndarray


def _cell_violation(value: torch.Tensor, symbol: torch.Tensor, margin: float) -> torch.Tensor:
    return torch.relu((value - symbol).abs() - (0.5 - margin)).pow(2).flatten(1).sum(1)


def _to_uint8(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0, 1) * 255).round() / 255


def make_idempotent(model: SmallScaleHyperprior, images: torch.Tensor, y_symbols: torch.Tensor,
                    z_symbols: torch.Tensor, margin: float = 0.1, max_steps: int = 500,
                    learning_rate: float = 1e-3) -> Correction:
    """Return images (n, 3, H, W) in [0, 1], corrected so that their 8-bit versions re-encode to
    the received integer symbols; images that do already are returned unchanged."""
    height, width = images.shape[-2:]
    multiple = model.downsampling_factor

    def symbols_match(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            y, z = latents(model, as_encoder_input(_to_uint8(x), height, width, multiple))
        return ((torch.round(y) == y_symbols).flatten(1).all(1) & (torch.round(z) == z_symbols).flatten(1).all(1))

    delta = torch.zeros_like(images, requires_grad=True)
    optimizer = torch.optim.Adam([delta], lr=learning_rate)
    steps = torch.zeros(len(images), dtype=torch.int64)
    done = symbols_match(images)
    result = images.clone()
    for step in range(1, max_steps + 1):
        if done.all():
            break
        x = (images + delta).clamp(0, 1)
        y, z = latents(model, as_encoder_input(x, height, width, multiple))
        loss = (_cell_violation(y, y_symbols, margin) + _cell_violation(z, z_symbols, margin))[~done].sum()
        optimizer.zero_grad()
        loss.backward()
        delta.grad[done] = 0
        optimizer.step()
        with torch.no_grad():
            candidate = (images + delta).clamp(0, 1)
            newly = symbols_match(candidate) & ~done
            result[newly] = candidate[newly]
            steps[newly] = step
            done |= newly
    uint8 = (_to_uint8(result) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return Correction(uint8, done.numpy(), steps.numpy())
