"""How large an image idemlab agrees to code or decode, checked before anything is allocated.

The default, 4096×4096 pixels, keeps the MSE codec under about 2 GB of memory; pass
``max_pixels=`` (``--max-pixels`` on the command line) to go beyond it. Book: Part II, chapter
"The MSE codec".
"""
from __future__ import annotations

from idemlab.errors import IdemlabError

MAX_PIXELS = 4096 * 4096


def check_size(width: int, height: int, max_pixels: int | None = None, what: str = "the image") -> None:
    """Return None if a width×height image is within the limit; raise IdemlabError otherwise."""
    limit = MAX_PIXELS if max_pixels is None else max_pixels
    if width * height > limit:
        raise IdemlabError(f"{what} is {width}×{height} = {width * height:,} pixels, above the limit of "
                           f"{limit:,}; raise it with --max-pixels (max_pixels=) if you have the memory")
