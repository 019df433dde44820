"""One switch for the book: the embedded CPU models, or the paper's full-scale models on a GPU.

``IDEMLAB_SCALE=full`` (an environment variable, set before the notebook starts) makes
:func:`current_scale` return the paper's setting: compressai's pre-trained scale hyperprior at
three qualities, the 256×256 diffusers DDPM ``google/ddpm-ema-celebahq-256``, a 256×256
portrait, and the paper's sampler (1000 DDPM steps) beside the book's fast default, on a GPU
when there is one. Unset, or ``embedded``: the shipped small codec and prior on the CPU.
``IDEMLAB_STEPS=N`` caps every sampler at N steps (a quick look before the full run).
Book: Part II, chapters 9–11 (their models, examples and sampler) and "At full scale".
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import numpy as np

from idemlab.data import held_out_patches, load_photo
from idemlab.decoder.settings import PerceptualSettings
from idemlab.errors import IdemlabError
from idemlab.images import downscale

FULL_SIZE = 256
BOOK_DEFAULT = "100 DDPM steps (the book's default)"


@dataclass(frozen=True)
class Scale:
    """Which models a chapter runs, on what image, with which sampler, on which device."""

    name: str
    codec: str  # a codec family's name (``idemlab.codec.registry``)
    qualities: tuple[int, ...]
    prior: str | None  # a hub id or folder for ``load_prior``; None is the shipped small prior
    photo: str  # a photo of ``idemlab.data``, shrunk by ``factor`` and centre-cropped to ``size``
    factor: float
    size: int
    samplers: dict[str, PerceptualSettings]  # a label for each perceptual decoder the chapter runs
    device: str
    example_tiles: tuple[int, ...] = ()  # held-out 32×32 tiles the chapters show; none: the scale's image
    step_cap: int | None = None  # IDEMLAB_STEPS

    def image(self) -> np.ndarray:
        """Return the scale's test image: the photo shrunk by ``factor``, its centre size×size (uint8 RGB)."""
        photo = downscale(load_photo(self.photo), self.factor)
        top, left = (photo.shape[0] - self.size) // 2, (photo.shape[1] - self.size) // 2
        return np.ascontiguousarray(photo[top:top + self.size, left:left + self.size])

    def examples(self) -> np.ndarray:
        """Return the images chapters 9–11 decode (n, H, W, 3): the example tiles, or the scale's image."""
        return held_out_patches()[list(self.example_tiles)] if self.example_tiles else self.image()[None]

    def steps(self, steps: int) -> int:
        """Return a sampler's number of steps under this scale's cap (``IDEMLAB_STEPS``)."""
        return steps if self.step_cap is None else min(steps, self.step_cap)

    @property
    def default_sampler(self) -> PerceptualSettings:
        """Return the book's default perceptual decoder at this scale (capped like the others)."""
        return self.samplers[BOOK_DEFAULT]


SCALES = {
    # the shipped models; "coffee" is a held-out photo they never saw
    "embedded": Scale("embedded", "small-hyperprior", (1, 5), None, "coffee", 4.0, 64,
                      {BOOK_DEFAULT: PerceptualSettings()}, "cpu", example_tiles=(5, 20, 33, 61)),
    # the paper's kind of models; the face prior gets a portrait (Grace Hopper's, not in CelebA-HQ)
    "full": Scale("full", "bmshj2018-hyperprior", (1, 3, 5), "google/ddpm-ema-celebahq-256", "grace_hopper", 2.0,
                  FULL_SIZE, {"1000 DDPM steps (the paper's)": PerceptualSettings.paper(FULL_SIZE, FULL_SIZE),
                              BOOK_DEFAULT: PerceptualSettings()}, "auto"),
}


def current_scale() -> Scale:
    """Return the scale that ``IDEMLAB_SCALE`` names (``embedded`` when unset), with every sampler
    capped at ``IDEMLAB_STEPS`` steps where that is set; IdemlabError for any other value."""
    name = os.environ.get("IDEMLAB_SCALE", "embedded")
    if name not in SCALES:
        raise IdemlabError(f"IDEMLAB_SCALE is {name!r}; it must be one of {', '.join(SCALES)}")
    scale = SCALES[name]
    steps = os.environ.get("IDEMLAB_STEPS")
    if steps is None:
        return scale
    if not steps.isdigit() or int(steps) == 0:
        raise IdemlabError(f"IDEMLAB_STEPS is {steps!r}; it must be a positive whole number of sampler steps")
    scale = dataclasses.replace(scale, step_cap=int(steps))
    capped = {label: dataclasses.replace(settings, steps=scale.steps(settings.steps)) for label, settings in scale.samplers.items()}
    return dataclasses.replace(scale, samplers=capped)
