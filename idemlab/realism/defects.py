"""Two defects a set measure can miss, measured per image: window seams and colour casts.

- ``seam_index``: how much sharper the image changes across the lines of a square grid (the
  prior's attention windows, every 32 pixels for the shipped prior) than elsewhere. A natural
  photo scores about 1; a patchwork of independently coloured squares scores well above it.
- ``colour_cast``: the mean CIELAB ΔE between a decode and its original after both are shrunk to
  1/8 of their size, so that only the colour of whole regions counts, not texture or grain.

Book: Part II, chapter "Measuring realism".
"""
from __future__ import annotations

import numpy as np


def _gradients(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean absolute difference over the channels between each pixel and the next one
    down (H−1, W) and to the right (H, W−1)."""
    x = np.asarray(image, np.float64)
    return np.abs(np.diff(x, axis=0)).mean(-1), np.abs(np.diff(x, axis=1)).mean(-1)


def seam_index(image: np.ndarray, period: int = 32, offset: int = 0) -> float:
    """Return the mean absolute gradient across the lines between pixels ``offset + k·period − 1``
    and ``offset + k·period`` (rows and columns), divided by the mean absolute gradient across
    every other line. 1: the grid is invisible. Needs an image larger than ``period`` on one side."""
    if max(image.shape[:2]) <= period:
        raise ValueError(f"a {image.shape[0]}×{image.shape[1]} image has no grid line every {period} pixels")
    down, right = _gradients(image)
    on_grid = [(np.arange(1, n) - offset) % period == 0 for n in image.shape[:2]]
    across = np.concatenate([down[on_grid[0]].ravel(), right[:, on_grid[1]].ravel()])
    elsewhere = np.concatenate([down[~on_grid[0]].ravel(), right[:, ~on_grid[1]].ravel()])
    return float(across.mean() / max(elsewhere.mean(), 1e-12))


def _shrunk_lab(image: np.ndarray, factor: int) -> np.ndarray:
    from skimage.color import rgb2lab

    h, w = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    blocks = np.asarray(image[:h, :w], np.float64).reshape(h // factor, factor, w // factor, factor, 3)
    return rgb2lab(blocks.mean((1, 3)) / 255)


def colour_cast(decoded: np.ndarray, original: np.ndarray, factor: int = 8) -> float:
    """Return the mean CIELAB ΔE (1976) between two images of one size after each is shrunk by
    ``factor`` (the mean of each factor×factor block): 0 for the same colours region by region;
    a ΔE of about 2–3 is where people begin to see a difference side by side."""
    if decoded.shape != original.shape:
        raise ValueError(f"images of different sizes: {decoded.shape} and {original.shape}")
    if min(decoded.shape[:2]) < factor:
        raise ValueError(f"a {decoded.shape[0]}×{decoded.shape[1]} image is smaller than {factor} pixels")
    return float(np.linalg.norm(_shrunk_lab(decoded, factor) - _shrunk_lab(original, factor), axis=-1).mean())
