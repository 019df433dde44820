"""Deterministic toy encoders f: a uniform scalar quantiser, a ring quantiser with non-convex
cells, and a 2-D transform quantiser.

Book: chapter "Idempotence" (notebooks/02_idempotence.ipynb).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from idemlab.toy.cells import Annulus, Interval


@dataclass(frozen=True)
class UniformQuantizer:
    """f(x) = ⌊x/Δ + ½⌋: the scalar quantiser with convex cells [(y−½)Δ, (y+½)Δ)."""

    step: float = 1.0

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Return the integer symbols of x."""
        return np.floor(np.asarray(x, float) / self.step + 0.5).astype(np.int64)

    def cell(self, y: np.ndarray) -> Interval:
        """Return the cell f⁻¹(y)."""
        y = np.asarray(y, float)
        return Interval((y - 0.5) * self.step, (y + 0.5) * self.step)

    def midpoint(self, y: np.ndarray) -> np.ndarray:
        """Return the cell centres yΔ: the classical, non-generative decoder."""
        return np.asarray(y, float) * self.step


@dataclass(frozen=True)
class RingQuantizer:
    """f(x) = ⌊‖x‖/Δ⌋ for x in the plane: its cells are rings, which are not convex.

    The MMSE reconstruction of a ring can fall inside the hole, so the MMSE decoder of this
    encoder is not idempotent, while a posterior sampler still is (Theorem 1).
    """

    step: float = 1.0

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Return the ring index of each point, x of shape (..., 2)."""
        return np.floor(np.linalg.norm(x, axis=-1) / self.step).astype(np.int64)

    def cell(self, y: np.ndarray) -> Annulus:
        """Return the ring f⁻¹(y)."""
        y = np.asarray(y, float)
        return Annulus(y * self.step, (y + 1.0) * self.step)


@dataclass(frozen=True)
class TransformQuantizer:
    """f(x) = ⌊A x/Δ + ½⌋ for x in the plane: transform coding with parallelogram cells."""

    matrix: np.ndarray
    step: float = 1.0

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Return the integer symbols of A x/Δ, shape (..., 2)."""
        return np.floor(np.asarray(x, float) @ np.asarray(self.matrix).T / self.step + 0.5).astype(
            np.int64
        )

    def linear_decoder(self, decoder_matrix: np.ndarray):
        """Return the decoder y ↦ B·yΔ; B = A⁻¹ is the exact inverse of the transform."""
        decoder_matrix = np.asarray(decoder_matrix, float)
        return lambda y: (np.asarray(y, float) * self.step) @ decoder_matrix.T
