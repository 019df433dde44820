"""JPEG (Pillow) as the classical baseline, at a given quality or at a matched bit rate.

Book: Part II, chapters "The MSE codec" and "Results and ablations".
"""
from __future__ import annotations

from io import BytesIO

import numpy as np
from PIL import Image


def jpeg(image: np.ndarray, quality: int) -> tuple[float, np.ndarray]:
    """Return (bpp from the file size, decoded uint8 image) of Pillow's JPEG at a quality 1–95."""
    buffer = BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    decoded = np.asarray(Image.open(BytesIO(buffer.getvalue())).convert("RGB"))
    return 8 * buffer.tell() / (image.shape[0] * image.shape[1]), decoded


def jpeg_at_bpp(image: np.ndarray, bpp: float) -> tuple[float, np.ndarray]:
    """Return JPEG at the quality whose bpp is closest to the target (bpp, decoded image)."""
    return min((jpeg(image, quality) for quality in range(1, 96)), key=lambda result: abs(result[0] - bpp))
