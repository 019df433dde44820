"""The idemlab command: encode → decode → info, and one clear line for every bad input."""
import json

import numpy as np

import pytest
from PIL import Image

from idemlab.cli import main
from idemlab.codec.pipeline import decode, encode
from idemlab.data import held_out_patches
from idemlab.images import read_image


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(held_out_patches()[5]).save(path)
    return path


def test_encode_decode_info_round_trip(tmp_path, photo, capsys):
    coded, decoded = tmp_path / "photo.idem", tmp_path / "decoded.png"
    assert main(["encode", str(photo), "-o", str(coded), "--quality", "1"]) == 0
    assert coded.read_bytes() == encode(read_image(photo), 1)
    assert main(["decode", str(coded), "-o", str(decoded)]) == 0
    np.testing.assert_array_equal(read_image(decoded), decode(coded.read_bytes()))
    assert main(["info", str(coded)]) == 0
    assert "header 15 bytes" in capsys.readouterr().out


def make_odd_images(folder):
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(folder / "one_pixel.png")
    Image.fromarray(np.full((37, 53, 3), 90, np.uint8)).save(folder / "odd_size.png")
    Image.fromarray(np.arange(48 * 48, dtype=np.uint8).reshape(48, 48)).save(folder / "gray.png")
    Image.fromarray((np.arange(40 * 40).reshape(40, 40) * 40).astype(np.uint16)).save(folder / "gray16.png")
    opaque = np.full((20, 20, 4), 255, np.uint8)
    Image.fromarray(opaque).save(folder / "opaque_rgba.png")
    opaque[..., 3] = 10
    Image.fromarray(opaque).save(folder / "transparent.png")
    (folder / "text.png").write_text("not an image")


@pytest.mark.parametrize("name, accepted", [("one_pixel", True), ("odd_size", True), ("gray", True),
                                            ("gray16", True), ("opaque_rgba", True), ("transparent", False),
                                            ("text", False), ("missing", False)])
def test_odd_images_are_coded_or_refused_in_one_line(tmp_path, capsys, name, accepted):
    make_odd_images(tmp_path)
    status = main(["encode", str(tmp_path / f"{name}.png"), "-o", str(tmp_path / "out.idem"), "--quality", "1"])
    error = capsys.readouterr().err.strip()
    assert (status == 0) == accepted
    if not accepted:
        assert status == 1 and error.startswith("idemlab: error: ") and "\n" not in error
        assert not (tmp_path / "out.idem").exists()


def test_sixteen_bit_grayscale_is_scaled_to_eight_bits(tmp_path):
    make_odd_images(tmp_path)
    image = read_image(tmp_path / "gray16.png")
    assert image.dtype == np.uint8 and image.shape == (40, 40, 3) and image.max() > 200


@pytest.mark.parametrize("args, message", [
    (["decode", "{dir}/photo.png", "-o", "{dir}/x.png"], "not an .idem file"),
    (["decode", "{dir}/nothing.idem", "-o", "{dir}/x.png"], "no such file"),
    (["encode", "{dir}/photo.png", "-o", "{dir}/photo.png"], "must end in .idem"),
    (["encode", "{dir}/photo.png", "-o", "{dir}/no/folder.idem"], "does not exist"),
])
def test_bad_commands_fail_with_one_sentence(tmp_path, photo, capsys, args, message):
    assert main([a.format(dir=tmp_path) for a in args]) == 1
    assert message in capsys.readouterr().err


def test_the_input_is_never_overwritten(tmp_path, photo, capsys):
    coded = tmp_path / "photo.idem"
    main(["encode", str(photo), "-o", str(coded), "--quality", "1"])
    before = coded.read_bytes()
    assert main(["decode", str(coded), "-o", str(coded)]) == 1
    assert coded.read_bytes() == before


def test_perceptual_decode_re_encodes_to_the_same_file(tmp_path):
    Image.fromarray(held_out_patches()[7]).save(tmp_path / "tile.png")
    assert main(["encode", str(tmp_path / "tile.png"), "-o", str(tmp_path / "tile.idem"), "--quality", "1"]) == 0
    assert main(["decode", str(tmp_path / "tile.idem"), "-o", str(tmp_path / "p.png"), "--mode", "perceptual",
                 "--steps", "10", "--seed", "2"]) == 0
    assert main(["encode", str(tmp_path / "p.png"), "-o", str(tmp_path / "again.idem"), "--quality", "1"]) == 0
    assert (tmp_path / "again.idem").read_bytes() == (tmp_path / "tile.idem").read_bytes()


