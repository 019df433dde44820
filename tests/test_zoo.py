"""compressai zoo loading, offline: a locally saved checkpoint of the architecture goes through
the same path as the downloaded one, and a missing one fails at once with the fallback named."""

import pytest
import torch
from compressai.models import ScaleHyperprior

from idemlab.codec.zoo import load_zoo_codec, zoo_checkpoint_path
from idemlab.errors import IdemlabError


def test_a_locally_saved_checkpoint_loads_through_the_zoo_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch.manual_seed(0)
    saved = ScaleHyperprior(128, 192)  # the architecture of zoo qualities 1–5
    saved.update(force=True)
    path = zoo_checkpoint_path(2)
    path.parent.mkdir(parents=True)
    torch.save(saved.state_dict(), path)
    model = load_zoo_codec(2)
    assert (model.N, model.M) == (128, 192) and not model.training
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        coded = model.compress(x)
        decoded = model.decompress(coded["strings"], coded["shape"])["x_hat"]
        expected = saved.decompress(saved.compress(x)["strings"], coded["shape"])["x_hat"]
    torch.testing.assert_close(decoded, expected)


def test_a_missing_checkpoint_offline_fails_fast_naming_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(IdemlabError, match="downloads are off; use the shipped small codec"):
        load_zoo_codec(3)


def test_unknown_quality_is_refused():
    with pytest.raises(IdemlabError, match="qualities"):
        zoo_checkpoint_path(9)


def test_the_suites_network_guard_refuses_and_reports_a_connection(no_network):
    import socket

    with pytest.raises(OSError, match="no network access"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    assert no_network == [("192.0.2.1", 80)]
    no_network.clear()  # the guard did its job; do not fail this test for it
