"""Quantisation cells of the toy encoders: the sets f⁻¹(y) that Theorem 1 is about.

Book: chapter "Idempotence" (notebooks/02_idempotence.ipynb).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """Return-type of 1-D cells: the half-open intervals [lo, hi), elementwise."""

    lo: np.ndarray
    hi: np.ndarray


@dataclass(frozen=True)
class Annulus:
    """Return-type of radial cells: the rings lo ≤ ‖x‖ < hi around the origin, elementwise."""

    lo: np.ndarray
    hi: np.ndarray
