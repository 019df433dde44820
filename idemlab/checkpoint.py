"""Training checkpoints, written so that a run killed while saving keeps its previous one, and the
weights section of a model card, which names each weights file with the SHA-256 a copy must match."""
from __future__ import annotations

import hashlib
from pathlib import Path

import torch


def save_atomically(state: dict, path: Path) -> None:
    """Save a checkpoint's state to a temporary file beside ``path``, then rename it over ``path``."""
    temporary = path.with_suffix(".tmp")
    torch.save(state, temporary)
    temporary.replace(path)


def weights_section(*paths: Path) -> str:
    """Return a model card's closing section: each weights file with its SHA-256."""
    lines = "\n".join(f"- `{path.name}`: SHA-256 `{hashlib.sha256(path.read_bytes()).hexdigest()}`" for path in paths)
    return f"\n## Weights\n\n{lines}\n"
