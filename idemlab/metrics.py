"""Measures of reconstructions. Book: Part II, chapters "The MSE codec" and "Re-compression drift"."""
from __future__ import annotations

import numpy as np


def psnr(reconstruction: np.ndarray, original: np.ndarray) -> float:
    """Return the PSNR in dB between two 8-bit images, or two sets of them (the MSE over all pixels; peak 255)."""
    mse = np.mean((np.asarray(reconstruction, float) - np.asarray(original, float)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def squared_errors(reconstructions: np.ndarray, originals: np.ndarray) -> np.ndarray:
    """Return each image's mean squared error in gray levels² (n,) for two stacks of 8-bit images."""
    difference = np.asarray(reconstructions, float) - np.asarray(originals, float)
    return (difference**2).reshape(len(difference), -1).mean(1)


def distortion_ratio(errors: np.ndarray, reference_errors: np.ndarray, resamples: int = 2000,
                     seed: int = 0) -> tuple[float, float, float]:
    """Return the ratio of two decoders' mean squared errors on the same images, with a 95 %
    bootstrap interval (the images resampled with replacement): (ratio, low, high).
    Book: Part II, chapter "Results and ablations" (the ×2 theorem on real images)."""
    errors, reference_errors = np.asarray(errors, float), np.asarray(reference_errors, float)
    picks = np.random.default_rng(seed).integers(0, len(errors), size=(resamples, len(errors)))
    ratios = errors[picks].mean(1) / reference_errors[picks].mean(1)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(errors.mean() / reference_errors.mean()), float(low), float(high)
