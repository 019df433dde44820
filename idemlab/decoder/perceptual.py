"""The paper's perceptual decoder: invert the unconditional prior under the idempotence constraint.

Start from noise, run the prior's reverse diffusion, and after every step move x_t down the
gradient of the constraint that re-encoding x̂₀ must give the received ŷ (Xu et al. 2024, Alg. 1;
DPS of Chung et al. 2023). The paper saves that sample as is; this book then runs
``make_idempotent`` (its own addition) so that the saved PNG re-encodes to the received file byte
for byte, with a safety margin. Where that fails the result says so (``correction.exact``,
``.robust``) and an ``InexactWarning`` is raised. Book: Part II, chapter "The idempotent
perceptual decoder".
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from idemlab.codec.pipeline import Codec
from idemlab.codec.received import Received, judge, receive
from idemlab.codec.registry import codec_for
from idemlab.decoder.constraints import idempotence_guidance
from idemlab.decoder.correction import Correction, make_idempotent
from idemlab.decoder.settings import CorrectionSettings, PerceptualSettings
from idemlab.devices import resolve_device
from idemlab.errors import IdemlabError, InexactWarning
from idemlab.images import to_uint8
from idemlab.prior.load import load_prior
from idemlab.prior.model import Prior
from idemlab.prior.sampling import reverse_diffusion

@dataclass
class PerceptualDecoding:
    """Saved 8-bit reconstructions (n, H, W, 3), the sampler's raw output (n, 3, H, W) in [0, 1]
    (after the colour anchor, if any), the correction's report (None when the correction was off),
    and the guided sample before the colour anchor (the same as ``raw`` without one)."""

    images: np.ndarray
    raw: torch.Tensor
    correction: Correction | None
    sample: torch.Tensor


def perceptual_decode(files: list[bytes] | Received, seed: int = 0, settings: PerceptualSettings = PerceptualSettings(),
                      prior: Prior | None = None, progress: bool = False,
                      max_pixels: int | None = None, device: str | torch.device = "cpu") -> PerceptualDecoding:
    """Return the perceptual reconstructions of ``.idem`` files of one size and quality (or of
    files already received, ``codec.received.receive``), decoded as one batch: receive, sample
    under the idempotence guidance, anchor the colours, correct, judge. The same files in the same
    order with the same seed give the same images on the same kind of machine: the noise is drawn
    on the CPU from the seed, but the arithmetic is the device's, and another one (a GPU, or
    AVX-512 instead of AVX2 convolutions) rounds differently, which many guided steps carry into
    the sample; the verdict on the file does not change.

    ``device`` ("cpu", "cuda", "cuda:N" or "auto") runs the sampler and the correction's gradient
    steps there; the prior is moved to it. Whether each saved image re-encodes to its file, and
    with the safety margin, is judged on the CPU by the encoder that writes files (``judge``)."""
    received = files if isinstance(files, Received) else receive(files, max_pixels)
    prior = load_prior() if prior is None else prior
    if settings.steps > prior.scheduler.config.num_train_timesteps:
        raise IdemlabError(f"steps must be at most the prior's {prior.scheduler.config.num_train_timesteps} "
                           f"diffusion steps, not {settings.steps}")
    device = resolve_device(device)
    prior.unet.to(device)
    header = received.header
    codec = received.codec if device.type == "cpu" else codec_for(header.family, header.quality, str(device))
    y_hat, means = received.y_hat.to(device), received.means.to(device)
    with torch.no_grad():
        mse = codec.g_s(y_hat).clamp(0, 1)  # the MSE reconstruction, on the canvas
    sample = _guided_sample(received, codec, y_hat, means, prior, settings, seed, mse, progress)
    raw = sample if settings.anchor is None else anchored(sample, mse[..., : header.height, : header.width], settings.anchor)
    if not settings.correct:
        return PerceptualDecoding(to_uint8(raw), raw.cpu(), None, sample.cpu())
    correction = make_idempotent(codec, raw, received.y_symbols.to(device), received.z_symbols.to(device), means=means,
                                 settings=settings.correction)
    return PerceptualDecoding(correction.images, raw.cpu(), _judged(correction, received), sample.cpu())


def _guided_sample(received: Received, codec: Codec, y_hat: torch.Tensor, means: torch.Tensor, prior: Prior,
                   settings: PerceptualSettings, seed: int, mse: torch.Tensor, progress: bool) -> torch.Tensor:
    """Return the prior's reverse diffusion under the idempotence guidance, cropped to the image
    size, in [0, 1], on the device of ŷ and its ``means``; from the MSE reconstruction ``mse`` (on the
    canvas) noised when ``settings.start`` < 1."""
    height, width = received.size
    generator = torch.Generator().manual_seed(seed)  # on the CPU: one seed, one noise, on every device
    x_T = torch.randn((len(received.files), 3, *received.canvas), generator=generator).to(y_hat.device)
    guidance = idempotence_guidance(settings.constraint, codec, y_hat, height, width, means, settings.band,
                                    settings.even_pull)
    init = mse * 2 - 1 if settings.start < 1 else None  # begin there, noised
    x0 = reverse_diffusion(prior, x_T, settings.steps, settings.sampler, guidance, settings.zeta,
                           generator, progress, settings.spacing, settings.start, init,
                           through_prior=settings.through_prior, precision=settings.precision)
    return ((x0 + 1) / 2)[..., :height, :width]


def anchored(images: torch.Tensor, reference: torch.Tensor, sigma: float) -> torch.Tensor:
    """Return images (n, 3, H, W) in [0, 1] whose Gaussian low-pass of width σ is the reference's:
    the detail is theirs, the colours and brightness region by region the reference's."""
    return (images - gaussian_blur(images, sigma) + gaussian_blur(reference, sigma)).clamp(0, 1)


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Return images (n, c, H, W) blurred by a Gaussian of width σ pixels, edges replicated."""
    radius = max(1, math.ceil(3 * sigma))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device) / sigma) ** 2)
    taps = (taps / taps.sum()).repeat(images.shape[1], 1, 1, 1)
    x = F.pad(images, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, taps.reshape(-1, 1, 1, 2 * radius + 1), groups=images.shape[1])
    return F.conv2d(x, taps.reshape(-1, 1, 2 * radius + 1, 1), groups=images.shape[1])


def correct_to_files(images: torch.Tensor, files: list[bytes],
                     settings: CorrectionSettings = CorrectionSettings()) -> Correction:
    """Return the exact-idempotence correction, on the CPU, of any images (n, 3, H, W) in [0, 1] —
    a blend of two decodings, say — for the files they decode (one codec, quality and size):
    ``.images`` re-encode to the files byte for byte where ``.exact`` says so. ``settings``: the
    correction's (by default the default decoder's)."""
    received = receive(files)
    correction = make_idempotent(received.codec, images, received.y_symbols, received.z_symbols, means=received.means,
                                 settings=settings)
    return _judged(correction, received)


def _judged(correction: Correction, received: Received) -> Correction:
    """Return the correction with ``exact`` and ``robust`` as ``judge`` finds them (the encoder
    that writes files, not the correction's batched check); warn (InexactWarning) where either fails."""
    verdict = judge(correction.images, received)
    correction.exact, correction.robust = verdict.exact, verdict.robust
    if not correction.robust.all():
        warnings.warn(f"{int((~correction.exact).sum())} of {len(received.files)} reconstructions do not re-encode to "
                      f"their files and {int((correction.exact & ~correction.robust).sum())} only without a safety "
                      "margin (see .correction.exact and .robust)", InexactWarning, stacklevel=3)
    return correction
