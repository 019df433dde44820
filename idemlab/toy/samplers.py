"""Constrained sampling of the unconditional model: p(X) restricted to f(X) = y.

Book: chapter "Theorem 2" (notebooks/04_theorem2.ipynb).
"""
from __future__ import annotations

import numpy as np

from idemlab.toy.idempotence import same_symbols


def rejection_sample(
    source, encoder, y, n: int, rng: np.random.Generator, batch: int = 100_000,
    max_draws: int = 100_000_000,
) -> tuple[np.ndarray, float]:
    """Return n samples of X ~ p(X) kept only where f(X) = y, and the acceptance rate.

    Uses nothing but the unconditional sampler and the encoder: by Theorem 2 the kept samples
    follow the posterior p(X | f(X) = y) exactly.
    """
    kept, draws = [], 0
    while sum(len(k) for k in kept) < n:
        if draws >= max_draws:
            raise RuntimeError(f"fewer than {n} acceptances in {draws} draws: P(f(X)=y) is too small")
        x = source.sample(batch, rng)
        draws += batch
        symbols = encoder.encode(x)
        kept.append(x[same_symbols(symbols, np.broadcast_to(y, symbols.shape))])
    samples = np.concatenate(kept)
    return samples[:n], len(samples) / draws
