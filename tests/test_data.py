"""Offline patches: deterministic, split by photo, right shapes and range."""
import numpy as np
import pytest

from PIL import Image

from idemlab.data import TEST_PHOTOS, TRAIN_PHOTOS, PatchSampler, held_out_patches, load_photo, read_folder
from idemlab.errors import IdemlabError
from idemlab.images import downscale, to_tensor


def test_train_and_test_photos_are_disjoint_and_load_offline():
    assert not set(TRAIN_PHOTOS) & set(TEST_PHOTOS)
    for name in TRAIN_PHOTOS + TEST_PHOTOS:
        photo = load_photo(name)
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3


def test_unknown_photo_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown photo"):
        load_photo("lena")


def test_sampler_is_deterministic_given_the_seed():
    a, b = PatchSampler(seed=3).sample(32), PatchSampler(seed=3).sample(32)
    c = PatchSampler(seed=4).sample(32)
    assert a.shape == (32, 32, 32, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_downscale_is_anti_aliased():
    checkerboard = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)
    small = downscale(np.repeat(checkerboard[..., None], 3, axis=2), 4.0)
    assert small.shape == (16, 16, 3)
    assert abs(small.mean() - 127.5) < 10 and small.std() < 10  # averaged to grey, not aliased


def test_fixed_test_set_and_tensor_conversion():
    patches = held_out_patches()
    assert patches.shape == (114, 32, 32, 3)
    np.testing.assert_array_equal(patches, held_out_patches())
    tensor = to_tensor(patches[:4])
    assert tuple(tensor.shape) == (4, 3, 32, 32)
    assert 0.0 <= tensor.min() and tensor.max() <= 1.0


def test_a_folder_of_own_images_of_any_size_and_mode_feeds_the_sampler(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "nested").mkdir()
    Image.fromarray(rng.integers(0, 256, (53, 37), dtype=np.uint8)).save(tmp_path / "gray.png")
    Image.fromarray(rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)).save(tmp_path / "nested" / "photo.jpg")
    (tmp_path / "notes.txt").write_text("not an image, and not read")
    images = read_folder(tmp_path)
    assert [image.shape for image in images] == [(53, 37, 3), (90, 120, 3)]
    patches = PatchSampler(images=images, seed=1).sample(8)
    assert patches.shape == (8, 32, 32, 3) and patches.dtype == np.uint8


@pytest.mark.parametrize("content, message", [(None, "holds no images"), (b"text", "not an image"),
                                               ("tiny", "at least 32")])
def test_a_bad_image_folder_is_refused_in_one_sentence(tmp_path, content, message):
    if content == "tiny":
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "tiny.png")
    elif content is not None:
        (tmp_path / "broken.png").write_bytes(content)
    with pytest.raises(IdemlabError, match=message):
        PatchSampler(images=read_folder(tmp_path))


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(IdemlabError, match="is not a folder"):
        read_folder(tmp_path / "nowhere")
