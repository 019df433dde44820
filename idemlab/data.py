"""Natural-image patches built offline from photographs that ship inside pip packages.

No download is ever needed: the photos come with scikit-image, scikit-learn and matplotlib.
Train and test are split *by photo*, so test patches come from pictures the models never saw.
Book: Part II, chapter "The MSE codec" (the data section lists the photos and their licences).
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from idemlab.errors import IdemlabError
from idemlab.images import downscale, read_image

# name → loader; all colour photographs (synthetic images and grayscale ones are left out)
TRAIN_PHOTOS = ("astronaut", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry",
                "retina", "flower", "grace_hopper")
TEST_PHOTOS = ("coffee", "china")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm")


def load_photo(name: str) -> np.ndarray:
    """Return one package-shipped photograph as a uint8 array of shape (H, W, 3)."""
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    if name == "grace_hopper":
        from matplotlib import cbook

        with cbook.get_sample_data("grace_hopper.jpg") as file:
            return np.asarray(Image.open(file).convert("RGB"))
    import skimage.data

    if name not in TRAIN_PHOTOS + TEST_PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose from {TRAIN_PHOTOS + TEST_PHOTOS}")
    return getattr(skimage.data, name)()


def read_folder(folder: str | Path) -> list[np.ndarray]:
    """Return every image under a folder of the user's own (any size, any mode that
    ``read_image`` accepts) as uint8 RGB, in path order; raise IdemlabError if there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IdemlabError(f"{folder} is not a folder")
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not paths:
        raise IdemlabError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return [read_image(path) for path in paths]


def training_images(data: str | Path | None = None, wallpapers: str | Path | None = None) -> list[np.ndarray] | None:
    """Return the images a model trains on: the user's folder ``data``, or the package photos plus
    the wallpaper photographs unpacked under ``wallpapers`` (``idemlab.wallpapers.fetch``); None
    means the package photos alone (``PatchSampler``'s default)."""
    if data is not None:
        return read_folder(data)
    if wallpapers is None:
        return None
    from idemlab import wallpapers as extra

    return [load_photo(name) for name in TRAIN_PHOTOS] + extra.load(wallpapers)


def training_data_note(log: dict) -> str:
    """Return the model cards' sentence on what a model was trained on, from its training log:
    the package photos (plus the wallpaper photographs), or the images in a user's folder; and
    the model it was warm-started from."""
    crops = f"random {log.get('size', 32)}×{log.get('size', 32)} multi-scale crops (factors 1–4, Lanczos) with flips of"
    if log.get("data"):
        note = f"{crops} the images in `{log['data']}`"
    else:
        note = (f"{crops} the training photos of `idemlab.data.TRAIN_PHOTOS`; the held-out photos (`TEST_PHOTOS`) "
                "are never seen in training")
    if log.get("wallpapers"):
        note += f", and of the wallpaper photographs {', '.join(log['wallpapers'])} (`idemlab.wallpapers`)"
    if log.get("init"):
        note += f"; warm-started from `{log['init']}`"
    return note


@lru_cache(maxsize=2)
def _pyramid(photos: tuple[str, ...], factors: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    return _shrunk([load_photo(p) for p in photos], factors)


def _shrunk(images: Sequence[np.ndarray], factors: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    return tuple(downscale(image, f) for image in images for f in factors)


class PatchSampler:
    """Random patches of the training photos: multi-scale crops with flips.

    Each photo is pre-shrunk by ``n_scales`` factors from 1 to ``max_factor`` (geometric);
    a patch picks a level with probability proportional to its area, a uniform position
    and a random horizontal flip. Deterministic given the seed. ``images`` replaces the package
    photos with the user's own (e.g. ``read_folder(...)``).
    """

    def __init__(self, size: int = 32, photos: tuple[str, ...] = TRAIN_PHOTOS, n_scales: int = 12,
                 max_factor: float = 4.0, seed: int = 0, images: Sequence[np.ndarray] | None = None) -> None:
        factors = tuple(float(f) for f in np.geomspace(1.0, max_factor, n_scales))
        pyramid = _pyramid(tuple(photos), factors) if images is None else _shrunk(images, factors)
        self.levels = [lvl for lvl in pyramid if min(lvl.shape[:2]) >= size]
        if not self.levels:
            raise IdemlabError(f"no image is at least {size}×{size} pixels; patches cannot be cut")
        areas = np.array([(lvl.shape[0] - size + 1) * (lvl.shape[1] - size + 1) for lvl in self.levels], float)
        self.level_probabilities = areas / areas.sum()
        self.size = size
        self.rng = np.random.default_rng(seed)

    def sample(self, n: int) -> np.ndarray:
        """Return n patches, uint8 of shape (n, size, size, 3)."""
        out = np.empty((n, self.size, self.size, 3), np.uint8)
        levels = self.rng.choice(len(self.levels), size=n, p=self.level_probabilities)
        for i, index in enumerate(levels):
            level = self.levels[index]
            top = self.rng.integers(0, level.shape[0] - self.size + 1)
            left = self.rng.integers(0, level.shape[1] - self.size + 1)
            patch = level[top:top + self.size, left:left + self.size]
            out[i] = patch[:, ::-1] if self.rng.random() < 0.5 else patch
        return out


def held_out_photos(factor: float = 2.0, photos: tuple[str, ...] = TEST_PHOTOS) -> list[np.ndarray]:
    """Return the held-out photographs shrunk by ``factor`` (uint8 RGB)."""
    return [downscale(load_photo(photo), factor) for photo in photos]


def tiles(image: np.ndarray, size: int = 32) -> np.ndarray:
    """Return the non-overlapping size×size tiles of an image, row by row (the rest is dropped)."""
    rows, cols = image.shape[0] // size, image.shape[1] // size
    image = image[: rows * size, : cols * size]
    return image.reshape(rows, size, cols, size, 3).swapaxes(1, 2).reshape(-1, size, size, 3)


def held_out_patches(size: int = 32, factor: float = 2.0, photos: tuple[str, ...] = TEST_PHOTOS) -> np.ndarray:
    """Return the fixed test set: non-overlapping size×size tiles of the held-out photos,
    shrunk by ``factor``; uint8 of shape (n, size, size, 3)."""
    return np.concatenate([tiles(photo, size) for photo in held_out_photos(factor, photos)])
