"""Exact toy sources: a 1-D Gaussian mixture and an offset 2-D Gaussian.

Each source can sample itself, and, for the cells of the toy encoders, give the exact cell
probability, the exact conditional mean (the MMSE decoder) and exact conditional samples (the
posterior-sampling decoder). Book: chapters "Idempotence" and "Theorem 1".
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import integrate, special, stats

from idemlab.toy.cells import Annulus, Interval


def log_interval_probability(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return log(Φ(b) − Φ(a)) for standard-normal bounds a ≤ b, accurate in both tails."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    right = a > 0  # in the right tail use Φ(b) − Φ(a) = Φ(−a) − Φ(−b)
    upper = np.where(right, special.log_ndtr(-a), special.log_ndtr(b))
    lower = np.where(right, special.log_ndtr(-b), special.log_ndtr(a))
    with np.errstate(divide="ignore", invalid="ignore"):
        return upper + np.log1p(-np.exp(lower - upper))


class GaussianMixture1D:
    """A scalar Gaussian mixture Σ_k w_k N(m_k, s_k²), with exact cell posteriors.

    A single Gaussian is the mixture with one component (see :func:`gaussian`).
    """

    def __init__(self, weights: npt.ArrayLike, means: npt.ArrayLike, stds: npt.ArrayLike) -> None:
        self.weights = np.asarray(weights, float) / np.sum(weights)
        self.means = np.asarray(means, float)
        self.stds = np.asarray(stds, float)
        if not (self.weights.shape == self.means.shape == self.stds.shape):
            raise ValueError("weights, means and stds must have the same length")
        if np.any(self.stds <= 0):
            raise ValueError("component standard deviations must be positive")

    @property
    def mean(self) -> float:
        """Return E[X]."""
        return float(self.weights @ self.means)

    @property
    def variance(self) -> float:
        """Return Var[X]."""
        return float(self.weights @ (self.stds**2 + self.means**2) - self.mean**2)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Return n independent samples of X."""
        k = rng.choice(len(self.weights), size=n, p=self.weights)
        return self.means[k] + self.stds[k] * rng.standard_normal(n)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Return the density p(x)."""
        x = np.asarray(x, float)[..., None]
        return np.sum(self.weights * stats.norm.pdf(x, self.means, self.stds), axis=-1)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Return the distribution function P(X ≤ x)."""
        x = np.asarray(x, float)[..., None]
        return np.sum(self.weights * stats.norm.cdf(x, self.means, self.stds), axis=-1)

    def noised(self, alpha_bar: float) -> "GaussianMixture1D":
        """Return the law of √ᾱ·X + √(1−ᾱ)·ε, ε ~ N(0, 1): again a Gaussian mixture."""
        return GaussianMixture1D(
            self.weights,
            np.sqrt(alpha_bar) * self.means,
            np.sqrt(alpha_bar * self.stds**2 + 1.0 - alpha_bar),
        )

    def score_and_derivative(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return d/dx log p(x) and d²/dx² log p(x); the second differentiates Tweedie's x̂₀."""
        x = np.asarray(x, float)
        shape = (-1,) + (1,) * x.ndim  # components first: the sums over them are elementwise adds
        means, stds = self.means.reshape(shape), self.stds.reshape(shape)
        z = (x - means) / stds
        log_joint = np.log(self.weights / self.stds).reshape(shape) - 0.5 * z**2
        r = np.exp(log_joint - log_joint.max(axis=0))
        r /= r.sum(axis=0)
        slopes = -z / stds
        score = np.sum(r * slopes, axis=0)
        return score, np.sum(r * (slopes**2 - 1.0 / stds**2), axis=0) - score**2

    def score(self, x: np.ndarray) -> np.ndarray:
        """Return the score d/dx log p(x)."""
        return self.score_and_derivative(x)[0]

    # --- exact posteriors on interval cells -------------------------------------------
    def _cell_components(self, cell: Interval):
        if not isinstance(cell, Interval):
            raise TypeError(f"a 1-D source has interval cells, not {type(cell).__name__}")
        lo = np.asarray(cell.lo, float)[..., None]
        hi = np.asarray(cell.hi, float)[..., None]
        a, b = (lo - self.means) / self.stds, (hi - self.means) / self.stds
        log_z = log_interval_probability(a, b)
        log_w = np.log(self.weights) + log_z
        log_p = special.logsumexp(log_w, axis=-1)
        if np.any(~np.isfinite(log_p)):
            raise ValueError("a cell has zero probability under this source")
        return a, b, np.exp(log_w - log_p[..., None]), log_p

    def cell_probability(self, cell: Interval) -> np.ndarray:
        """Return P(X ∈ cell)."""
        return np.exp(self._cell_components(cell)[3])

    def cell_mean(self, cell: Interval) -> np.ndarray:
        """Return E[X | X ∈ cell]: the MMSE reconstruction of that cell."""
        a, b, post_w, _ = self._cell_components(cell)
        component_means = stats.truncnorm.mean(a, b, loc=self.means, scale=self.stds)
        return np.sum(post_w * component_means, axis=-1)

    def cell_cdf(self, cell: Interval, x: np.ndarray) -> np.ndarray:
        """Return P(X ≤ x | X ∈ cell) for one cell (scalar bounds) at the points x."""
        a, b, post_w, _ = self._cell_components(cell)
        z = (np.asarray(x, float)[..., None] - self.means) / self.stds
        return np.sum(post_w * stats.truncnorm.cdf(z, a, b), axis=-1)

    def cell_sample(self, cell: Interval, rng: np.random.Generator) -> np.ndarray:
        """Return one exact sample of p(X | X ∈ cell) per cell (the posterior sampler)."""
        a, b, post_w, _ = self._cell_components(cell)
        cumulative = np.cumsum(post_w, axis=-1)
        u = rng.random(cumulative.shape[:-1])[..., None]
        k = np.minimum(np.sum(u > cumulative, axis=-1), len(self.weights) - 1)[..., None]
        a_k, b_k = np.take_along_axis(a, k, -1)[..., 0], np.take_along_axis(b, k, -1)[..., 0]
        z = stats.truncnorm.rvs(a_k, b_k, random_state=rng)
        return self.means[k[..., 0]] + self.stds[k[..., 0]] * z


def gaussian(std: float = 1.0, mean: float = 0.0) -> GaussianMixture1D:
    """Return the scalar Gaussian N(mean, std²) as a one-component mixture."""
    return GaussianMixture1D([1.0], [mean], [std])


class OffsetGaussian2D:
    """The isotropic 2-D Gaussian N(μ, σ²I) with exact posteriors on rings around the origin.

    In polar coordinates its radius is Rician and, given the radius r, its angle is von Mises
    around arg μ with concentration r‖μ‖/σ²; both are sampled exactly.
    """

    def __init__(self, mean: npt.ArrayLike = (1.5, 0.0), std: float = 1.0) -> None:
        self.mu = np.asarray(mean, float)
        self.std = float(std)
        self._norm = float(np.linalg.norm(self.mu))
        self._angle = float(np.arctan2(self.mu[1], self.mu[0]))
        self._direction = self.mu / self._norm if self._norm > 0 else np.array([1.0, 0.0])
        # ‖X‖²/σ² is noncentral chi-square with 2 degrees of freedom
        self._radius2 = stats.ncx2(df=2, nc=(self._norm / self.std) ** 2)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Return n samples of X, shape (n, 2)."""
        return self.mu + self.std * rng.standard_normal((n, 2))

    def _radius_cdf(self, r: np.ndarray) -> np.ndarray:
        return self._radius2.cdf((np.asarray(r, float) / self.std) ** 2)

    def _check(self, cell) -> Annulus:
        if not isinstance(cell, Annulus):
            raise TypeError(f"this 2-D source has ring cells, not {type(cell).__name__}")
        return cell

    def cell_probability(self, cell: Annulus) -> np.ndarray:
        """Return P(lo ≤ ‖X‖ < hi)."""
        cell = self._check(cell)
        return self._radius_cdf(cell.hi) - self._radius_cdf(cell.lo)

    def radius_pdf(self, r: np.ndarray) -> np.ndarray:
        """Return the (Rician) density of ‖X‖."""
        return stats.rice.pdf(r, self._norm / self.std, scale=self.std)

    def cell_mean(self, cell: Annulus) -> np.ndarray:
        """Return E[X | lo ≤ ‖X‖ < hi], shape (..., 2): the MMSE reconstruction of a ring.

        E[X | r] = r·I₁(κ)/I₀(κ)·μ/‖μ‖ with κ = r‖μ‖/σ², averaged over the ring by quadrature.
        """
        cell = self._check(cell)
        lo, hi = np.broadcast_arrays(np.asarray(cell.lo, float), np.asarray(cell.hi, float))
        kappa = self._norm / self.std**2
        out = np.empty(lo.shape)
        for index in np.ndindex(lo.shape):
            numerator = integrate.quad(
                lambda r: r * special.i1e(kappa * r) / special.i0e(kappa * r) * self.radius_pdf(r),
                lo[index], hi[index],
            )[0]
            out[index] = numerator / (self._radius_cdf(hi[index]) - self._radius_cdf(lo[index]))
        return out[..., None] * self._direction

    def cell_sample(self, cell: Annulus, rng: np.random.Generator) -> np.ndarray:
        """Return one exact sample of p(X | lo ≤ ‖X‖ < hi) per cell, shape (..., 2)."""
        cell = self._check(cell)
        lo, hi = np.broadcast_arrays(np.asarray(cell.lo, float), np.asarray(cell.hi, float))
        u = rng.uniform(self._radius_cdf(lo), self._radius_cdf(hi))
        r = self.std * np.sqrt(self._radius2.ppf(u))
        theta = rng.vonmises(self._angle, r * self._norm / self.std**2)
        return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1)
