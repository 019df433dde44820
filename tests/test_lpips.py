"""LPIPS offline: AlexNet weights saved where torch hub caches the real ones go through the same
path as downloaded ones, and missing ones (or a missing torchmetrics) fail at once with one
sentence that names the fallback."""
import sys

import numpy as np
import pytest
import torch
import torchvision

from idemlab.errors import IdemlabError
from idemlab.lpips import alexnet_weights_path, lpips_distance


def save_stand_in_alexnet() -> None:
    """Save a randomly initialised AlexNet where torch hub keeps torchvision's ImageNet weights."""
    torch.manual_seed(0)
    path = alexnet_weights_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), path)


def test_locally_saved_weights_give_a_distance_per_image_zero_for_identical_images(offline_torch_home):
    save_stand_in_alexnet()
    distance = lpips_distance()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    noisy = np.clip(images + rng.normal(0, 40, images.shape), 0, 255).astype(np.uint8)
    same, different = distance(images, images), distance(images, noisy)
    assert same.shape == different.shape == (2,)
    assert np.allclose(same, 0, atol=1e-6) and (different > 1e-4).all()


def test_missing_weights_offline_fail_fast_naming_the_fallback(offline_torch_home):
    with pytest.raises(IdemlabError, match="downloads are off; use the network-free measures"):
        lpips_distance()


def test_without_torchmetrics_one_sentence_says_what_to_install(offline_torch_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchmetrics.image.lpip", None)  # as if not installed
    with pytest.raises(IdemlabError, match=r'pip install "idemlab\[full\]"'):
        lpips_distance()
