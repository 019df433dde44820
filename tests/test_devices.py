"""Devices: what "auto", "cpu" and "cuda" resolve to, one sentence where no GPU is, and the
decoder's GPU path (run only where torch sees a GPU; the CPU verdict on files holds on both)."""
import numpy as np
import pytest
import torch
from PIL import Image

from idemlab.cli import main
from idemlab.codec.pipeline import encode
from idemlab.codec.received import SAFETY, judge, receive
from idemlab.data import held_out_patches
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.devices import distributed_backend, resolve_device
from idemlab.errors import IdemlabError

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no GPU on this machine")


def test_cpu_is_the_cpu_and_processes_on_it_talk_gloo():
    assert resolve_device("cpu") == torch.device("cpu")
    assert distributed_backend(torch.device("cpu")) == "gloo"
    assert distributed_backend(torch.device("cuda", 1)) == "nccl"


@no_gpu
def test_auto_is_the_cpu_where_there_is_no_gpu():
    assert resolve_device("auto") == resolve_device(None) == torch.device("cpu")


@no_gpu
@pytest.mark.parametrize("name", ["cuda", "cuda:0"])
def test_asking_for_a_gpu_where_there_is_none_is_one_sentence(name):
    with pytest.raises(IdemlabError, match="torch sees no CUDA GPU here; use --device cpu"):
        resolve_device(name)


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x"])
def test_an_unknown_device_is_refused(name):
    with pytest.raises(IdemlabError):
        resolve_device(name)


@no_gpu
def test_the_cli_refuses_a_gpu_it_does_not_have_and_writes_nothing(tmp_path, capsys):
    Image.fromarray(held_out_patches()[3]).save(tmp_path / "tile.png")
    main(["encode", str(tmp_path / "tile.png"), "-o", str(tmp_path / "tile.idem"), "--quality", "1"])
    assert main(["decode", str(tmp_path / "tile.idem"), "-o", str(tmp_path / "p.png"), "--mode", "perceptual",
                 "--device", "cuda"]) == 1
    assert capsys.readouterr().err.strip().endswith("torch sees no CUDA GPU here; use --device cpu")
    assert not (tmp_path / "p.png").exists()


@gpu
def test_on_a_gpu_the_decoder_writes_files_the_cpu_encoder_re_encodes_identically(tiny_prior):
    prior = tiny_prior
    tiles = held_out_patches()[[4, 40]]
    files = [encode(tile, 3) for tile in tiles]
    result = perceptual_decode(files, 0, PerceptualSettings(steps=5), prior, device="cuda")
    assert next(prior.unet.parameters()).is_cuda and not result.raw.is_cuda
    assert result.correction.exact.all()
    for image, data, robust in zip(result.images, files, result.correction.robust):
        assert encode(image, 3) == data
        assert (judge(image[None], receive([data])).margin[0] >= SAFETY) == robust
    assert np.isfinite(result.raw.numpy()).all()
