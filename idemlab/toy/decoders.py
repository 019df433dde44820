"""Toy decoders g: midpoint, MMSE (conditional mean) and posterior sampling.

Each factory returns a function from symbols y to reconstructions, so that decoders can be
compared and iterated by the same code. Book: chapters "Idempotence" and "Theorem 1".
"""
from __future__ import annotations

from typing import Callable

import numpy as np

Decoder = Callable[[np.ndarray], np.ndarray]


def midpoint_decoder(encoder) -> Decoder:
    """Return y ↦ the centre of the cell (a uniform quantiser's classical decoder)."""
    return encoder.midpoint


def mmse_decoder(source, encoder) -> Decoder:
    """Return y ↦ E[X | f(X) = y], the decoder that minimises the squared error.

    The conditional mean is computed once per distinct symbol (y of scalar symbols).
    """

    def decode(y: np.ndarray) -> np.ndarray:
        distinct, index = np.unique(y, return_inverse=True)
        return source.cell_mean(encoder.cell(distinct))[index.reshape(np.shape(y))]

    return decode


def posterior_sampling_decoder(source, encoder, rng: np.random.Generator) -> Decoder:
    """Return y ↦ a fresh exact sample of p(X | f(X) = y): the perfect-realism decoder."""
    return lambda y: source.cell_sample(encoder.cell(y), rng)
