"""The perceptual decoder's settings as one frozen value: the sampler, the guidance and the
exact-idempotence correction, every tuning constant included. ``to_dict`` gives them as JSON can
hold them and ``from_dict`` reads them back; every check lives here and raises ``IdemlabError``.
Three presets: ``PerceptualSettings()``, the book's default (the appendix "How the defaults were
chosen" gives the experiment behind each value); ``PerceptualSettings.fast()``, ten network
evaluations and a short correction, for whoever needs a decode sooner and can give up some
realism; and ``PerceptualSettings.paper(h, w)``, the paper's sampler. Book: Part II, chapter
"The idempotent perceptual decoder".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from idemlab.codec.received import SAFETY
from idemlab.decoder.constraints import CONSTRAINTS, paper_zeta
from idemlab.errors import IdemlabError
from idemlab.prior.sampling import SAMPLERS, SPACINGS

STEP_RULES = ("adam", "scaled")
PRECISIONS = ("float32", "bfloat16")
DEFAULT_START = 0.5  # experiments/start_from_mse: the ×2 distortion bound at q0, then the critic
DEFAULT_ANCHOR = 2.0  # experiments/colour_anchor: the colour cast at q0, then the held-out check
FAST_STEPS = 10  # ten network evaluations (experiments/few_step_sampler: less realistic than 100 at q1)
FAST_LEARNING_RATE = 8e-3  # experiments/correction_rate: the longest step its test admits


@dataclass(frozen=True)
class CorrectionSettings:
    """How ``correction.make_idempotent`` nudges a reconstruction until its 8-bit PNG re-encodes to
    its file. ``step_rule``: "scaled" moves each image's pixel of largest gradient by
    ``learning_rate`` a step and every other in proportion to its gradient; "adam" moves every
    pixel with any gradient by about ``learning_rate`` (``experiments/correction_steps``: the
    scaled steps are the more faithful at every rate). ``margin``: how far inside its cell the
    gradient steps aim each latent. A round is ``max_steps`` steps and the lattice polish
    (``polish_moves`` one-gray-level moves, trying ``polish_candidates`` single pixels before it
    gives up, aiming ``polish_headroom`` beyond ``SAFETY``); an image not yet robust gets
    ``retries`` more rounds, then ``fallbacks`` rounds after the MSE reconstruction is pasted
    under its wrong cells, grown by ``fallback_dilation``·2^k pixels. An exact image gets at most
    ``adam_margin_steps`` (Adam) or ``scaled_margin_steps`` (scaled: small steps on the saved
    image) more steps to reach the margin."""

    step_rule: str = "scaled"
    margin: float = 0.1
    max_steps: int = 500
    learning_rate: float = 1e-3
    retries: int = 2
    fallbacks: int = 2
    fallback_dilation: int = 8
    polish_moves: int = 300
    polish_candidates: int = 32
    polish_headroom: float = 0.01
    adam_margin_steps: int = 50
    scaled_margin_steps: int = 500

    def __post_init__(self) -> None:
        _check({
            f"step_rule must be one of {STEP_RULES}, not {self.step_rule!r}": self.step_rule in STEP_RULES,
            f"margin must be a number in [0, 0.5), not {self.margin!r}": _is_number(self.margin) and 0 <= self.margin < 0.5,
            f"learning_rate must be a finite number > 0, not {self.learning_rate!r}":
                _is_number(self.learning_rate) and 0 < self.learning_rate < float("inf"),
            f"polish_headroom must be a number in [0, {0.5 - SAFETY:g}), not {self.polish_headroom!r}":
                _is_number(self.polish_headroom) and 0 <= self.polish_headroom < 0.5 - SAFETY,
            **{f"{name} must be an integer ≥ {low}, not {getattr(self, name)!r}": _is_integer(getattr(self, name), low)
               for name, low in (("max_steps", 0), ("retries", 0), ("fallbacks", 0), ("fallback_dilation", 0),
                                 ("polish_moves", 0), ("polish_candidates", 1), ("adam_margin_steps", 0),
                                 ("scaled_margin_steps", 0))},
        })

    @property
    def polish_margin(self) -> float:
        """How far inside its cell the polish aims each latent: a little beyond ``SAFETY``, so that
        reaching its aim is robust."""
        return SAFETY + self.polish_headroom

    @property
    def margin_steps(self) -> int:
        """Steps an exact image may take to reach the margin under this step rule."""
        return self.adam_margin_steps if self.step_rule == "adam" else self.scaled_margin_steps

    def to_dict(self) -> dict:
        """Return every setting by name, as JSON can hold them (``from_dict`` reads them back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> CorrectionSettings:
        """Return the settings a dict names (the others at their defaults); IdemlabError for a name
        that is not a setting or a value that is not valid."""
        return cls(**_known(cls, values, "correction setting"))


@dataclass(frozen=True)
class PerceptualSettings:
    """How the perceptual decoder samples, guides and corrects. The default: 100 stochastic DDPM
    steps (100 network evaluations) spaced quadratically in time below ``start`` 0.5 of the
    diffusion time, beginning at the MSE reconstruction noised to it; the paper's image-space
    constraint at ζ = 4 for a step of mean length; gradient band 1.1; the even pull; the colour
    anchor σ = 2; the exact-idempotence correction with scaled steps.

    ``sampler``: "ddpm", "ddim" (deterministic) or "dpm++" (the second-order stochastic
    DPM-Solver++, made for few steps; ``experiments/few_step_sampler``). ``constraint``: "image"
    (the paper's), or the ablations "latent" and "mse" (``constraints``). ``spacing`` None means
    the sampler's own: quadratic for DDPM and DPM-Solver++, uniform for DDIM; with quadratic
    spacing ζ is the pull of a step of the mean length, and each step pulls in proportion to its
    length. ``band``: the constraint sees x̂₀ clipped to [−1, 1], and a pixel passes its gradient
    where ``|x̂₀| < band`` (``constraints.band_clamp``). ``even_pull``: each pixel's pull is divided
    by the number of encoder-input pixels it fills, so the last row, column and corner, which the
    encoder's edge padding copies, pull like any other (``constraints.even_pull``).
    ``through_prior``: the guidance's gradient passes through the prior's network, as in DPS; False
    differentiates Tweedie's x̂₀ with the network's output held fixed, which skips the backward
    pass through the prior (``sampling.reverse_diffusion``). ``precision``: the arithmetic of the
    prior's network; "bfloat16" runs its convolutions and matrix products under ``torch.autocast``
    (fast on CPUs with AVX-512 BF16 or AMX and on GPUs), while the guidance's codec and the
    correction stay in float32 (``experiments/bf16_prior``). ``start``: the
    fraction of diffusion time the sampler begins at; below 1 at the MSE reconstruction noised to
    that time; 1 at pure noise, as the paper does; None: 0.5 with quadratic steps, 1 with even
    ones. ``anchor``: the sample's colours and brightness at the scale of a Gaussian blur of this
    width (σ, pixels) are replaced by the MSE reconstruction's before the correction; None: not,
    as the paper does. ``correct``: whether to run the correction; ``correction``: how."""

    steps: int = 100
    sampler: str = "ddpm"
    constraint: str = "image"
    zeta: float = 4.0
    spacing: str | None = None
    band: float = 1.1
    even_pull: bool = True
    through_prior: bool = True
    precision: str = "float32"
    start: float | None = None
    anchor: float | None = DEFAULT_ANCHOR
    correct: bool = True
    correction: CorrectionSettings = field(default_factory=CorrectionSettings)

    def __post_init__(self) -> None:
        if self.spacing is None:
            object.__setattr__(self, "spacing", "uniform" if self.sampler == "ddim" else "quadratic")
        if self.start is None:
            object.__setattr__(self, "start", DEFAULT_START if self.spacing == "quadratic" else 1.0)
        _check({
            f"steps must be a positive integer, not {self.steps!r}": _is_integer(self.steps, 1),
            f"sampler must be one of {SAMPLERS}, not {self.sampler!r}": self.sampler in SAMPLERS,
            f"constraint must be one of {CONSTRAINTS}, not {self.constraint!r}": self.constraint in CONSTRAINTS,
            f"zeta must be a finite number ≥ 0, not {self.zeta!r}": _is_number(self.zeta) and 0 <= self.zeta < float("inf"),
            f"spacing must be one of {SPACINGS} ('quadratic' not with the DDIM sampler), not {self.spacing!r}":
                self.spacing in SPACINGS and (self.spacing == "uniform" or self.sampler != "ddim"),
            f"band must be a number ≥ 1, not {self.band!r}": _is_number(self.band) and self.band >= 1,
            f"even_pull must be true or false, not {self.even_pull!r}": isinstance(self.even_pull, bool),
            f"through_prior must be true or false, not {self.through_prior!r}": isinstance(self.through_prior, bool),
            f"precision must be one of {PRECISIONS}, not {self.precision!r}": self.precision in PRECISIONS,
            f"start must lie in (0, 1], and below 1 needs quadratic spacing, not {self.start!r}":
                _is_number(self.start) and 0 < self.start <= 1 and (self.start == 1 or self.spacing == "quadratic"),
            f"anchor must be None or a blur width > 0 in pixels, not {self.anchor!r}":
                self.anchor is None or (_is_number(self.anchor) and 0 < self.anchor < float("inf")),
            f"correct must be true or false, not {self.correct!r}": isinstance(self.correct, bool),
            f"correction must be CorrectionSettings, not {type(self.correction).__name__}":
                isinstance(self.correction, CorrectionSettings),
        })

    def to_dict(self) -> dict:
        """Return every setting by name, the correction's as a nested object, as JSON can hold them
        (``from_dict`` reads them back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> PerceptualSettings:
        """Return the settings a dict names (as ``to_dict`` gives them; the others at their
        defaults); IdemlabError for a name that is not a setting or a value that is not valid."""
        values = _known(cls, values, "perceptual setting")
        if "correction" in values:
            values["correction"] = CorrectionSettings.from_dict(values["correction"])
        return cls(**values)

    @classmethod
    def fast(cls) -> PerceptualSettings:
        """Return the fast decoder: the default but for ``FAST_STEPS`` DPM-Solver++ steps and
        correction steps of ``FAST_LEARNING_RATE``: a tenth of the default's time on a 256×256
        photo, and less realistic (``benchmarks/results/decoder_speed.json``)."""
        return cls(sampler="dpm++", steps=FAST_STEPS, correction=CorrectionSettings(learning_rate=FAST_LEARNING_RATE))

    @classmethod
    def paper(cls, height: int, width: int, correct: bool = True) -> PerceptualSettings:
        """Return the paper's sampler for height×width images: 1000 evenly spaced DDPM steps, the
        image-space constraint, the ζ that takes the authors' step (``constraints.paper_zeta``) and
        DPS's plain clip (band 1) and gradient (no even pull), from pure noise with no colour
        anchor. The paper saves the sample as is (``correct=False``); the book's correction, as the
        default decoder's, stays on by default."""
        return cls(steps=1000, sampler="ddpm", constraint="image", zeta=paper_zeta(height, width), spacing="uniform",
                   band=1.0, even_pull=False, anchor=None, correct=correct)


def _check(valid: dict[str, bool]) -> None:
    """Raise one IdemlabError naming every message whose check failed."""
    problems = [message for message, ok in valid.items() if not ok]
    if problems:
        raise IdemlabError("; ".join(problems))


def _known(cls: type, values: object, kind: str) -> dict:
    """Return a copy of ``values`` if it is a dict of the dataclass's field names (each a ``kind``,
    as "perceptual setting"); IdemlabError if not."""
    if not isinstance(values, dict):
        raise IdemlabError(f"{kind}s must be an object of names and values, not {type(values).__name__}")
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise IdemlabError(f"unknown {kind} {unknown[0]!r}; the settings are {', '.join(known)}")
    return dict(values)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: object, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low
