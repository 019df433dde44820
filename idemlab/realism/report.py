"""Every realism measure for two sets of images, each with its floor, interval and validation verdict.

All measures are oriented alike: larger means the first set is less like the reference.

- ``critic_accuracy`` — % of held-out crops a small critic tells apart (50 = indistinguishable);
- ``fid_like``, ``kid_like`` — FID and KID (×10³) in the shipped feature network, 64-px patches;
- ``niqe_difference`` — NIQE of the set minus NIQE of the reference (their 96-px patches pooled);
- ``patch_swd``, ``spectral_distance_db`` — texture statistics (7×7 patch SWD with 128 directions,
  power spectra), on the same 64-px patches.

The *floor* of a measure is its value for the reference against a disjoint half of itself (split
by image): what sampling alone gives. The interval is a 95 % delete-a-group jackknife over
images (the critic's: a bootstrap over its test images). ``passes_validation`` is the verdict of ``benchmarks/realism_validation.py``
(shipped as ``validation.json`` beside this module): may this measure decide anything?
Book: Part II, chapter "Results and ablations".
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from idemlab.errors import IdemlabError
from idemlab.realism.critic import critic_accuracy
from idemlab.realism.features import PATCH, embed, fid_from_features, kid_from_features, patches
from idemlab.realism.niqe import PATCH as NIQE_PATCH
from idemlab.realism.niqe import niqe_features, niqe_from_features
from idemlab.realism.texture import patch_swd, spectral_distance_db

MEASURES = ("critic_accuracy", "fid_like", "kid_like", "niqe_difference", "patch_swd", "spectral_distance_db")
VALIDATION = Path(__file__).with_name("validation.json")


def validation_verdicts(path: Path = VALIDATION) -> dict[str, bool | None]:
    """Return each measure's verdict from the shipped validation (None where it has not been validated)."""
    verdicts = json.loads(path.read_text())["verdicts"] if path.is_file() else {}
    return {name: verdicts.get(name, {}).get("passes") for name in MEASURES}


def _jackknife(first: list, second: list, statistic: Callable[[list, list], float], groups: int,
               seed: int) -> tuple[float, tuple[float, float]]:
    """Return the statistic of the two lists of per-image values and a 95 % interval from the
    delete-a-group jackknife: the images fall into ``groups`` random groups (paired lists group
    alike), each left out in turn. Unlike a bootstrap, it never duplicates an image, which
    would bias distances between sets such as FID."""
    value = statistic(first, second)
    rng = np.random.default_rng(seed)
    count = min(groups, len(first), len(second))
    labels = [rng.permutation(len(s)) % count for s in (first, second)]
    if len(first) == len(second):
        labels[1] = labels[0]
    left_out = [statistic([x for x, g in zip(first, labels[0]) if g != k], [x for x, g in zip(second, labels[1]) if g != k])
                for k in range(count)]
    error = np.sqrt((count - 1) / count * np.sum((np.array(left_out) - np.mean(left_out)) ** 2))
    return value, (value - 1.96 * float(error), value + 1.96 * float(error))


def _statistics(seed: int) -> dict[str, tuple[Callable[[np.ndarray], object], Callable[[list, list], float]]]:
    """Return, per set measure, what to compute once per image and how two lists of those give the measure."""
    def fid(a: list, b: list) -> float:
        return fid_from_features(torch.cat(a), torch.cat(b))

    def kid(a: list, b: list) -> float:
        return kid_from_features(torch.cat(a), torch.cat(b), seed=seed)

    def niqe_difference(a: list, b: list) -> float:
        return niqe_from_features(np.concatenate(a)) - niqe_from_features(np.concatenate(b))

    def swd(a: list, b: list) -> float:
        return float(patch_swd(np.concatenate(a), np.concatenate(b), directions=128, seed=seed).mean())

    def spectral(a: list, b: list) -> float:
        return spectral_distance_db(np.concatenate(a), np.concatenate(b))

    def features(image: np.ndarray) -> torch.Tensor:
        return embed(patches([image]))

    def own_patches(image: np.ndarray) -> np.ndarray:
        return patches([image])

    return {"fid_like": (features, fid), "kid_like": (features, kid), "niqe_difference": (niqe_features, niqe_difference),
            "patch_swd": (own_patches, swd), "spectral_distance_db": (own_patches, spectral)}


def _usable(images: Sequence[np.ndarray], side: int) -> bool:
    return all(min(np.shape(image)[:2]) >= side for image in images)


def measure_sets(images: Sequence[np.ndarray], reference: Sequence[np.ndarray], seed: int = 0, groups: int = 10,
                 measures: Sequence[str] = MEASURES) -> dict[str, dict]:
    """Return {measure: {"value", "interval"}} for a set of uint8 RGB images against a reference set;
    a measure the images are too small for gets {"value": None, "note": why}."""
    out, cache = {}, {}
    statistics = _statistics(seed)
    for name in measures:
        side = NIQE_PATCH if name == "niqe_difference" else PATCH
        try:
            if name == "critic_accuracy":
                result = critic_accuracy(images, reference, seed=seed)
                out[name] = {"value": result.accuracy, "interval": [result.low, result.high]}
                continue
            if not (_usable(images, side) and _usable(reference, side)):
                raise IdemlabError(f"needs images of at least {side}×{side} pixels")
            if min(len(images), len(reference)) < 2:
                raise IdemlabError("needs at least two images in each set")
            per_image, combine = statistics[name]
            key = per_image.__name__
            if key not in cache:
                cache[key] = ([per_image(i) for i in images], [per_image(i) for i in reference])
            value, interval = _jackknife(*cache[key], combine, groups, seed)
            out[name] = {"value": value, "interval": list(interval)}
        except IdemlabError as error:
            out[name] = {"value": None, "interval": None, "note": str(error)}
    return out


def floors(reference: Sequence[np.ndarray], seed: int = 0, measures: Sequence[str] = MEASURES) -> dict[str, dict]:
    """Return each measure for one random half of the reference (by image) against the other half."""
    order = np.random.default_rng(seed).permutation(len(reference))
    half = len(reference) // 2
    return measure_sets([reference[i] for i in order[:half]], [reference[i] for i in order[half:2 * half]], seed,
                        measures=measures)


def realism_report(images: Sequence[np.ndarray], reference: Sequence[np.ndarray], seed: int = 0,
                   measures: Sequence[str] = MEASURES) -> dict[str, dict]:
    """Return every measure of ``images`` against ``reference``: value, interval, floor (and its
    interval) and passes_validation; the dictionary ``idemlab realism --json`` prints."""
    values, floor = measure_sets(images, reference, seed, measures=measures), floors(reference, seed, measures)
    verdicts = validation_verdicts()
    for name in values:
        values[name] |= {"floor": floor[name]["value"], "floor_interval": floor[name]["interval"],
                         "passes_validation": verdicts[name]}
    return values
