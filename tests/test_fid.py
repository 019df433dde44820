"""FID and KID offline: Inception-v3 weights saved where torch hub caches the real ones go through
the same path as downloaded ones; missing ones (or missing packages) fail at once in one sentence."""
import sys
from unittest import mock

import numpy as np
import pytest
import torch

from idemlab.errors import IdemlabError
from idemlab.fid import inception_distances, inception_weights_path


def save_stand_in_inception() -> None:
    """Save a randomly initialised Inception-v3 of torch-fidelity's layout where torch hub keeps its weights."""
    from torch_fidelity import feature_extractor_inceptionv3 as module

    class Blank(module.FeatureExtractorInceptionV3):
        def load_state_dict(self, *args, **kwargs):  # nothing to load: the layers keep their random initialisation
            return None

    torch.manual_seed(0)
    with mock.patch.object(module, "load_state_dict_from_url", lambda *args, **kwargs: {}):
        blank = Blank("inception-v3-compat", ["2048"])
    for layer in blank.modules():  # variance-preserving weights, so that 90 random layers still tell images apart
        if isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    path = inception_weights_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(blank.state_dict(), path)


def test_locally_saved_weights_measure_sets_of_any_size_zero_for_the_same_set(offline_torch_home):
    save_stand_in_inception()
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in ((48, 64, 3), (64, 48, 3), (40, 40, 3))]
    flat = [np.full_like(image, 128) for image in images]
    same, different = inception_distances(images, images), inception_distances(flat, images)
    assert set(same) == {"fid", "kid_mean", "kid_std"}
    assert abs(same["fid"]) < 1e-2  # KID's unbiased estimate of the same set is not exactly 0
    assert different["fid"] > 1 and different["kid_mean"] > same["kid_mean"] + 0.1


def test_missing_weights_offline_fail_fast_naming_the_fallback(offline_torch_home):
    with pytest.raises(IdemlabError, match="not in torch hub's cache and downloads are off; use the network-free"):
        inception_distances([np.zeros((8, 8, 3), np.uint8)] * 2, [np.zeros((8, 8, 3), np.uint8)] * 2)


def test_one_image_is_not_a_set(offline_torch_home):
    with pytest.raises(IdemlabError, match="at least two images"):
        inception_distances([np.zeros((8, 8, 3), np.uint8)], [np.zeros((8, 8, 3), np.uint8)] * 2)


def test_without_torch_fidelity_one_sentence_says_what_to_install(offline_torch_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch_fidelity.feature_extractor_inceptionv3", None)  # as if not installed
    with pytest.raises(IdemlabError, match=r'pip install "idemlab\[full\]"'):
        inception_weights_path()
