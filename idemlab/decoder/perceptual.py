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
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F

from idemlab.codec.pipeline import Codec
from idemlab.codec.received import Received, judge, receive
from idemlab.codec.registry import codec_for
from idemlab.decoder.constraints import CONSTRAINTS, idempotence_guidance, paper_zeta
from idemlab.decoder.correction import STEP_RULES, Correction, make_idempotent
from idemlab.devices import resolve_device
from idemlab.errors import IdemlabError, InexactWarning
from idemlab.images import to_uint8
from idemlab.prior.load import load_prior
from idemlab.prior.model import Prior
from idemlab.prior.sampling import SAMPLERS, SPACINGS, reverse_diffusion

ZETA_SCHEDULES = ("constant", "increasing")
DEFAULT_START = 0.5  # experiments/start_from_mse: the ×2 distortion bound at q0, then the critic
DEFAULT_ANCHOR = 2.0  # experiments/colour_anchor: the colour cast at q0, then the held-out check


@dataclass(frozen=True)
class PerceptualSettings:
    """How the perceptual decoder samples. Defaults: 100 stochastic DDPM steps (100 network
    evaluations) spaced quadratically in time, the paper's image-space constraint, ζ = 4 constant,
    gradient band 1.1, the even pull, a start at the noised MSE reconstruction, the colour anchor,
    and the exact-idempotence correction with scaled steps — one policy at every quality (the book's
    appendix "How the defaults were chosen" has them as one table). The sampler was chosen on training patches
    (``experiments/guidance_sweep``), the spacing and ζ (with the shipped prior) on whole
    training photos (``experiments/whole_photo_sweep``), the band on training patches and photos
    (``experiments/gradient_band``). The even pull and the scaled steps were once used only
    from quality 5 on, because below it Adam's correction steps left a lower patch SWD; that
    measure rewards grain (chapter "Measuring realism"), and the scaled steps are the more faithful
    at every rate (``experiments/correction_steps``), so they now hold at every quality.
    ``sampler``: "ddpm", "ddim" (deterministic) or "dpm++" (the second-order stochastic
    DPM-Solver++, made for few steps; ``experiments/few_step_sampler``: with 20 steps within the
    bound and byte-identical, but less realistic at quality 1 than the default).
    ``spacing`` None means the sampler's own: quadratic for DDPM and DPM-Solver++, uniform for
    DDIM (diffusers' DDIM steps are even). With quadratic spacing ζ is the pull of a step of the mean length, and
    each step pulls in proportion to its length. ``band``: the constraint sees x̂₀ clipped to
    [−1, 1], and a pixel passes its gradient where ``|x̂₀| < band`` (1: DPS's plain clip;
    ``constraints.band_clamp``). ``even_pull_from``: files of this quality and above are sampled
    with the even pull: each pixel's pull is divided by the number of encoder-input pixels it
    fills, so the last row, column and corner, which the encoder's edge padding copies, pull like
    any other (``constraints.even_pull``; a no-op on images the codec does not pad). 0: every
    file; None: none. ``step_rule``: how the correction's gradient steps move the pixels
    (``correction.STEP_RULES``); ``scaled_steps_from``: files of this quality and above take
    "scaled" steps instead (0: every file; None: none, ``step_rule`` at every quality). ``start``:
    the fraction of diffusion time the sampler begins at; below 1 it begins at the MSE
    reconstruction g_s(ŷ) noised to that time (``sampling.reverse_diffusion``), and its steps are
    spaced quadratically below it; 1 begins at pure noise, as the paper does. None: 0.5 with
    quadratic steps (``experiments/start_from_mse``: from pure noise the pooled PSNR gap at
    quality 0 broke the ×2 distortion bound), 1 with even ones. ``anchor``: the sample's colours
    and brightness at the scale of a Gaussian blur of this width (σ, pixels) are replaced by the
    MSE reconstruction's before the correction (``anchored``); None: not, as the paper does.
    Default 2 (``experiments/colour_anchor``: at quality 0 the sampler painted colours of its own,
    and on 36 held-out photos the anchor brought the colour cast to the MSE decoder's level, the
    PSNR gap from 1.3 to 0.2 dB, and the critic's accuracy no higher)."""

    steps: int = 100
    sampler: str = "ddpm"
    constraint: str = "image"
    zeta: float = 4.0
    zeta_schedule: str = "constant"
    correct: bool = True
    spacing: str | None = None
    band: float = 1.1
    even_pull_from: int | None = 0
    step_rule: str = "scaled"
    scaled_steps_from: int | None = None
    start: float | None = None
    anchor: float | None = DEFAULT_ANCHOR

    def __post_init__(self) -> None:
        if self.spacing is None:
            object.__setattr__(self, "spacing", "uniform" if self.sampler == "ddim" else "quadratic")
        if self.start is None:
            object.__setattr__(self, "start", DEFAULT_START if self.spacing == "quadratic" else 1.0)
        valid = {
            f"steps must be a positive integer, not {self.steps!r}": isinstance(self.steps, int) and self.steps >= 1,
            f"sampler must be one of {SAMPLERS}, not {self.sampler!r}": self.sampler in SAMPLERS,
            f"constraint must be one of {CONSTRAINTS}, not {self.constraint!r}": self.constraint in CONSTRAINTS,
            f"zeta must be a finite number ≥ 0, not {self.zeta!r}": _is_number(self.zeta) and 0 <= self.zeta < float("inf"),
            f"zeta_schedule must be one of {ZETA_SCHEDULES}, not {self.zeta_schedule!r}":
                self.zeta_schedule in ZETA_SCHEDULES,
            f"spacing must be one of {SPACINGS} ('quadratic' not with the DDIM sampler), not {self.spacing!r}":
                self.spacing in SPACINGS and (self.spacing == "uniform" or self.sampler != "ddim"),
            f"band must be a number ≥ 1, not {self.band!r}": _is_number(self.band) and self.band >= 1,
            f"correct must be true or false, not {self.correct!r}": isinstance(self.correct, bool),
            f"start must lie in (0, 1], and below 1 needs quadratic spacing, not {self.start!r}":
                _is_number(self.start) and 0 < self.start <= 1
                and (self.start == 1 or self.spacing == "quadratic"),
            f"even_pull_from must be None or a quality ≥ 0, not {self.even_pull_from!r}":
                _is_quality_or_none(self.even_pull_from),
            f"scaled_steps_from must be None or a quality ≥ 0, not {self.scaled_steps_from!r}":
                _is_quality_or_none(self.scaled_steps_from),
            f"step_rule must be one of {STEP_RULES}, not {self.step_rule!r}": self.step_rule in STEP_RULES,
            f"anchor must be None or a blur width > 0 in pixels, not {self.anchor!r}":
                self.anchor is None or (_is_number(self.anchor) and 0 < self.anchor < float("inf")),
        }
        problems = [message for message, ok in valid.items() if not ok]
        if problems:
            raise IdemlabError("; ".join(problems))

    def to_dict(self) -> dict:
        """Return every setting by name, as JSON can hold them (``from_dict`` reads them back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> PerceptualSettings:
        """Return the settings a dict names (as ``to_dict`` gives them; the others at their
        defaults); IdemlabError for a name that is not a setting or a value that is not valid."""
        if not isinstance(values, dict):
            raise IdemlabError(f"perceptual settings must be an object of names and values, not {type(values).__name__}")
        known = [field.name for field in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise IdemlabError(f"unknown perceptual setting {unknown[0]!r}; the settings are {', '.join(known)}")
        return cls(**values)

    @classmethod
    def paper(cls, height: int, width: int, correct: bool = True) -> PerceptualSettings:
        """Return the paper's sampler for height×width images: 1000 evenly spaced DDPM steps, the
        image-space constraint, the ζ that takes the authors' step (``constraints.paper_zeta``) and
        DPS's plain clip (band 1) and gradient (no even pull), from pure noise with no colour
        anchor. The paper saves the sample as is (``correct=False``); the book's correction, as the
        default decoder's, stays on by default."""
        return cls(steps=1000, sampler="ddpm", constraint="image", zeta=paper_zeta(height, width), correct=correct,
                   spacing="uniform", band=1.0, even_pull_from=None, anchor=None)

    def even_pull_at(self, quality: int) -> bool:
        """Return whether files of this quality are sampled with the even pull."""
        return _reached(self.even_pull_from, quality)

    def step_rule_at(self, quality: int) -> str:
        """Return how the correction steps on files of this quality."""
        return "scaled" if _reached(self.scaled_steps_from, quality) else self.step_rule

    def zeta_at(self, step: int) -> float:
        """Return ζ at a step: constant, or rising linearly to 2ζ (mean ζ) at the last step."""
        if self.zeta_schedule == "constant":
            return self.zeta
        return 2 * self.zeta * (step + 1) / self.steps


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_quality_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int) and value >= 0)


