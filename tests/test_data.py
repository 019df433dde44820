"""Offline patches: deterministic, split by photo, right shapes and range."""
import numpy as np
import pytest

from idemlab.data import TEST_PHOTOS, TRAIN_PHOTOS, PatchSampler, downscale, load_photo, held_out_patches, to_tensor


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
