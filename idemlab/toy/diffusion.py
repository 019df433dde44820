"""Diffusion posterior sampling on a 1-D Gaussian mixture, where every score is exact.

The prior's noised marginals are again Gaussian mixtures, so the score, Tweedie's x̂₀ and its
derivative are closed forms: the only errors left are those of the sampler and its guidance.
Book: chapter "From exact to approximate inversion" (notebooks/06_approximate_inversion.ipynb).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from idemlab.toy.encoders import UniformQuantizer
from idemlab.toy.sources import GaussianMixture1D

ConstraintGradient = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class VPSchedule:
    """DDPM's variance-preserving schedule: linear β from beta_start to beta_end."""

    num_train_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02

    @property
    def alphas_cumprod(self) -> np.ndarray:
        """Return ᾱ_t = Π_{s≤t} (1 − β_s) for t = 0..T−1."""
        betas = np.linspace(self.beta_start, self.beta_end, self.num_train_timesteps)
        return np.cumprod(1.0 - betas)

    def timesteps(self, n_steps: int) -> np.ndarray:
        """Return n_steps timesteps from T−1 down to 0, evenly spaced."""
        return np.round(np.linspace(self.num_train_timesteps - 1, 0, n_steps)).astype(int)


def ste_constraint(quantizer: UniformQuantizer) -> ConstraintGradient:
    """Return ∇ of ‖g(Q_ste(f(x̂₀))) − g(y)‖: the paper's image-space idempotence constraint.

    Straight-through rounding passes the gradient through Q unchanged, so the pull is ±1 when
    x̂₀ re-encodes to another symbol and exactly zero once it is inside the cell f⁻¹(y).
    """
    return lambda x0, y: np.sign(quantizer.midpoint(quantizer.encode(x0)) - quantizer.midpoint(y))


def latent_constraint(quantizer: UniformQuantizer) -> ConstraintGradient:
    """Return ∇ of ‖f(x̂₀) − y‖ with the unrounded analysis f(x) = x/Δ: pulls to the cell centre."""
    return lambda x0, y: np.sign(x0 / quantizer.step - y) / quantizer.step


def reconstruction_guidance(decoder: Callable[[np.ndarray], np.ndarray]) -> ConstraintGradient:
    """Return ∇ of ‖x̂₀ − g(y)‖: guidance towards a decoder's output, not an idempotence constraint.

    g(y) is decoded once per bitstream y, not at every step of the sampler.
    """
    decoded: dict[tuple, np.ndarray] = {}

    def gradient(x0: np.ndarray, y: np.ndarray) -> np.ndarray:
        key = (np.shape(y), np.asarray(y).dtype.str, np.ascontiguousarray(y).tobytes())
        if key not in decoded:
            decoded.clear()
            decoded[key] = decoder(y)
        return np.sign(x0 - decoded[key])

    return gradient


def dps_sample(
    prior: GaussianMixture1D,
    constraint_gradient: ConstraintGradient,
    y: np.ndarray,
    n: int,
    rng: np.random.Generator,
    n_steps: int = 1000,
    zeta: float = 1.0,
    eta: float = 1.0,
    schedule: VPSchedule = VPSchedule(),
) -> np.ndarray:
    """Return n samples of the prior guided towards f(X) = y (diffusion posterior sampling).

    Each step predicts x̂₀ by Tweedie's formula, takes the DDIM step with noise level η
    (η = 1 on all 1000 steps is ancestral DDPM), then subtracts ζ·∇_{x_t} c(x̂₀(x_t)).
    With ζ = 0 it samples the prior itself.
    """
    alphas_cumprod = schedule.alphas_cumprod
    timesteps = schedule.timesteps(n_steps)
    y = np.broadcast_to(y, (n,))
    x = rng.standard_normal(n)
    for i, t in enumerate(timesteps):
        a_t = alphas_cumprod[t]
        a_s = alphas_cumprod[timesteps[i + 1]] if i + 1 < len(timesteps) else 1.0
        score, score_derivative = prior.noised(a_t).score_and_derivative(x)
        x0 = (x + (1.0 - a_t) * score) / np.sqrt(a_t)  # Tweedie
        eps = (x - np.sqrt(a_t) * x0) / np.sqrt(1.0 - a_t)
        dx0_dx = (1.0 + (1.0 - a_t) * score_derivative) / np.sqrt(a_t)
        sigma = eta * np.sqrt((1.0 - a_s) / (1.0 - a_t) * (1.0 - a_t / a_s))
        x = (
            np.sqrt(a_s) * x0
            + np.sqrt(np.maximum(1.0 - a_s - sigma**2, 0.0)) * eps
            + sigma * rng.standard_normal(n)
            - zeta * constraint_gradient(x0, y) * dx0_dx
        )
    return x
