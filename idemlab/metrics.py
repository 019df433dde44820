"""Measures of reconstructions. Book: Part II, chapters "The MSE codec" and "Re-compression drift"."""
from __future__ import annotations

import numpy as np


def psnr(reconstruction: np.ndarray, original: np.ndarray) -> float:
    """Return the PSNR in dB between two 8-bit images, or two sets of them (the MSE over all pixels; peak 255)."""
    mse = np.mean((np.asarray(reconstruction, float) - np.asarray(original, float)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))
