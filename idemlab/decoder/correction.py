"""Exact idempotence: nudge a reconstruction until its saved 8-bit PNG re-encodes to the same file.

The sampler's constraint is approximate, and it never sees the hyperlatent z at all (g_s does
not depend on z). The correction moves the image as little as it can: gradient steps on the
squared amount by which the re-encoded latents y and z − medians leave the quantisation cells of
the received symbols (shrunk by a margin), stopping for each image as soon as its *8-bit rounded*
version re-encodes to exactly the received symbols.

Gradient steps inside the box [0, 1] can stall in a local minimum — typically at a corner where
the encoder's edge padding repeats one pixel many times. Then the pixels under the latents that
are still wrong (dilated) are replaced by the MSE reconstruction g_s(ŷ), which re-encodes close
to ŷ, and the descent resumes; the replaced fraction is reported. Book: Part II, chapter "The
idempotent perceptual decoder".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from idemlab.codec.model import SmallScaleHyperprior
from idemlab.codec.pipeline import latents
from idemlab.data import to_uint8
from idemlab.decoder.constraints import as_encoder_input


@dataclass
class Correction:
    """Corrected 8-bit images (n, H, W, 3), whether each re-encodes exactly, the gradient steps it
    took, and the fraction of its pixels replaced by the MSE reconstruction (0 for most images)."""

    images: np.ndarray
    exact: np.ndarray
    steps: np.ndarray
    replaced: np.ndarray


def _cell_violation(value: torch.Tensor, symbol: torch.Tensor, margin: float) -> torch.Tensor:
    return torch.relu((value - symbol).abs() - (0.5 - margin)).pow(2).flatten(1).sum(1)


def _as_saved(x: torch.Tensor) -> torch.Tensor:
    """Return x in [0, 1] rounded to the 8-bit levels a saved PNG holds."""
    return (x.clamp(0, 1) * 255).round() / 255


class _Target:
    """The received symbols and how to compare an image's re-encoding with them."""

    def __init__(self, model: SmallScaleHyperprior, y_symbols: torch.Tensor, z_symbols: torch.Tensor,
                 height: int, width: int):
        self.model, self.y_symbols, self.z_symbols = model, y_symbols, z_symbols
        self.height, self.width = height, width

    def latents(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return latents(self.model, as_encoder_input(x, self.height, self.width, self.model.downsampling_factor))

    def wrong_cells(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return where the 8-bit version of x re-encodes to other y and z symbols (per cell)."""
        with torch.no_grad():
            y, z = self.latents(_as_saved(x))
        return (torch.round(y) != self.y_symbols).any(1), (torch.round(z) != self.z_symbols).any(1)

    def matches(self, x: torch.Tensor) -> torch.Tensor:
        wrong_y, wrong_z = self.wrong_cells(x)
        return ~(wrong_y.flatten(1).any(1) | wrong_z.flatten(1).any(1))

    def footprint(self, x: torch.Tensor, dilation: int) -> torch.Tensor:
        """Return a (n, 1, H, W) mask of the pixels under the wrong cells, grown by ``dilation``."""
        wrong_y, wrong_z = self.wrong_cells(x)
        y_factor = self.model.downsampling_factor // 2
        mask = torch.maximum(F.interpolate(wrong_y[:, None].float(), scale_factor=y_factor),
                             F.interpolate(wrong_z[:, None].float(), scale_factor=2 * y_factor))
        mask = F.max_pool2d(mask, 2 * dilation + 1, stride=1, padding=dilation)
        return mask[..., : self.height, : self.width]


def _descend(target: _Target, images: torch.Tensor, done: torch.Tensor, margin: float, max_steps: int,
             learning_rate: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run gradient steps on the images not yet done; return the images (the first exact iterate
    of those that got there, the last iterate of the others), which are exact now, and the steps
    each one took."""
    delta = torch.zeros_like(images, requires_grad=True)
    optimizer = torch.optim.Adam([delta], lr=learning_rate)
    done = done | target.matches(images)
    steps = torch.where(done, 0, max_steps)
    result = images.clone()
    for step in range(1, max_steps + 1):
        if done.all():
            break
        y, z = target.latents((images + delta).clamp(0, 1))
        violation = _cell_violation(y, target.y_symbols, margin) + _cell_violation(z, target.z_symbols, margin)
        optimizer.zero_grad()
        violation[~done].sum().backward()
        delta.grad[done] = 0
        optimizer.step()
        with torch.no_grad():
            candidate = (images + delta).clamp(0, 1)
            newly = target.matches(candidate) & ~done
            result[newly] = candidate[newly]
            steps[newly] = step
            done |= newly
            result[~done] = candidate[~done]
    return result, done, steps


def make_idempotent(model: SmallScaleHyperprior, images: torch.Tensor, y_symbols: torch.Tensor,
                    z_symbols: torch.Tensor, margin: float = 0.1, max_steps: int = 500,
                    learning_rate: float = 1e-3, fallbacks: int = 2) -> Correction:
    """Return images (n, 3, H, W) in [0, 1], corrected so that their 8-bit versions re-encode to
    the received integer symbols; images that do already are returned unchanged. After each round
    of ``max_steps`` that leaves an image inexact, up to ``fallbacks`` times, the pixels under its
    wrong cells (grown by 8, then 16, ... pixels) are replaced by the MSE reconstruction."""
    height, width = images.shape[-2:]
    target = _Target(model, y_symbols, z_symbols, height, width)
    with torch.no_grad():
        anchor = model.g_s(y_symbols.float()).clamp(0, 1)[..., :height, :width]
    result = images.clone()
    done = torch.zeros(len(images), dtype=torch.bool)
    steps = torch.zeros(len(images), dtype=torch.int64)
    replaced = torch.zeros(len(images), 1, height, width)
    for fallback in range(fallbacks + 1):
        if fallback:
            mask = target.footprint(result, dilation=8 * 2 ** (fallback - 1)) * ~done[:, None, None, None]
            result = torch.lerp(result, anchor, mask)
            replaced = torch.maximum(replaced, mask)
        result, done, round_steps = _descend(target, result, done, margin, max_steps, learning_rate)
        steps += round_steps
        if done.all():
            break
    return Correction(to_uint8(result), done.numpy(), steps.numpy(), replaced.flatten(1).mean(1).numpy())
