"""Reading and writing images for the codec: 8-bit RGB in, 8-bit RGB PNG out, clear refusals.

Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from idemlab.errors import IdemlabError


def to_rgb8(image: Image.Image) -> np.ndarray:
    """Return a Pillow image as uint8 RGB (H, W, 3): grayscale is replicated, 16-bit is scaled
    to 8 bits, an opaque alpha channel is dropped; transparency is refused."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.int64)
        top = 65535 if values.max(initial=0) > 255 else 255
        image = Image.fromarray(np.round(np.clip(values, 0, top) * (255 / top)).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        alpha = np.asarray(image.convert("RGBA"))[..., 3]
        if alpha.min() < 255:
            raise IdemlabError("the image has transparent pixels; flatten it onto a background first")
    return np.array(image.convert("RGB"))  # a writable copy


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Return the image at path as uint8 RGB (H, W, 3); raise IdemlabError if it is not one."""
    try:
        with Image.open(path) as image:
            image.load()
            return to_rgb8(image)
    except FileNotFoundError:
        raise IdemlabError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise IdemlabError(f"{path} is not an image that can be read ({type(error).__name__})") from None


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes to path atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def png_bytes(image: np.ndarray) -> bytes:
    """Return an 8-bit RGB image (H, W, 3) encoded as PNG."""
    from io import BytesIO

    buffer = BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()
