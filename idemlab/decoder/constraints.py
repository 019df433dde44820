"""What pulls the diffusion sample towards the received bitstream: three guidance losses.

- ``"image"`` — the paper's idempotence constraint in image space, ‖g_s(Q(g_a(x̂₀))) − g_s(ŷ)‖₂,
  with Q the straight-through rounding (forward: round; backward: identity);
- ``"latent"`` — the same constraint measured on the latents, ‖g_a(x̂₀) − ŷ‖₂;
- ``"mse"`` — plain guidance towards the MSE reconstruction, ‖x̂₀ − g_s(ŷ)‖₂, the ablation
  baseline: it is *not* an idempotence constraint.

All are unsquared norms (as in DPS) of x̂₀ clipped to [−1, 1] (as DPS's code clips it), scaled by √(pixels/1024) so that one ζ fits every image
size. The paper's step — 0.6 times the gradient of the unsquared norm of images in [−1, 1]
(the authors' configs, one image per batch) — is ζ = ``paper_zeta(height, width)`` here: 1.2 at
32×32, 0.15 at 256×256. The encoder pads the *saved* image, so x̂₀ is cropped to the true size and padded the same
way before analysis; ``even_pull`` keeps the copied last row, column and corner from pulling once per copy.
Book: Part II, chapter "The idempotent perceptual decoder".
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from compressai.models import ScaleHyperprior
from idemlab.codec.geometry import as_encoder_input, copies
from idemlab.prior.sampling import Guidance

CONSTRAINTS = ("image", "latent", "mse")
PAPER_SCALE = 0.6  # the authors' DPS step size ("conditioning: scale" in their configs)


def loss_scale(height: int, width: int) -> float:
    """Return the factor √(pixels/1024) on every guidance loss, so that one ζ fits every size."""
    return math.sqrt(height * width / 1024)


def paper_zeta(height: int, width: int) -> float:
    """Return the ζ at which the image constraint takes the paper's step on height×width images:
    its norm is of images in [−1, 1] (twice ours, in [0, 1]) and carries no size factor."""
    return 2 * PAPER_SCALE / loss_scale(height, width)


def ste_round(y: torch.Tensor) -> torch.Tensor:
    """Return round(y) in the forward pass with the identity's gradient (straight-through)."""
    return y + (torch.round(y) - y).detach()


def even_pull(x: torch.Tensor, height: int, width: int, multiple: int) -> torch.Tensor:
    """Return x unchanged, with the gradient of each pixel divided by the number of encoder-input
    pixels it fills (``copies``): the replicated last row, column and corner then pull like any
    other pixel instead of up to (multiple)² times as hard (a diagonal preconditioner)."""
    count = copies(height, width, multiple).to(x)
    pad = (0, x.shape[-1] - width, 0, x.shape[-2] - height)  # the sampler's canvas beyond the image: 1
    scaled = x / F.pad(count, pad, value=1.0)
    return x.detach() + (scaled - scaled.detach())  # forward: x itself, bit for bit; gradient: 1 / copies


class _BandClamp(torch.autograd.Function):
    """Clamp to [−1, 1]; the gradient passes where ``|x| < band`` (1: torch's clamp)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, band: float) -> torch.Tensor:
        ctx.save_for_backward(x.abs() < band)
        return x.clamp(-1, 1)

    @staticmethod
    def backward(ctx, gradient: torch.Tensor):
        (passes,) = ctx.saved_tensors
        return torch.where(passes, gradient, 0.0), None


def band_clamp(x: torch.Tensor, band: float = 1.0) -> torch.Tensor:
    """Return x clipped to [−1, 1], with the identity's gradient where ``|x| < band`` and none beyond:
    a pixel of x̂₀ a little outside the range still feels the constraint, a wild one does not."""
    return _BandClamp.apply(x, band)


def idempotence_guidance(kind: str, model: ScaleHyperprior, y_hat: torch.Tensor, height: int,
                         width: int, means: torch.Tensor | float = 0.0, band: float = 1.0,
                         even: bool = False) -> Guidance:
    """Return the guidance loss of a constraint kind for received latents ŷ of height×width images
    (``means``: the y means of the received file, for a mean-scale hyperprior or a context model;
    ``band``: how far outside [−1, 1] a pixel of x̂₀ still passes the gradient, ``band_clamp``;
    ``even``: divide each pixel's gradient by the encoder-input pixels it fills, ``even_pull``)."""
    if kind not in CONSTRAINTS:
        raise ValueError(f"constraint must be one of {CONSTRAINTS}, not {kind!r}")
    with torch.no_grad():
        target = model.g_s(y_hat)
    scale = loss_scale(height, width)
    multiple = model.downsampling_factor

    def loss(x0: torch.Tensor, step: int) -> torch.Tensor:
        # x̂₀ clipped to the image range, as DPS's code clips it: in the first steps Tweedie's x̂₀
        # reaches thousands, where a trained codec's inverse GDN gives a gradient large enough to
        # throw the sample off for good; pixels clipped from beyond the band give no gradient
        x = (band_clamp(x0, band) + 1) / 2
        if even:
            x = even_pull(x, height, width, multiple)
        x = as_encoder_input(x, height, width, multiple)
        if kind == "image":
            residual = model.g_s(ste_round(model.g_a(x) - means) + means) - target
        elif kind == "latent":
            residual = model.g_a(x) - y_hat
        else:
            residual = x - target
        return scale * residual_norm(residual)

    return loss


def residual_norm(residual: torch.Tensor) -> torch.Tensor:
    """Return the L2 norm of each image's residual, with gradient 0 where the norm is 0 (the
    residual vanishes or its squares underflow): there ``vector_norm``'s gradient is NaN, and one
    NaN step would turn the whole sample into NaN."""
    flat = residual.flatten(1)
    vanished = flat.detach().norm(dim=1) == 0
    return torch.where(vanished, 0.0, torch.where(vanished[:, None], 1.0, flat).norm(dim=1))