def test_settings_printed_by_one_decode_and_read_back_by_another_give_the_same_png(tmp_path, capsys):
    Image.fromarray(held_out_patches()[7][:16, :24]).save(tmp_path / "x.png")
    main(["encode", str(tmp_path / "x.png"), "-o", str(tmp_path / "x.idem"), "--quality", "1"])
    decode = ["decode", str(tmp_path / "x.idem"), "--mode", "perceptual", "--allow-inexact"]
    capsys.readouterr()
    assert main(decode + ["-o", str(tmp_path / "a.png"), "--steps", "3", "--zeta", "2", "--show-settings"]) == 0
    printed = capsys.readouterr().out.splitlines()[0]
    (tmp_path / "settings.json").write_text(printed)
    assert json.loads(printed)["steps"] == 3 and json.loads(printed)["zeta"] == 2
    assert main(decode + ["-o", str(tmp_path / "b.png"), "--settings", str(tmp_path / "settings.json")]) == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert "(ddpm, 3 quadratic steps" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text('{"steps": 3, "zeta": 2, "sigma": 1}')
    assert main(decode + ["-o", str(tmp_path / "c.png"), "--settings", str(tmp_path / "bad.json")]) == 1
    assert capsys.readouterr().err.strip().startswith("idemlab: error: unknown perceptual setting 'sigma'")
    (tmp_path / "bad.json").write_text("steps = 3")
    assert main(decode + ["-o", str(tmp_path / "c.png"), "--settings", str(tmp_path / "bad.json")]) == 1
    assert "is not a JSON file of settings" in capsys.readouterr().err


def test_perceptual_decode_refuses_zero_steps(tmp_path, capsys):
    Image.new("RGB", (16, 16)).save(tmp_path / "x.png")
    main(["encode", str(tmp_path / "x.png"), "-o", str(tmp_path / "x.idem")])
    assert main(["decode", str(tmp_path / "x.idem"), "-o", str(tmp_path / "y.png"), "--mode", "perceptual", "--steps", "0"]) == 1
    assert capsys.readouterr().err.strip() == "idemlab: error: argument --steps: must be at least 1, not 0"


def test_perceptual_decode_takes_the_guidance_step_and_spacing_and_refuses_wrong_ones(tmp_path, capsys, monkeypatch):
    import idemlab.decoder as decoder

    used = []
    real = decoder.perceptual_decode
    monkeypatch.setattr(decoder, "perceptual_decode", lambda files, seed, settings, *a, **k: used.append(settings)
                        or real(files, seed, settings, *a, **k))
    Image.fromarray(held_out_patches()[7][:16, :16]).save(tmp_path / "x.png")
    main(["encode", str(tmp_path / "x.png"), "-o", str(tmp_path / "x.idem")])
    decode = ["decode", str(tmp_path / "x.idem"), "-o", str(tmp_path / "y.png"), "--mode", "perceptual", "--steps", "3"]
    assert main(decode + ["--zeta", "0.5", "--allow-inexact"]) == 0
    assert used == [decoder.PerceptualSettings(steps=3, zeta=0.5)]
    assert "(ddpm, 3 quadratic steps from the MSE reconstruction noised to 0.5·T, ζ 0.5, seed 0)" in capsys.readouterr().out
    assert main(decode + ["--zeta", "0"]) == 1
    assert capsys.readouterr().err.strip() == "idemlab: error: argument --zeta: must be positive, not 0"
    assert main(decode + ["--spacing", "uniform", "--allow-inexact", "-f"]) == 0
    assert used[-1] == decoder.PerceptualSettings(steps=3, spacing="uniform")
    assert main(decode + ["--sampler", "ddim", "--spacing", "quadratic", "-f"]) == 1
    assert "spacing must be one of" in capsys.readouterr().err
    assert main(decode + ["--start", "0.4", "--allow-inexact", "-f"]) == 0
    assert used[-1] == decoder.PerceptualSettings(steps=3, start=0.4)
    capsys.readouterr()
    assert main(decode + ["--start", "2", "-f"]) == 1
    assert capsys.readouterr().err.strip().startswith("idemlab: error: start must lie in (0, 1]")


