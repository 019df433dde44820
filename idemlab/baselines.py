"""JPEG and WebP (Pillow) as the classical baselines: at a quality, at a matched bit rate, or at
the same file size as one of our files; and the Bjøntegaard delta between two RD curves.

Book: Part II, chapters "The MSE codec" and "Results and ablations".
"""
from __future__ import annotations

from io import BytesIO

import numpy as np
from PIL import Image

FORMATS = {"jpeg": dict(format="JPEG", optimize=True), "webp": dict(format="WEBP", method=6)}


def classical(image: np.ndarray, quality: int, codec: str = "jpeg") -> tuple[int, np.ndarray]:
    """Return (file bytes, decoded uint8 image) of Pillow's JPEG (optimised Huffman tables) or
    WebP (slowest, best method) at a quality 0–100."""
    buffer = BytesIO()
    Image.fromarray(image).save(buffer, quality=quality, **FORMATS[codec])
    decoded = np.asarray(Image.open(BytesIO(buffer.getvalue())).convert("RGB"))
    return buffer.tell(), decoded


def jpeg(image: np.ndarray, quality: int) -> tuple[float, np.ndarray]:
    """Return (bpp from the file size, decoded uint8 image) of Pillow's JPEG at a quality 1–95."""
    size, decoded = classical(image, quality, "jpeg")
    return 8 * size / (image.shape[0] * image.shape[1]), decoded


def jpeg_at_bpp(image: np.ndarray, bpp: float) -> tuple[float, np.ndarray]:
    """Return JPEG at the quality whose bpp is closest to the target (bpp, decoded image)."""
    return min((jpeg(image, quality) for quality in range(1, 96)), key=lambda result: abs(result[0] - bpp))


def at_most(image: np.ndarray, max_bytes: int, codec: str) -> tuple[int, np.ndarray] | None:
    """Return (bytes, decoded image) of the highest quality whose file is at most ``max_bytes``
    (bisection over the quality); None if even quality 0 is larger."""
    low, high, best = 0, 100, None
    while low <= high:
        quality = (low + high) // 2
        size, decoded = classical(image, quality, codec)
        if size <= max_bytes:
            best, low = (size, decoded), quality + 1
        else:
            high = quality - 1
    return best


def _mean_gap(x_a: np.ndarray, y_a: np.ndarray, x_b: np.ndarray, y_b: np.ndarray) -> float:
    """Return the mean of y_b − y_a between cubic fits of y against x over the x both cover (NaN
    where they do not overlap)."""
    low, high = max(x_a.min(), x_b.min()), min(x_a.max(), x_b.max())
    if low >= high:
        return float("nan")
    fit_a, fit_b = (np.polyint(np.polyfit(x, y, min(3, len(x) - 1))) for x, y in ((x_a, y_a), (x_b, y_b)))
    area = lambda fit: np.polyval(fit, high) - np.polyval(fit, low)  # noqa: E731
    return float((area(fit_b) - area(fit_a)) / (high - low))


def bd_psnr(rates_a: np.ndarray, psnr_a: np.ndarray, rates_b: np.ndarray, psnr_b: np.ndarray) -> float:
    """Return the Bjøntegaard delta PSNR (dB) of curve b over curve a: the mean vertical gap of
    cubic fits of PSNR against log rate over the rates both cover (b better when positive)."""
    return _mean_gap(np.log(rates_a), np.asarray(psnr_a), np.log(rates_b), np.asarray(psnr_b))


def bd_rate(rates_a: np.ndarray, psnr_a: np.ndarray, rates_b: np.ndarray, psnr_b: np.ndarray) -> float:
    """Return the Bjøntegaard delta rate (%) of curve b against curve a: how much more rate b needs
    for the same PSNR, on average over the PSNRs both cover (b better when negative)."""
    gap = _mean_gap(np.asarray(psnr_a), np.log(rates_a), np.asarray(psnr_b), np.log(rates_b))
    return float(100 * np.expm1(gap))