def _reached(threshold: int | None, quality: int) -> bool:
    """Return whether a quality is at or above a threshold quality (None: never)."""
    return threshold is not None and quality >= threshold


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
                                 step_rule=settings.step_rule_at(header.quality))
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
                                    settings.even_pull_at(received.header.quality))
    init = mse * 2 - 1 if settings.start < 1 else None  # begin there, noised
    x0 = reverse_diffusion(prior, x_T, settings.steps, settings.sampler, guidance, settings.zeta_at,
                           generator, progress, settings.spacing, settings.start, init)
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


def correct_to_files(images: torch.Tensor, files: list[bytes], step_rule: str | None = None) -> Correction:
    """Return the exact-idempotence correction, on the CPU, of any images (n, 3, H, W) in [0, 1] —
    a blend of two decodings, say — for the files they decode (one codec, quality and size):
    ``.images`` re-encode to the files byte for byte where ``.exact`` says so. ``step_rule``: how
    its gradient steps move the pixels (``correction.STEP_RULES``; None: the default decoder's
    at the files' quality)."""
    received = receive(files)
    rule = PerceptualSettings().step_rule_at(received.header.quality) if step_rule is None else step_rule
    correction = make_idempotent(received.codec, images, received.y_symbols, received.z_symbols, means=received.means,
                                 step_rule=rule)
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
