"""Re-compression generations of real files: decode → save as 8-bit → encode, again and again.

Book: Part II, chapter "Re-compression drift" (and the perceptual decoder's results later).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from idemlab.codec.pipeline import SMALL_HYPERPRIOR, decode, encode, symbols
from idemlab.metrics import psnr


@dataclass
class FileGenerations:
    """Return-type of :func:`file_generations`; each array has one entry per generation k = 1..n:

    ``y_changed``/``z_changed``: fraction of y/z symbols that differ from generation k−1's;
    ``identical``: fraction of images whose file is byte-identical to generation k−1's;
    ``psnr``: mean PSNR (dB) of generation k's reconstruction against the original images.
    """

    y_changed: np.ndarray
    z_changed: np.ndarray
    identical: np.ndarray
    psnr: np.ndarray


def decode_each(files: list[bytes]) -> list[np.ndarray]:
    """Return the MSE decoder's reconstruction of each file."""
    return [decode(data) for data in files]


def file_generations(images: list[np.ndarray], quality: int, n: int,
                     decoder: Callable[[list[bytes]], Sequence[np.ndarray]] = decode_each,
                     codec: int | str = SMALL_HYPERPRIOR) -> FileGenerations:
    """Return symbol changes, byte identity and PSNR over n rounds of decode → encode with
    ``codec``; ``decoder`` maps the files of one generation to their reconstructions (a batch
    decoder fits as is)."""
    files = [encode(image, quality, codec=codec) for image in images]
    codes = [symbols(image, quality, codec) for image in images]
    rows = []
    for _ in range(n):
        reconstructions = list(decoder(files))
        new_files = [encode(image, quality, codec=codec) for image in reconstructions]
        new_codes = [symbols(image, quality, codec) for image in reconstructions]
        rows.append((
            np.mean([(a[0] != b[0]).float().mean().item() for a, b in zip(codes, new_codes)]),
            np.mean([(a[1] != b[1]).float().mean().item() for a, b in zip(codes, new_codes)]),
            np.mean([a == b for a, b in zip(files, new_files)]),
            np.mean([psnr(r, i) for r, i in zip(reconstructions, images)]),
        ))
        files, codes = new_files, new_codes
    return FileGenerations(*map(np.array, zip(*rows)))
