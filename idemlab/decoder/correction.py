"""Exact idempotence: nudge a reconstruction until its saved 8-bit PNG re-encodes to the same file.

The sampler's constraint is approximate, and it never sees the hyperlatent z at all (g_s does
not depend on z). The correction takes gradient steps on the squared amount by which the
re-encoded latents y and z − medians leave the quantisation cells of the received symbols (shrunk
by a margin), stopping for each image as soon as its *8-bit rounded* version re-encodes to the
received symbols with every latent at least ``SAFETY`` inside its cell — a margin that float
differences between machines, thread counts and batch sizes cannot cross. Every tuning constant
is a field of ``settings.CorrectionSettings``. Its steps move each pixel in proportion to its
gradient (``step_rule="scaled"``); Adam's, the other rule, move every pixel with any gradient by
about the learning rate a step, so a long correction moves the whole image
(``experiments/correction_steps`` measures what that costs). This correction is the book's
addition: the paper's code saves the sample as is.

Rounding to 8 bits moves every latent a little after the descent, so an image can end exact but
within ``SAFETY`` of a cell edge, or just outside a cell — most often on small crops at high
rates, where a few real rows feed the encoder's edge padding. Under scaled steps the
descent itself then works on the saved image, through a straight-through rounding. The *lattice
polish* works on the saved 8-bit image too: it moves the pixels with the largest gradient of the
cell violation by one gray level each, keeps a move only if the violation falls, and stops when
every latent is ``SAFETY`` + ``polish_headroom`` inside its cell (typically a few dozen pixels
changed by one level).

Where gradient steps and the polish both stall in a local minimum, the pixels under the latents
that are still wrong (dilated) are replaced by the MSE reconstruction g_s(ŷ), which re-encodes
close to ŷ, and the descent resumes; the replaced fraction is reported. Book: Part II, chapter "The
idempotent perceptual decoder".
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from compressai.models import ScaleHyperprior
from idemlab.codec.pipeline import latents
from idemlab.codec.received import SAFETY
from idemlab.codec.geometry import as_encoder_input
from idemlab.decoder.settings import CorrectionSettings
from idemlab.images import to_uint8


@dataclass
class Correction:
    """Corrected 8-bit images (n, H, W, 3), whether each re-encodes exactly, the gradient steps it
    took, the fraction of its pixels replaced by the MSE reconstruction (0 for most images), and
    whether every latent sits at least ``SAFETY`` inside its cell (robust to float noise)."""

    images: np.ndarray
    exact: np.ndarray
    steps: np.ndarray
    replaced: np.ndarray
    robust: np.ndarray

    @classmethod
    def concatenate(cls, corrections: list[Correction]) -> Correction:
        """Return the corrections of several batches as one."""
        return cls(*(np.concatenate([getattr(c, name) for c in corrections]) for name in cls.__dataclass_fields__))

    def report(self) -> dict:
        """Return the headline in percent of images: byte-identical with no pixel from the MSE
        reconstruction, identical only with that fallback, robust (every latent ``SAFETY`` inside
        its cell), not identical; then the fallback's distribution over images (share of images
        with any, and the median, mean and largest share of their pixels it replaced)."""
        fallback = self.replaced > 0
        percent = lambda values: round(100 * float(np.mean(values)), 2)
        return {"images": len(self.exact),
                "identical_without_mse_pixels_%": percent(self.exact & ~fallback),
                "identical_with_mse_fallback_%": percent(self.exact & fallback),
                "robust_%": percent(self.robust), "not_identical_%": percent(~self.exact),
                "images_with_fallback_%": percent(fallback),
                "fallback_median_%": round(100 * float(np.median(self.replaced)), 2),
                "fallback_mean_%": percent(self.replaced), "fallback_max_%": round(100 * float(self.replaced.max()), 2),
                "mean_correction_steps": round(float(self.steps.mean()), 1)}


def _cell_violation(value: torch.Tensor, symbol: torch.Tensor, margin: float | torch.Tensor) -> torch.Tensor:
    return torch.relu((value - symbol).abs() - (0.5 - margin)).pow(2).flatten(1).sum(1)


def as_saved(x: torch.Tensor) -> torch.Tensor:
    """Return x in [0, 1] rounded to the 8-bit levels a saved PNG holds."""
    return (x.clamp(0, 1) * 255).round() / 255


class CellTarget:
    """The received symbols and how to compare an image's re-encoding with them."""

    def __init__(self, model: ScaleHyperprior, y_symbols: torch.Tensor, z_symbols: torch.Tensor,
                 height: int, width: int, means: torch.Tensor | float):
        self.model, self.y_symbols, self.z_symbols = model, y_symbols, z_symbols
        self.height, self.width = height, width
        self.means = torch.as_tensor(means, dtype=torch.float32, device=y_symbols.device).expand(y_symbols.shape)

    def latents(self, x: torch.Tensor, index: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the latents (y − means, z − medians) of images x (of the batch, or the ones ``index`` picks)."""
        means = self.means if index is None else self.means[index]
        return latents(self.model, as_encoder_input(x, self.height, self.width, self.model.downsampling_factor), means)

    def violation(self, x: torch.Tensor, index: torch.Tensor, margin: float | torch.Tensor) -> torch.Tensor:
        """Return, per image, the squared amounts by which the latents of x (the images ``index``
        picks) leave the received symbols' cells shrunk by ``margin`` (one, or one per image (n, 1, 1, 1))."""
        y, z = self.latents(x, index)
        return _cell_violation(y, self.y_symbols[index], margin) + _cell_violation(z, self.z_symbols[index], margin)

    def wrong_cells(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return, per cell, where the 8-bit version of x re-encodes to y and z latents that are
        not at least ``SAFETY`` inside the cells of the received symbols."""
        with torch.no_grad():
            y, z = self.latents(as_saved(x))
        inside = 0.5 - SAFETY
        return (y - self.y_symbols).abs().gt(inside).any(1), (z - self.z_symbols).abs().gt(inside).any(1)

    def check(self, x: torch.Tensor, index: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Return, per image (of the batch, or of the images ``index`` picks), whether its 8-bit
        version re-encodes to the received symbols (exact) and whether every latent is also at
        least ``SAFETY`` inside its cell (robust: float noise of another thread count, BLAS or
        batch size cannot flip a symbol)."""
        y_symbols, z_symbols = (self.y_symbols, self.z_symbols) if index is None else (
            self.y_symbols[index], self.z_symbols[index])
        with torch.no_grad():
            y, z = self.latents(as_saved(x), index)
        exact = (torch.round(y) == y_symbols).flatten(1).all(1) & (torch.round(z) == z_symbols).flatten(1).all(1)
        inside = 0.5 - SAFETY
        robust = (y - y_symbols).abs().le(inside).flatten(1).all(1) & (z - z_symbols).abs().le(inside).flatten(1).all(1)
        return exact, robust

    def footprint(self, x: torch.Tensor, dilation: int) -> torch.Tensor:
        """Return a (n, 1, H, W) mask of the pixels under the wrong cells, grown by ``dilation``."""
        wrong_y, wrong_z = self.wrong_cells(x)
        canvas = as_encoder_input(x, self.height, self.width, self.model.downsampling_factor).shape[-2:]
        mask = torch.maximum(F.interpolate(wrong_y[:, None].float(), size=canvas),
                             F.interpolate(wrong_z[:, None].float(), size=canvas))
        mask = F.max_pool2d(mask, 2 * dilation + 1, stride=1, padding=dilation)
        # a wrong cell that lies in the edge padding is fed by the last real row or column
        mask[..., self.height - 1, :] = mask[..., self.height - 1:, :].amax(-2)
        mask[..., :, self.width - 1] = mask[..., :, self.width - 1:].amax(-1)
        return mask[..., : self.height, : self.width]


class BestIterates:
    """Per image: the best iterate so far — robust if one was, else the first exact one, else the last."""

    def __init__(self, target: CellTarget, images: torch.Tensor) -> None:
        self.target, self.result = target, images.clone()
        self.exact, self.robust = target.check(images)
        self.steps = torch.zeros(len(images), dtype=torch.int64, device=images.device)

    def offer(self, candidates: torch.Tensor, index: torch.Tensor, steps: torch.Tensor) -> None:
        """Consider new iterates of the images ``index`` picks, reached after ``steps`` steps each."""
        exact, robust = self.target.check(candidates, index)
        was_exact, was_robust = self.exact[index], self.robust[index]
        take = (robust & ~was_robust) | (exact & ~was_exact) | ~(was_exact | was_robust)
        self.result[index[take]] = candidates[take]
        self.steps[index[take]] = steps[take]
        self.exact[index] = was_exact | exact
        self.robust[index] = was_robust | robust


def descend(search: BestIterates, settings: CorrectionSettings = CorrectionSettings(),
            only: torch.Tensor | None = None) -> None:
    """Run ``settings.max_steps`` gradient steps from the current iterates of the images not yet
    robust (of those ``only`` marks, if given); each step computes only those images.
    ``settings.step_rule``: "adam" moves every pixel with any gradient by about the learning rate
    a step; "scaled" moves each image's pixel of largest gradient by the learning rate and every
    other in proportion to its gradient, so pixels that matter little move little. Under scaled
    steps an image once exact descends on its saved 8-bit version (rounded, with the gradient
    passed straight through) towards the polish's margin, for up to ``scaled_margin_steps``: a
    float image inside the margin has no gradient left, yet rounding may push its latents back
    out, and small steps need many of them to get there."""
    images, start = search.result.clone(), search.steps.clone()
    delta = torch.zeros_like(images, requires_grad=True)
    max_steps, margin, learning_rate = settings.max_steps, settings.margin, settings.learning_rate
    optimizer = torch.optim.Adam([delta], lr=learning_rate) if settings.step_rule == "adam" else None
    target, margin_steps = search.target, settings.margin_steps
    exact_since = torch.where(search.exact, 0, max_steps + 1)
    moving = torch.ones_like(search.robust) if only is None else only
    for step in range(1, max_steps + 1):
        exact_since = torch.where(search.exact & (exact_since > step), step, exact_since)
        # an exact image gets at most margin_steps more steps to reach the margin
        index = (moving & ~search.robust & (step - exact_since <= margin_steps)).nonzero().squeeze(1)
        if not len(index):
            break
        x, image_margin = (images[index] + delta[index]).clamp(0, 1), margin
        if optimizer is None:
            on_lattice = search.exact[index].view(-1, 1, 1, 1)
            x = torch.where(on_lattice, x + (as_saved(x) - x).detach(), x)
            image_margin = torch.where(on_lattice, settings.polish_margin, margin)
        violation = target.violation(x, index, image_margin)
        (gradient,) = torch.autograd.grad(violation.sum(), delta)
        if optimizer is not None:
            optimizer.zero_grad()
            delta.grad = gradient
            optimizer.step()
        else:
            with torch.no_grad():
                largest = gradient[index].flatten(1).abs().amax(1).clamp_min(1e-30)[:, None, None, None]
                delta[index] -= learning_rate * gradient[index] / largest
        with torch.no_grad():
            search.offer((images[index] + delta[index]).clamp(0, 1), index, start[index] + step)


def polish(search: BestIterates, settings: CorrectionSettings = CorrectionSettings()) -> None:
    """Move the saved 8-bit version of each image not yet robust one gray level at a time, up to
    ``settings.polish_moves`` times: the pixels with the largest gradient of the cell violation
    (margin ``settings.polish_margin``) first, many at once while that lowers the violation, then
    single pixels (up to ``polish_candidates`` of them), until no move lowers it. A pixel at 0 or
    1 whose gradient points out of [0, 1] is passed over (the move would do nothing)."""
    moves, aim = settings.polish_moves, settings.polish_margin
    if not moves:
        return
    target = search.target
    for index in (~search.robust).nonzero():
        x = as_saved(search.result[index])
        batch = max(1, x.numel() // 100)
        for move in range(1, moves + 1):
            pixels = x.clone().requires_grad_()
            violation = target.violation(pixels, index, aim).sum()
            if violation.item() == 0:
                break
            (gradient,) = torch.autograd.grad(violation, pixels)
            gradient, flat = gradient.flatten(), x.flatten()
            # a pixel at 0 or 1 cannot move further out: its gradient offers no move
            gradient[((flat == 0) & (gradient > 0)) | ((flat == 1) & (gradient < 0))] = 0
            order = gradient.abs().argsort(descending=True)
            tries = [order[:batch]] if batch > 1 else [order[j: j + 1] for j in range(settings.polish_candidates)]
            for chosen in tries:
                step = torch.zeros_like(gradient)
                step[chosen] = -torch.sign(gradient[chosen]) / 255
                candidate = (flat + step).clamp(0, 1).reshape(x.shape)
                with torch.no_grad():
                    lower = target.violation(candidate, index, aim).sum() < violation
                if lower:
                    x = candidate
                    break
            if lower:  # grow the batch after a good batched move, restart small after a single one
                batch = int(batch * 1.5) + 1 if len(tries) == 1 else 2
            elif batch > 1:
                batch = max(1, batch // 2)
            else:
                break
        with torch.no_grad():
            search.offer(x, index, search.steps[index] + move)


def make_idempotent(model: ScaleHyperprior, images: torch.Tensor, y_symbols: torch.Tensor,
                    z_symbols: torch.Tensor, means: torch.Tensor | float = 0.0,
                    settings: CorrectionSettings = CorrectionSettings()) -> Correction:
    """Return images (n, 3, H, W) in [0, 1], corrected so that their 8-bit versions re-encode to
    the received integer symbols with every latent ``SAFETY`` inside its cell; images that do
    already are returned unchanged. Each round is ``settings.max_steps`` gradient steps
    (``descend``) and the lattice polish of the 8-bit image (``polish``). An image not robust after
    a round gets up to ``settings.retries`` more rounds from where it stands (gradient steps that
    restart after the polish get out of where they stalled), then, up to ``settings.fallbacks``
    times, the pixels under the failing cells of an image not yet exact (grown by
    ``fallback_dilation``, then twice that, ... pixels) are replaced by the MSE reconstruction
    before the next round. Under Adam's steps an image still exact but not robust after every
    round (each round restarted from its first exact iterate, and took the same steps) then gets
    the scaled steps' margin phase on its saved image. An image that never gets there is returned
    as its first exact iterate (``robust`` False) or its last one (``exact`` False). ``means``: the
    y means of the received file (``pipeline.y_distribution``), for a mean-scale hyperprior or a
    context model."""
    height, width = images.shape[-2:]
    target = CellTarget(model, y_symbols, z_symbols, height, width, means)
    with torch.no_grad():
        anchor = model.g_s(y_symbols + means).clamp(0, 1)[..., :height, :width]
    search = BestIterates(target, images)
    replaced = torch.zeros(len(images), 1, height, width, device=images.device)
    for round_ in range(settings.retries + settings.fallbacks + 1):
        fallback = round_ - settings.retries
        if fallback > 0:
            dilation = settings.fallback_dilation * 2 ** (fallback - 1)
            mask = target.footprint(search.result, dilation) * ~search.exact[:, None, None, None]
            search.result = torch.lerp(search.result, anchor, mask)
            search.exact, search.robust = target.check(search.result)
            replaced = torch.maximum(replaced, mask)
        descend(search, settings)
        polish(search, settings)
        if search.robust.all():
            break
    short = search.exact & ~search.robust
    if settings.step_rule == "adam" and short.any():  # each Adam round restarted from the same first exact image
        descend(search, replace(settings, step_rule="scaled"), only=short)
    return Correction(to_uint8(search.result), search.exact.cpu().numpy(), search.steps.cpu().numpy(),
                      replaced.flatten(1).mean(1).cpu().numpy(), search.robust.cpu().numpy())