@pytest.mark.parametrize("module", ["idemlab.codec.train", "idemlab.prior.train"])
def test_a_training_command_refuses_a_bad_data_folder_in_one_line(tmp_path, module):
    import subprocess
    import sys

    extra = ["--quality", "1"] if module.startswith("idemlab.codec") else []
    run = subprocess.run([sys.executable, "-W", "ignore", "-m", module, *extra, "--out", str(tmp_path / "out"),
                          "--data", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.strip() == f"idemlab: error: {tmp_path / 'nowhere'} is not a folder"


def test_an_inexact_perceptual_decode_writes_nothing_and_exits_1_unless_allowed(tmp_path, capsys, monkeypatch):
    import idemlab.decoder.perceptual as perceptual

    give_up = perceptual.make_idempotent
    hopeless = perceptual.CorrectionSettings(max_steps=0, fallbacks=0, polish_moves=0)
    monkeypatch.setattr(perceptual, "make_idempotent", lambda *a, **k: give_up(*a, **{**k, "settings": hopeless}))
    Image.fromarray(held_out_patches()[7]).save(tmp_path / "tile.png")
    main(["encode", str(tmp_path / "tile.png"), "-o", str(tmp_path / "tile.idem"), "--quality", "1"])
    decode = ["decode", str(tmp_path / "tile.idem"), "-o", str(tmp_path / "p.png"), "--mode", "perceptual", "--steps", "2"]
    assert main(decode) == 1
    assert "does not re-encode to the same file" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()
    assert main(decode + ["--allow-inexact"]) == 0
    assert "NO (the correction did not converge" in capsys.readouterr().out


def test_paper_switch_decodes_with_the_papers_sampler_for_the_files_size(tmp_path, capsys, monkeypatch):
    import idemlab.decoder as decoder
    from idemlab.decoder.constraints import paper_zeta

    used = []
    real = decoder.perceptual_decode
    monkeypatch.setattr(decoder, "perceptual_decode", lambda files, seed, settings, *a, **k: used.append(settings)
                        or real(files, seed, decoder.PerceptualSettings(steps=2, zeta=settings.zeta), *a, **k))
    Image.fromarray(held_out_patches()[7][:24, :20]).save(tmp_path / "tile.png")
    main(["encode", str(tmp_path / "tile.png"), "-o", str(tmp_path / "tile.idem"), "--quality", "1"])
    main(["decode", str(tmp_path / "tile.idem"), "-o", str(tmp_path / "p.png"), "--mode", "perceptual", "--paper",
          "--allow-inexact"])
    assert used == [decoder.PerceptualSettings(steps=1000, sampler="ddpm", constraint="image", zeta=paper_zeta(24, 20),
                                               spacing="uniform", band=1.0, even_pull=False, anchor=None)]
    assert "(ddpm, 1000 uniform steps" in capsys.readouterr().out


def test_fast_switch_decodes_with_the_fast_preset_and_refuses_the_paper_beside_it(tmp_path, capsys, monkeypatch):
    import idemlab.decoder as decoder

    used = []
    real = decoder.perceptual_decode
    monkeypatch.setattr(decoder, "perceptual_decode", lambda files, seed, settings, *a, **k: used.append(settings)
                        or real(files, seed, decoder.PerceptualSettings(steps=2), *a, **k))
    Image.fromarray(held_out_patches()[7][:24, :20]).save(tmp_path / "tile.png")
    main(["encode", str(tmp_path / "tile.png"), "-o", str(tmp_path / "tile.idem"), "--quality", "1"])
    decode = ["decode", str(tmp_path / "tile.idem"), "-o", str(tmp_path / "p.png"), "--mode", "perceptual"]
    main(decode + ["--fast", "--allow-inexact"])
    assert used == [decoder.PerceptualSettings.fast()]
    assert "(dpm++, 10 quadratic steps" in capsys.readouterr().out
    assert main(decode + ["--fast", "--paper", "--force"]) == 1
    assert "not allowed with argument" in capsys.readouterr().err
