"""Closed-form rate–distortion–perception of a scalar Gaussian source (MSE, squared W₂).

The formulas of Zhang et al. (2021), derived in the book by optimising over jointly Gaussian
(X, X̂): with X̂ ~ N(0, σ̂²) and correlation ρ, D = σ² + σ̂² − 2ρσσ̂, P = (σ − σ̂)² and
I(X; X̂) = −½ log₂(1 − ρ²) bits. Book: chapter "Rate–distortion–perception".
"""
from __future__ import annotations

import numpy as np


def mse_distortion(rate: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Return D(R, ∞) = σ²·2^(−2R), the classical distortion–rate function."""
    return sigma**2 * 2.0 ** (-2.0 * np.asarray(rate, float))


def perfect_realism_distortion(rate: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Return D(R, 0) = 2σ²(1 − √(1 − 2^(−2R))), the least MSE with p_X̂ = p_X."""
    return 2.0 * sigma**2 * (1.0 - np.sqrt(1.0 - 2.0 ** (-2.0 * np.asarray(rate, float))))


def rdp_distortion(rate: np.ndarray, perception: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Return D(R, P): the least MSE at rate R (bits) with W₂²(p_X, p_X̂) ≤ P."""
    rho = np.sqrt(1.0 - 2.0 ** (-2.0 * np.asarray(rate, float)))
    sigma_hat = np.maximum(sigma - np.sqrt(np.asarray(perception, float)), rho * sigma)
    return sigma**2 + sigma_hat**2 - 2.0 * rho * sigma * sigma_hat


def rdp_rate(distortion: np.ndarray, perception: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Return R(D, P) in bits: the least rate with MSE ≤ D and W₂²(p_X, p_X̂) ≤ P."""
    d, p = np.broadcast_arrays(np.asarray(distortion, float), np.asarray(perception, float))
    # the best reconstruction spread: √(σ²−D) if the perception budget allows it, else σ − √P
    sigma_hat = np.maximum(np.sqrt(np.maximum(sigma**2 - d, 0.0)), np.maximum(sigma - np.sqrt(p), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(sigma_hat > 0, (sigma**2 + sigma_hat**2 - d) / (2 * sigma * sigma_hat), 0.0)
    rho = np.clip(rho, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return -0.5 * np.log2(1.0 - rho**2)


def brute_force_rdp_rate(
    distortion: float, perception: float, sigma: float = 1.0, grid: int = 2001, max_rate: float = 6.0
) -> float:
    """Return R(D, P) by exhaustive search over jointly Gaussian (X, X̂) on a (σ̂, rate) grid.

    The grid is uniform in the rate (so its error is at most max_rate/(grid−1) bits) and in σ̂.
    """
    sigma_hat = np.linspace(0.0, 2.0 * sigma, grid)[:, None]
    rates = np.linspace(0.0, max_rate, grid)[None, :]
    rho = np.sqrt(1.0 - 2.0 ** (-2.0 * rates))
    d = sigma**2 + sigma_hat**2 - 2.0 * rho * sigma * sigma_hat
    feasible = (d <= distortion) & ((sigma - sigma_hat) ** 2 <= perception)
    return float(np.min(np.broadcast_to(rates, feasible.shape)[feasible])) if feasible.any() else float("inf")


class GaussianTestChannel:
    """Y = X + N with X ~ N(0, σ²), N ~ N(0, σ_N²) chosen so that I(X; Y) = R bits.

    The information-theoretic stand-in for an encoder at rate R, with every decoder in
    closed form. Book: chapters "Rate–distortion–perception" and "The distortion bound".
    """

    def __init__(self, rate: float, sigma: float = 1.0) -> None:
        self.rate, self.sigma = float(rate), float(sigma)
        self.noise_std = sigma / np.sqrt(2.0 ** (2.0 * rate) - 1.0)
        self.gain = sigma**2 / (sigma**2 + self.noise_std**2)  # E[X|Y] = gain·Y
        self.posterior_std = float(np.sqrt(mse_distortion(rate, sigma)))

    def encode(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return the channel output Y for the inputs x."""
        return x + self.noise_std * rng.standard_normal(np.shape(x))

    def posterior_mean(self, y: np.ndarray) -> np.ndarray:
        """Return E[X | Y = y], the MMSE decoder; its MSE is D(R, ∞)."""
        return self.gain * np.asarray(y)

    def posterior_sample(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return a sample of p(X | Y = y); its MSE is 2·D(R, ∞)."""
        return self.posterior_mean(y) + self.posterior_std * rng.standard_normal(np.shape(y))

    def rescaled_mean(self, y: np.ndarray) -> np.ndarray:
        """Return E[X|Y]/ρ: deterministic, distributed as X, with MSE D(R, 0)."""
        rho = np.sqrt(1.0 - 2.0 ** (-2.0 * self.rate))
        return self.posterior_mean(y) / rho
