"""Test-wide guard: no test may reach the network. A connection to anything but this machine is
refused and fails the test that tried it (which is how "fails fast offline" is checked: by the
absence of any attempt, not by a clock)."""
import socket

import pytest

LOCAL = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    attempts = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(original):
        def call(self, address):
            host = address[0] if isinstance(address, tuple) else ""
            if self.family != socket.AF_UNIX and host not in LOCAL:
                attempts.append(address)
                raise OSError(f"the test suite allows no network access (tried {address})")
            return original(self, address)
        return call

    monkeypatch.setattr(socket.socket, "connect", guarded(connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(connect_ex))
    yield attempts
    assert not attempts, f"the test tried to reach the network: {attempts}"


@pytest.fixture
def tiny_prior():
    """The tests' stand-in prior: an untrained two-level UNet (8 and 16 channels) for 32×32 images, seeded."""
    import torch

    from idemlab.prior import Prior, small_unet, training_scheduler

    torch.manual_seed(0)
    return Prior(small_unet(sample_size=32, channels=(8, 16)).eval(), training_scheduler())


@pytest.fixture
def offline_torch_home(tmp_path, monkeypatch):
    """Torch hub's cache in an empty temporary folder, downloads off (the LPIPS, FID and KID tests)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
