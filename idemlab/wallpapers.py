"""More training photographs: the photos among the wallpapers that Debian's KDE package ships.

Training time only — the book build and the tests never need these. ``fetch(DIR)`` runs
``apt-get download plasma-workspace-wallpapers`` and ``dpkg-deb -x`` into DIR (Debian or Ubuntu
with apt); ``load(DIR)`` reads the photographs listed in ``PHOTOS`` (the package's other
wallpapers are vector art and are left out). Train and test are split by photo: ``TEST`` photos
are never used for training. Book: Part II, chapter "The MSE codec" (data section).
"""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from idemlab.errors import IdemlabError
from idemlab.images import read_image

PACKAGE = "plasma-workspace-wallpapers"


@dataclass(frozen=True)
class Wallpaper:
    """One photograph of the package: its folder, the author and licence its metadata states."""

    name: str
    author: str
    licence: str

    @property
    def path(self) -> str:
        """Return the file's path inside the package, relative to its root."""
        size = "5120x2880" if self.name == "Volna" else "2560x1600"
        return f"usr/share/wallpapers/{self.name}/contents/images/{size}.jpg"


PHOTOS = tuple(Wallpaper(*row) for row in (
    ("BytheWater", "Maciej Wiklo", "LGPLv3"), ("ColdRipple", "Risto Saukonpää", "LGPLv3"),
    ("ColorfulCups", "Dmitri Popov", "LGPLv3"), ("DarkestHour", "Risto Saukonpää", "LGPLv3"),
    ("EveningGlow", "Ian Hex", "LGPLv3"), ("FallenLeaf", "Martin Klapetek", "LGPLv3"),
    ("Grey", "Sigi Sagi", "LGPLv3"), ("Kite", "Risto Saukonpää", "LGPLv3"),
    ("OneStandsOut", "Risto Saukonpää", "LGPLv3"), ("Path", "Risto Saukonpää", "LGPLv3"),
    ("summer_1am", "Risto Saukonpää", "LGPLv3"), ("Volna", "Nikita Babin", "CC-BY-SA-4.0"),
))
TEST = ("ColorfulCups", "Path")  # held out by photo
TRAIN = tuple(p.name for p in PHOTOS if p.name not in TEST)


def fetch(root: str | Path) -> Path:
    """Return root after downloading the Debian package and unpacking it there (needs apt)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        try:
            subprocess.run(["apt-get", "download", PACKAGE], cwd=download, check=True, capture_output=True)
            (deb,) = Path(download).glob("*.deb")
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError, ValueError) as error:
            raise IdemlabError(f"could not fetch {PACKAGE} with apt-get ({type(error).__name__}); "
                               f"train on the package photos or on --data DIR instead") from None
    return root


def load(root: str | Path, names: tuple[str, ...] = TRAIN, max_side: int = 1280) -> list[np.ndarray]:
    """Return the named photographs from an unpacked package under root as uint8 RGB, shrunk
    (Lanczos) so that the longer side is at most ``max_side``."""
    from idemlab.data import downscale

    known = {p.name: p for p in PHOTOS}
    images = []
    for name in names:
        if name not in known:
            raise IdemlabError(f"{name!r} is not one of the wallpaper photographs {sorted(known)}")
        path = Path(root) / known[name].path
        if not path.is_file():
            raise IdemlabError(f"{path} is missing; unpack {PACKAGE} there first (idemlab.wallpapers.fetch)")
        image = read_image(path)
        images.append(downscale(image, max(1.0, max(image.shape[:2]) / max_side)))
    return images
