"""compressai zoo loading, offline: a locally saved checkpoint of the architecture goes through
the same path as the downloaded one, and a missing one fails at once with the fallback named."""

import pytest
import torch
from compressai.models import Cheng2020Anchor, MeanScaleHyperprior, ScaleHyperprior

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


ZOO_FAMILIES = {  # name: family id, the architecture of the zoo's quality 1
    "bmshj2018-hyperprior": (2, lambda: ScaleHyperprior(128, 192)),
    "mbt2018-mean": (3, lambda: MeanScaleHyperprior(128, 192)),
    "cheng2020-anchor": (4, lambda: Cheng2020Anchor(128)),
}


@pytest.fixture(params=list(ZOO_FAMILIES))
def zoo_stand_in(request, tmp_path, monkeypatch):
    """A randomly initialised zoo model of each family at quality 1, saved where compressai's zoo
    looks for it; returns (name, family id, model)."""
    from idemlab.codec.registry import codec_for

    name = request.param
    family_id, architecture = ZOO_FAMILIES[name]
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch.manual_seed(1)
    saved = architecture()
    saved.update(force=True)
    path = zoo_checkpoint_path(1, name)
    path.parent.mkdir(parents=True)
    torch.save(saved.state_dict(), path)
    codec_for.cache_clear()
    yield name, family_id, saved
    codec_for.cache_clear()


def test_a_zoo_codec_is_a_family_of_the_file_format_through_the_cli(tmp_path, zoo_stand_in, capsys):
    name, family_id, saved = zoo_stand_in
    import numpy as np
    from PIL import Image

    from idemlab.cli import main
    from idemlab.codec.bitstream import unpack
    from idemlab.codec.pipeline import decode, encode
    from idemlab.data import held_out_photos

    image = np.ascontiguousarray(held_out_photos(2.0)[1][:70, :90])
    Image.fromarray(image).save(tmp_path / "crop.png")
    assert main(["encode", str(tmp_path / "crop.png"), "-o", str(tmp_path / "crop.idem"),
                 "--codec", name, "--quality", "1"]) == 0
    data = (tmp_path / "crop.idem").read_bytes()
    assert data == encode(image, 1, codec=name) and unpack(data).family == family_id
    assert main(["decode", str(tmp_path / "crop.idem"), "-o", str(tmp_path / "out.png")]) == 0
    with torch.no_grad():  # the file decodes to what compressai's own decompress gives
        x = torch.tensor(image).permute(2, 0, 1)[None].float() / 255
        padded = torch.nn.functional.pad(x, (0, 38, 0, 58), mode="replicate")
        coded = saved.compress(padded)
        expected = saved.decompress(coded["strings"], coded["shape"])["x_hat"][0, :, :70, :90]
    expected = (expected.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    assert np.abs(decode(data).astype(int) - expected).max() <= 1
    assert main(["info", str(tmp_path / "crop.idem")]) == 0
    assert f"family {family_id} ({name}), quality 1" in capsys.readouterr().out
    assert main(["encode", str(tmp_path / "crop.png"), "-o", str(tmp_path / "bad.idem"),
                 "--codec", name, "--quality", "9"]) == 1
    assert "has no quality 9" in capsys.readouterr().err


def test_the_perceptual_decoder_takes_a_zoo_file_on_its_own_canvas(zoo_stand_in, tiny_prior):
    import numpy as np

    from idemlab.codec.pipeline import encode
    from idemlab.decoder import PerceptualSettings, perceptual_decode
    
    _, family_id, _ = zoo_stand_in
    prior = tiny_prior
    data = encode(np.zeros((70, 90, 3), np.uint8) + 120, 1, codec=family_id)
    result = perceptual_decode([data], 0, PerceptualSettings(steps=2), prior)
    assert result.images.shape == (1, 70, 90, 3)
    assert result.correction.exact[0] == (encode(result.images[0], 1, codec=family_id) == data)


def test_a_context_model_file_decodes_position_by_position_and_refuses_a_crafted_string(tmp_path, monkeypatch):
    import dataclasses

    import numpy as np

    from idemlab.codec.bitstream import pack, unpack
    from idemlab.codec.pipeline import decode, encode
    from idemlab.codec.received import judge, receive
    from idemlab.codec.registry import codec_for

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch.manual_seed(2)
    saved = Cheng2020Anchor(128)
    saved.update(force=True)
    path = zoo_checkpoint_path(1, "cheng2020-anchor")
    path.parent.mkdir(parents=True)
    torch.save(saved.state_dict(), path)
    codec_for.cache_clear()
    image = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    data = encode(image, 1, codec="cheng2020-anchor")
    with torch.no_grad():  # the y string is the one compressai's own autoregressive encoder writes
        x = torch.nn.functional.pad(torch.tensor(image).permute(2, 0, 1)[None].float() / 255, (0, 14, 0, 24), mode="replicate")
        assert saved.compress(x)["strings"][0][0] == unpack(data).y_string
    assert judge(image[None], receive([data])).margin[0] > 0  # the image's latents round to the file's symbols around the decoded means
    decode(data)
    f = unpack(data)
    for y_string in (f.y_string[: len(f.y_string) // 2], bytes(reversed(f.y_string)), b"\xff" * len(f.y_string)):
        with pytest.raises(IdemlabError, match="corrupt"):
            decode(pack(dataclasses.replace(f, y_string=y_string)))
    codec_for.cache_clear()


@pytest.mark.slow
def test_a_256_pixel_photo_decodes_perceptually_through_the_cli_to_a_png_that_re_encodes_identically(
        tmp_path, zoo_stand_in, capsys, tiny_prior):
    import numpy as np
    from PIL import Image

    from idemlab.cli import main
    from idemlab.data import held_out_photos
    
    name, _, _ = zoo_stand_in
    tiny_prior.save_pretrained(tmp_path / "prior")  # any diffusers UNet2DModel with its scheduler, from a folder
    Image.fromarray(np.ascontiguousarray(held_out_photos(1.0)[0][:256, :256])).save(tmp_path / "photo.png")
    assert main(["encode", str(tmp_path / "photo.png"), "-o", str(tmp_path / "photo.idem"), "--codec", name, "--quality", "1"]) == 0
    assert main(["decode", str(tmp_path / "photo.idem"), "-o", str(tmp_path / "out.png"), "--mode", "perceptual",
                 "--steps", "3", "--prior", str(tmp_path / "prior"), "--device", "cpu"]) == 0
    assert main(["encode", str(tmp_path / "out.png"), "-o", str(tmp_path / "again.idem"), "--codec", name, "--quality", "1"]) == 0
    assert (tmp_path / "again.idem").read_bytes() == (tmp_path / "photo.idem").read_bytes()
    assert "re-encodes to the same file: yes" in capsys.readouterr().out
