"""The statistics the Part I checks use, beyond what scipy.stats already provides.

Book: chapters "Theorem 2", "The distortion bound" and "From exact to approximate inversion".
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import integrate, stats


def ratio_confidence_interval(
    numerator: np.ndarray, denominator: np.ndarray, confidence: float = 0.99
) -> tuple[float, float, float]:
    """Return (ratio, low, high): E[a]/E[b] from paired i.i.d. samples, delta-method interval."""
    a, b = np.asarray(numerator, float), np.asarray(denominator, float)
    ratio = a.mean() / b.mean()
    standard_error = np.std(a - ratio * b, ddof=1) / (np.sqrt(len(a)) * b.mean())
    z = stats.norm.ppf(0.5 + confidence / 2)
    return float(ratio), float(ratio - z * standard_error), float(ratio + z * standard_error)


def w2_squared(a: np.ndarray, b: np.ndarray, quantiles: int = 10_000) -> float:
    """Return the squared 2-Wasserstein distance between two 1-D samples (quantile coupling)."""
    u = (np.arange(quantiles) + 0.5) / quantiles
    return float(np.mean((np.quantile(a, u) - np.quantile(b, u)) ** 2))


def w1_to_cdf(samples: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray], grid: int = 20_001) -> float:
    """Return W₁ = ∫|F_n(x) − F(x)| dx between a 1-D sample and an exact distribution function.

    The integral runs over the sample's range widened by its own width on each side, so the
    exact distribution's tails must lie within that (true for the bounded cells used here).
    """
    samples = np.sort(np.asarray(samples, float))
    width = samples[-1] - samples[0]
    x = np.linspace(samples[0] - width, samples[-1] + width, grid)
    empirical = np.searchsorted(samples, x, side="right") / len(samples)
    return float(integrate.trapezoid(np.abs(empirical - cdf(x)), x))
