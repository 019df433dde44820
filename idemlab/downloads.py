"""Whether this process may download pre-trained weights, and where torch hub caches them (the
full-scale path only)."""
from __future__ import annotations

import os
from pathlib import Path

NETWORK_FREE_FALLBACK = "use the network-free measures of idemlab.realism instead"


def offline() -> bool:
    """Return whether downloads are switched off (``HF_HUB_OFFLINE`` or ``IDEMLAB_OFFLINE`` set)."""
    return any(os.environ.get(name, "") not in ("", "0") for name in ("HF_HUB_OFFLINE", "IDEMLAB_OFFLINE"))


def hub_checkpoint_path(url: str) -> Path:
    """Return where torch hub caches (and looks for) the checkpoint downloaded from ``url``."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name


def require_cached_or_online(path: Path, what: str) -> None:
    """Raise IdemlabError (one sentence naming the fallback) if the weights ``what`` at ``path``
    are not cached while downloads are off."""
    from idemlab.errors import IdemlabError

    if not path.is_file() and offline():
        raise IdemlabError(f"{what} ({path.name}) are not in torch hub's cache and downloads are off; "
                           f"{NETWORK_FREE_FALLBACK}")
