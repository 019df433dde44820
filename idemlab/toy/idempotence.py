"""Idempotence f(g(y)) = y, measured once and over repeated re-compression generations.

Book: chapter "Idempotence" (notebooks/02_idempotence.ipynb).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from idemlab.toy.decoders import Decoder


def same_symbols(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return, per sample (first axis), whether all of its symbols agree."""
    equal = np.asarray(a) == np.asarray(b)
    return np.all(equal, axis=tuple(range(1, equal.ndim)))


def idempotence_rate(encoder, decoder: Decoder, y: np.ndarray) -> float:
    """Return the fraction of samples whose reconstruction re-encodes to its own symbols."""
    return float(np.mean(same_symbols(encoder.encode(decoder(y)), y)))


@dataclass
class Generations:
    """Return-type of :func:`recompression_generations`: per generation k = 1..K,

    ``changed[k-1]``, the fraction of samples whose symbols differ from generation k−1;
    ``drifted[k-1]``, the fraction whose symbols differ from the first encoding;
    ``mse[k-1]``, the mean squared error of generation k's reconstruction to the source.
    """

    changed: np.ndarray
    drifted: np.ndarray
    mse: np.ndarray


def recompression_generations(x: np.ndarray, encoder, decoder: Decoder, n: int) -> Generations:
    """Return symbol change and distortion over n rounds of encode → decode → encode …"""
    first = previous = encoder.encode(x)
    changed, drifted, mse = [], [], []
    for _ in range(n):
        x_hat = decoder(previous)
        mse.append(np.mean(np.sum((x_hat - x).reshape(len(x), -1) ** 2, axis=1)))
        current = encoder.encode(x_hat)
        changed.append(1.0 - np.mean(same_symbols(current, previous)))
        drifted.append(1.0 - np.mean(same_symbols(current, first)))
        previous = current
    return Generations(np.array(changed), np.array(drifted), np.array(mse))
