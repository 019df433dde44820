"""Training checkpoints, written so that a run killed while saving keeps its previous one."""
from __future__ import annotations

from pathlib import Path

import torch


def save_atomically(state: dict, path: Path) -> None:
    """Save a checkpoint's state to a temporary file beside ``path``, then rename it over ``path``."""
    temporary = path.with_suffix(".tmp")
    torch.save(state, temporary)
    temporary.replace(path)
