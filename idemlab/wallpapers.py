"""More training photographs: the photos among the wallpapers that Debian packages ship.

Training time only — the book build and the tests never need these. ``fetch(DIR)`` runs
``apt-get download`` and ``dpkg-deb -x`` into DIR for each package of ``PACKAGES`` (Debian or
Ubuntu with apt); ``load(DIR)`` reads the photographs listed in ``PHOTOS``. The packages' other
wallpapers are digital art and are left out (``ukui-wallpapers``, ``gnome-backgrounds`` and
``sway-backgrounds`` hold no photographs at all). Train and test are split by photo: ``TEST``
photos are never used for training. The shipped codecs and the shipped prior trained on the
others (their model cards list them).
"""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from idemlab.errors import IdemlabError
from idemlab.images import downscale, read_image


@dataclass(frozen=True)
class Wallpaper:
    """One photograph: its name, the package and file that hold it, its author and licence as
    the package's copyright file states them."""

    name: str
    package: str
    path: str
    author: str
    licence: str


def _plasma(name: str, author: str, licence: str = "LGPLv3") -> Wallpaper:
    size = "5120x2880" if name == "Volna" else "2560x1600"
    return Wallpaper(name, "plasma-workspace-wallpapers", f"usr/share/wallpapers/{name}/contents/images/{size}.jpg",
                     author, licence)


def _lomiri(name: str, file: str, author: str, licence: str, release: str = "16.04") -> Wallpaper:
    return Wallpaper(name, f"lomiri-wallpapers-{release}", f"usr/share/backgrounds/{file}.jpg", author, licence)


def _mate(name: str, author: str) -> Wallpaper:
    return Wallpaper(name, "mate-backgrounds", f"usr/share/backgrounds/mate/nature/{name}.jpg", author, "GPL-2+")


PHOTOS = (
    _plasma("BytheWater", "Maciej Wiklo"), _plasma("ColdRipple", "Risto Saukonpää"),
    _plasma("ColorfulCups", "Dmitri Popov"), _plasma("DarkestHour", "Risto Saukonpää"),
    _plasma("EveningGlow", "Ian Hex"), _plasma("FallenLeaf", "Martin Klapetek"), _plasma("Grey", "Sigi Sagi"),
    _plasma("Kite", "Risto Saukonpää"), _plasma("OneStandsOut", "Risto Saukonpää"), _plasma("Path", "Risto Saukonpää"),
    _plasma("summer_1am", "Risto Saukonpää"), _plasma("Volna", "Nikita Babin", "CC-BY-SA-4.0"),
    _lomiri("Bridge", "Bridge_by_Sander_Klootwijk", "Sander Klootwijk", "CC-BY-SA-4.0"),
    _lomiri("Dragonfly", "Dragonfly_by_Bolly", "Bolly", "CC-BY-SA-4.0"),
    _lomiri("Fig", "Picture_0B_by_freespace", "Trevor Freespace", "CC-BY-4.0"),
    _lomiri("Brushes", "Picture_1A_by_freespace", "Trevor Freespace", "CC-BY-4.0"),
    _lomiri("Wine", "Wine_by_Jakkub_Mede", "Jakub Mede", "CC-BY-4.0"),
    _lomiri("Aitzgorri", "aitzgorri_by_Aitzol_Berasategi", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("Free", "free_by_Peter_Nerlich", "Peter Nerlich", "CC-BY-SA-4.0"),
    _lomiri("Friends", "friends_by_Aitzol_Berasategi", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("Greentock", "greentock_by_Peter_Nerlich", "Peter Nerlich", "CC-BY-SA-4.0"),
    _lomiri("Life", "life_by_Aitzol_Berasategi", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("PicosDeEuropa", "picosdeeuropa_by_Aitzol_Berasategi", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("Seeding", "seeding_by_Clements_Engelhardt", "Clemens Engelhardt", "CC0-1.0"),
    _lomiri("Sunset", "sunset_by_Aitzol_Berasategi", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("Kleiber", "Kleiber_by_Lukas_Baubkus", "Lukas Baubkus", "CC-BY-SA-3.0", release="20.04"),
    _mate("Aqua", "Charles Barbin"), _mate("Blinds", "Lennart Poettering"), _mate("Dune", "Marco Cogoni"),
    _mate("FreshFlower", "Jens Ansorg"), _mate("Garden", "Charles Barbin"), _mate("GreenMeadow", "Timothy Schellhase"),
    _mate("LadyBird", "Charles Barbin"), _mate("RainDrops", "blackcombwhistler07"), _mate("Storm", "Sergey Nazarov"),
    _mate("TwoWings", "Charles Barbin"), _mate("Wood", "Jean-François Fortin Tam"),
    _mate("YellowFlower", "Charles Barbin"),
)
PACKAGES = tuple(dict.fromkeys(p.package for p in PHOTOS))
TEST = ("ColorfulCups", "Path", "PicosDeEuropa", "LadyBird")  # held out by photo, one or two per package
TRAIN = tuple(p.name for p in PHOTOS if p.name not in TEST)


def fetch(root: str | Path, packages: tuple[str, ...] = PACKAGES) -> Path:
    """Return root after downloading the Debian packages and unpacking them there (needs apt)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for package in packages:
        with tempfile.TemporaryDirectory() as download:
            try:
                subprocess.run(["apt-get", "download", package], cwd=download, check=True, capture_output=True)
                (deb,) = Path(download).glob("*.deb")
                subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, capture_output=True)
            except (OSError, subprocess.CalledProcessError, ValueError) as error:
                raise IdemlabError(f"could not fetch {package} with apt-get ({type(error).__name__}); "
                                   f"train on the package photos or on --data DIR instead") from None
    return root


def load(root: str | Path, names: tuple[str, ...] = TRAIN, max_side: int = 1280) -> list[np.ndarray]:
    """Return the named photographs from the packages unpacked under root as uint8 RGB, shrunk
    (Lanczos) so that the longer side is at most ``max_side``."""
    known = {p.name: p for p in PHOTOS}
    images = []
    for name in names:
        if name not in known:
            raise IdemlabError(f"{name!r} is not one of the wallpaper photographs {sorted(known)}")
        path = Path(root) / known[name].path
        if not path.is_file():
            raise IdemlabError(f"{path} is missing; unpack {known[name].package} there first (idemlab.wallpapers.fetch)")
        image = read_image(path, max_pixels=2**26)  # the packages hold photos of up to 6028×3391
        images.append(downscale(image, max(1.0, max(image.shape[:2]) / max_side)))
    return images
