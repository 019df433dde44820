"""Shared by the benchmark scripts: machine description, JSON output and shared options."""
from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
WALLPAPER_SIDE = 192  # held-out wallpaper photos are measured at about the pixels of a package photo at 1/4 scale
THREADS = int(os.environ.get("OMP_NUM_THREADS", 2))  # torch threads: both of the book's cores, unless set (e.g. beside training)


def machine() -> dict:
    """Return a description of the machine the benchmark ran on."""
    import numpy
    import torch

    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "numpy": numpy.__version__,
            "torch": torch.__version__, "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None}


def write(name: str, figures: dict, folder: Path = RESULTS) -> Path:
    """Write NAME.json (in results/, or an experiment's ``folder``) with the machine, the command
    and the figures; return its path."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"command": " ".join([Path(sys.executable).name] + sys.argv),
                                "machine": machine(), "figures": figures}, indent=1))
    return path


def held_out_whole_photos(wallpapers: Path | None) -> dict:
    """Return the held-out photos the benchmarks code whole, by name: the package photos at 1/4
    scale and, with the folder ``idemlab.wallpapers.fetch`` unpacked, the held-out wallpapers."""
    from idemlab.data import TEST_PHOTOS, held_out_photos

    photos = dict(zip(TEST_PHOTOS, held_out_photos(factor=4.0)))
    if wallpapers is not None:
        from idemlab import wallpapers as extra

        photos |= {f"wallpaper-{name}": photo
                   for name, photo in zip(extra.TEST, extra.load(wallpapers, extra.TEST, max_side=WALLPAPER_SIDE))}
    return photos
