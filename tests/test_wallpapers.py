"""The wallpaper photographs (training time only): the split, and one sentence for each way an
unpacked package can be wrong. The real packages are never fetched here."""
import subprocess

import numpy as np
import pytest
from PIL import Image

from idemlab import wallpapers
from idemlab.errors import IdemlabError


def test_every_package_has_train_and_test_photos_and_a_licence():
    assert not set(wallpapers.TRAIN) & set(wallpapers.TEST)
    assert len({p.name for p in wallpapers.PHOTOS}) == len(wallpapers.PHOTOS)
    for package in wallpapers.PACKAGES:
        names = {p.name for p in wallpapers.PHOTOS if p.package == package}
        assert names & set(wallpapers.TRAIN), package
    assert {p.package for p in wallpapers.PHOTOS if p.name in wallpapers.TEST} >= {
        "plasma-workspace-wallpapers", "lomiri-wallpapers-16.04", "mate-backgrounds"}
    assert all(p.author and p.licence for p in wallpapers.PHOTOS)


def place(root, name, content):
    path = root / next(p.path for p in wallpapers.PHOTOS if p.name == name)
    path.parent.mkdir(parents=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        Image.fromarray(content).save(path)
    return path


def test_an_unpacked_photo_loads_shrunk_to_the_longest_side(tmp_path):
    place(tmp_path, "Storm", np.random.default_rng(0).integers(0, 256, (300, 500, 3), dtype=np.uint8))
    (image,) = wallpapers.load(tmp_path, ("Storm",), max_side=100)
    assert image.shape == (60, 100, 3) and image.dtype == np.uint8


def test_a_missing_package_folder_names_the_package(tmp_path):
    with pytest.raises(IdemlabError, match="missing; unpack mate-backgrounds there first"):
        wallpapers.load(tmp_path, ("Storm",))


def test_a_corrupt_photo_is_one_sentence(tmp_path):
    path = place(tmp_path, "Bridge", b"\xff\xd8\xff\xe0 not really a JPEG")
    with pytest.raises(IdemlabError, match=f"{path} is not an image that can be read"):
        wallpapers.load(tmp_path, ("Bridge",))


def test_an_unknown_name_lists_the_photos(tmp_path):
    with pytest.raises(IdemlabError, match="not one of the wallpaper photographs"):
        wallpapers.load(tmp_path, ("Lena",))


def test_fetch_without_apt_is_one_sentence(tmp_path, monkeypatch):
    def no_apt(*args, **kwargs):
        raise FileNotFoundError("apt-get")

    monkeypatch.setattr(subprocess, "run", no_apt)
    with pytest.raises(IdemlabError, match="could not fetch plasma-workspace-wallpapers with apt-get"):
        wallpapers.fetch(tmp_path)
