"""Whether this process may download pre-trained weights (the full-scale path only)."""
from __future__ import annotations

import os


def offline() -> bool:
    """Return whether downloads are switched off (``HF_HUB_OFFLINE`` or ``IDEMLAB_OFFLINE`` set)."""
    return any(os.environ.get(name, "") not in ("", "0") for name in ("HF_HUB_OFFLINE", "IDEMLAB_OFFLINE"))
