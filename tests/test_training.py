"""Both training commands: a two-step smoke run, and resuming equals not stopping (2 + 2 = 4 steps)."""
import hashlib

import pytest
import torch

from idemlab.codec.model import SmallScaleHyperprior
from idemlab.codec.train import train as train_codec
from idemlab.prior.train import train as train_prior


def codec_weights(folder):
    return torch.load(folder / "model.pt", weights_only=True)["state_dict"]


def test_codec_training_runs_and_resumes_exactly(tmp_path):
    straight = train_codec(1, 10, tmp_path / "straight", batch_size=2, max_steps=4)
    assert straight["steps"] == 4 and straight["command"][:3] == ["python", "-m", "idemlab.codec.train"]
    train_codec(1, 10, tmp_path / "split", batch_size=2, max_steps=2)
    resumed = train_codec(1, 10, tmp_path / "split", batch_size=2, max_steps=4, resume=True)
    assert resumed["steps"] == 4
    a, b = codec_weights(tmp_path / "straight"), codec_weights(tmp_path / "split")
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)


def test_prior_training_runs_and_resumes_exactly(tmp_path):
    options = dict(batch_size=2, channels=(32, 32), progress=False)
    train_prior(tmp_path / "straight", 10, max_steps=4, **options)
    train_prior(tmp_path / "split", 10, max_steps=2, **options)
    log = train_prior(tmp_path / "split", 10, max_steps=4, resume=True, **options)
    assert log["steps"] == 4
    from safetensors.torch import load_file

    a = load_file(tmp_path / "straight" / "diffusion_pytorch_model.safetensors")
    b = load_file(tmp_path / "split" / "diffusion_pytorch_model.safetensors")
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no GPU on this machine")
def test_a_prior_trained_on_a_gpu_resumes_on_the_cpu_and_is_saved_for_the_cpu(tmp_path):
    options = dict(batch_size=2, channels=(32, 32), progress=False)
    on_gpu = train_prior(tmp_path, 10, max_steps=2, device="cuda", **options)
    assert on_gpu["machine"] == torch.cuda.get_device_name()
    log = train_prior(tmp_path, 10, max_steps=4, resume=True, device="cpu", **options)
    assert log["steps"] == 4 and "CPU" in log["machine"]
    from idemlab.prior import load_prior

    prior = load_prior(tmp_path)
    assert next(prior.unet.parameters()).device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no GPU on this machine")
def test_a_codec_trained_on_a_gpu_resumes_on_the_cpu_and_codes_files_there(tmp_path):
    from idemlab.codec.model import load_codec
    from idemlab.codec.train import write_model_card

    on_gpu = train_codec(0, 10, tmp_path, batch_size=2, max_steps=2, device="cuda")
    assert on_gpu["machine"] == torch.cuda.get_device_name()
    assert f"on one {torch.cuda.get_device_name()}" in write_model_card(tmp_path).read_text()
    log = train_codec(0, 10, tmp_path, batch_size=2, max_steps=4, resume=True, device="cpu")
    assert log["steps"] == 4 and "CPU" in log["machine"]
    model = load_codec(tmp_path / "model.pt")
    assert next(model.parameters()).device.type == "cpu" and model.compress(torch.rand(1, 3, 32, 32))["strings"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_codec_training_on_a_gpu_that_is_not_there_is_refused_in_one_sentence(tmp_path):
    from idemlab.errors import IdemlabError

    with pytest.raises(IdemlabError, match="torch sees no CUDA GPU here"):
        train_codec(0, 10, tmp_path, batch_size=2, max_steps=2, device="cuda")


def test_a_resumed_codec_run_may_lower_the_learning_rate_and_logs_it(tmp_path):
    from idemlab.codec.train import write_model_card

    train_codec(1, 10, tmp_path, batch_size=2, max_steps=2)
    log = train_codec(1, 10, tmp_path, batch_size=2, max_steps=3, resume=True, lr=5e-5)
    assert log["lr"] == 5e-4 and log["changes"] == [{"step": 2, "lr": 5e-5}]
    log = train_codec(1, 10, tmp_path, batch_size=2, max_steps=4, resume=True, lr=5e-5)
    assert log["changes"] == [{"step": 2, "lr": 5e-5}]  # unchanged: nothing new to log
    card = write_model_card(tmp_path).read_text()
    assert "Adam lr 0.0005, seed 0; from step 2: lr 5e-05," in card
    digest = hashlib.sha256((tmp_path / "model.pt").read_bytes()).hexdigest()
    assert card.endswith(f"## Weights\n\n- `model.pt`: SHA-256 `{digest}`\n")  # the weights the card describes


def test_a_trained_codec_is_stored_in_fp16_and_codes_like_its_float32_self(tmp_path, monkeypatch):
    from idemlab.codec import model as codec_model
    from idemlab.data import held_out_patches
    from idemlab.images import to_tensor

    train_codec(1, 10, tmp_path / "codec-q1", batch_size=2, max_steps=2)
    stored = codec_weights(tmp_path / "codec-q1")
    learned = {name for name, _ in SmallScaleHyperprior().named_parameters()}
    assert {str(v.dtype) for name, v in stored.items() if name in learned} == {"torch.float16"}
    buffers = {name: v for name, v in stored.items() if name not in learned}
    assert {str(v.dtype) for v in buffers.values()} == {"torch.float32", "torch.int32"}
    assert buffers["gaussian_conditional.likelihood_lower_bound.bound"].item() == pytest.approx(1e-9)  # not rounded to 0
    monkeypatch.setattr(codec_model, "WEIGHTS_DIR", tmp_path)  # load it the way the shipped codecs load
    codec = codec_model.load_shipped_codec(1)
    assert all(p.dtype == torch.float32 for p in codec.parameters())
    for name, value in codec.state_dict().items():  # exactly the stored values, widened
        torch.testing.assert_close(value, stored[name].to(value.dtype), rtol=0, atol=0, msg=name)
    tiles = to_tensor(held_out_patches()[:2])
    with torch.no_grad():
        coded = codec.compress(tiles)
        assert codec.decompress(coded["strings"], coded["shape"])["x_hat"].shape == tiles.shape


def test_a_prior_warm_starts_from_a_saved_one_and_its_card_asks_for_the_photos_it_was_trained_on(tmp_path):
    from diffusers import UNet2DModel

    from idemlab.errors import IdemlabError
    from idemlab.prior.card import write_card
    from idemlab.prior.load import load_prior

    train_prior(tmp_path / "first", 10, max_steps=1, batch_size=2, channels=(32, 32), progress=False)
    log = train_prior(tmp_path / "second", 10, max_steps=1, batch_size=2, progress=False, init=tmp_path / "first")
    assert log["init"] == str(tmp_path / "first") and log["channels"] == [32, 32]  # the saved prior's architecture
    assert log["init_training"]["steps"] == 1  # the warm start's own log goes on the model card
    assert tuple(UNet2DModel.from_pretrained(tmp_path / "second").config.block_out_channels) == (32, 32)
    (tmp_path / "second" / "training.json").write_text(
        (tmp_path / "second" / "training.json").read_text().replace('"wallpapers": null', '"wallpapers": ["Kite"]'))
    with pytest.raises(IdemlabError, match="trained on the wallpaper photos too: pass --wallpapers DIR"):
        write_card(tmp_path / "second", load_prior(tmp_path / "second"), n=2, steps=1)
