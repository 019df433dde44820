"""Controlled distortions of uint8 RGB images, to test what a realism measure sees.

Each takes an image (H, W, 3) and a strength, and returns a distorted image of the same size:
grain (white noise), blur, JPEG blocks, a colour cast, a smear (an elastic warp), a local patch
shuffle, which keeps every pixel's colour and texture and destroys structure, and a patchwork of
squares, each with its own colour offset (the seams of a windowed sampler).
Book: Part II, chapter "Measuring realism".
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter
from scipy.ndimage import gaussian_filter, map_coordinates


def _seeded(image: np.ndarray, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, int(np.asarray(image, np.int64).sum())])  # a different draw per image


def white_noise(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Return the image plus Gaussian white noise of ``sigma`` gray levels (rounded, clipped)."""
    noisy = image + _seeded(image, seed).normal(0, sigma, image.shape)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def blur(image: np.ndarray, radius: float) -> np.ndarray:
    """Return the image after a Gaussian blur of ``radius`` pixels (Pillow)."""
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius)))


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Return the image after a round trip through JPEG at ``quality`` (Pillow, 4:2:0)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def colour_cast(image: np.ndarray, delta_e: float) -> np.ndarray:
    """Return the image with its CIELAB chroma moved by ``delta_e`` towards green-yellow (a cast)."""
    from skimage.color import lab2rgb, rgb2lab

    lab = rgb2lab(image)
    lab[..., 1] -= delta_e / np.sqrt(2)
    lab[..., 2] += delta_e / np.sqrt(2)
    return np.clip(np.round(lab2rgb(lab) * 255), 0, 255).astype(np.uint8)


def elastic_warp(image: np.ndarray, amplitude: float, smoothness: float = 4.0, seed: int = 0) -> np.ndarray:
    """Return the image resampled along a smooth random displacement field whose pixels move by
    about ``amplitude`` pixels (a smear that bends edges and lines)."""
    rng = _seeded(image, seed)
    h, w = image.shape[:2]
    field = [gaussian_filter(rng.normal(size=(h, w)), smoothness, mode="reflect") for _ in range(2)]
    field = [amplitude * f / (f.std() + 1e-12) for f in field]
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    coordinates = [rows + field[0], cols + field[1]]
    warped = np.stack([map_coordinates(image[..., c].astype(float), coordinates, order=1, mode="reflect")
                       for c in range(3)], -1)
    return np.clip(np.round(warped), 0, 255).astype(np.uint8)


def patch_shuffle(image: np.ndarray, reach: int, block: int = 8, seed: int = 0) -> np.ndarray:
    """Return the image with its block×block tiles swapped with tiles up to ``reach`` tiles away
    (each tile's pixels intact, the arrangement destroyed)."""
    rng = _seeded(image, seed)
    rows, cols = image.shape[0] // block, image.shape[1] // block
    out = image.copy()
    order = np.arange(rows * cols).reshape(rows, cols)
    for r in range(rows):
        for c in range(cols):
            r2 = int(np.clip(r + rng.integers(-reach, reach + 1), 0, rows - 1))
            c2 = int(np.clip(c + rng.integers(-reach, reach + 1), 0, cols - 1))
            order[r, c], order[r2, c2] = order[r2, c2], order[r, c]
    tiles = image[: rows * block, : cols * block].reshape(rows, block, cols, block, 3).swapaxes(1, 2).reshape(-1, block, block, 3)
    out[: rows * block, : cols * block] = tiles[order.ravel()].reshape(rows, cols, block, block, 3).swapaxes(1, 2).reshape(
        rows * block, cols * block, 3)
    return out


def patchwork(image: np.ndarray, strength: float, period: int = 32, offset: int = 0, seed: int = 0) -> np.ndarray:
    """Return the image with each period×period square of a grid (lines at ``offset`` + k·period)
    shifted by its own random colour of about ``strength`` gray levels a channel: the patchwork
    a sampler leaves when each attention window settles its colour alone."""
    rng = _seeded(image, seed)
    out = image.astype(np.float64)
    starts = lambda n: range(offset % period - period if offset % period else 0, n, period)
    for top in starts(image.shape[0]):
        for left in starts(image.shape[1]):
            out[max(top, 0): top + period, max(left, 0): left + period] += rng.normal(0, strength, 3)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
