"""``idemlab evaluate``: rows independent of the number of processes, resumable, bad input in one line."""
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from idemlab.cli import main
from idemlab.data import load_photo
from idemlab.decoder import PerceptualSettings
from idemlab.errors import IdemlabError
from idemlab.evaluate_folder import IMAGES_FILE, Plan, read_rows, run
from test_prior import tiny_prior

IDEMLAB = str(Path(sys.executable).with_name("idemlab"))


class Killed(Exception):
    """Stands for the process being killed in the middle of an image."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Four small crops of a held-out photo, one file that is not an image, and a tiny prior."""
    root = tmp_path_factory.mktemp("evaluate")
    photo = load_photo("coffee")
    (root / "images").mkdir()
    for index, (height, width) in enumerate([(40, 36), (33, 50), (20, 20), (64, 48)]):
        Image.fromarray(photo[index * 50: index * 50 + height, 100: 100 + width]).save(root / "images" / f"im{index}.png")
    (root / "images" / "broken.png").write_bytes(b"not a png")
    tiny_prior().save_pretrained(root / "prior")
    return root


def command(folder: Path, out: str) -> list[str]:
    return ["evaluate", str(folder / "images"), "--out", str(folder / out), "--quality", "1", "3", "--steps", "2",
            "--prior", str(folder / "prior")]


def rows_without_times(path: Path) -> list[dict]:
    rows = [{k: v for k, v in r.items() if k != "seconds"} for r in read_rows(path)]
    return sorted(rows, key=lambda r: (r["image"], r["quality"]))


@pytest.mark.slow
def test_one_process_and_two_under_torchrun_give_the_same_rows(folder):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # torchrun's default per process; the same for both runs
    subprocess.run([IDEMLAB, *command(folder, "one")], env=env, check=True, capture_output=True)
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", IDEMLAB, *command(folder, "two")],
                   env=env, check=True, capture_output=True)
    one, two = rows_without_times(folder / "one"), rows_without_times(folder / "two")
    assert len(one) == 10 and one == two
    summary = json.loads((folder / "two" / "summary.json").read_text())
    assert set(summary["rates"]) == {"1", "3"} and summary["rates"]["1"]["images"] == 4
    assert summary["unreadable"] and "broken.png" in summary["unreadable"][0]
    assert (folder / "two" / "summary.png").exists()
    rate = summary["rates"]["3"]
    assert 0 < rate["swd_data"] < rate["swd_mse"]  # the estimator's floor: the originals against themselves
    defects = rate["defects"]  # seams on the prior's window grid, and colour casts against the originals
    assert {"data", "mse", "perceptual"} <= set(defects) and "colour_cast" not in defects["data"]
    assert all(d["seam_index"] > 0 and d["seam_index_shifted"] > 0 for d in defects.values())
    assert all(defects[name]["colour_cast"] >= 0 for name in ("mse", "perceptual"))
    # what the correction cost: the sampler's own PSNR before it, and its steps
    assert all(r["psnr_raw"] > 0 and r["correction_steps"] >= 0 for r in one if "error" not in r)
    for codec in ("jpeg", "webp"):  # the baselines' files are no larger than ours, their sets measured too
        assert all(r[f"bpp_{codec}"] <= r["bpp"] for r in one if r.get(f"bpp_{codec}") is not None)
        if rate[f"{codec}_reached_%"] == 100:
            assert rate[f"swd_{codec}"] > 0
    webp = summary["bjontegaard"]["webp"]
    assert webp is None or set(webp) == {"rates", "bd_psnr_db", "bd_rate_%"}


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped(folder, monkeypatch):
    from idemlab.evaluate_folder import runner

    out = folder / "resumed"
    plan = Plan(folder / "images", out, (1, 3), "small-hyperprior", str(folder / "prior"),
                PerceptualSettings(steps=2, sampler="ddim"), 0)
    real, calls = runner.evaluate_image, []

    def killed_on_the_fourth(*args):
        calls.append(args[:2])
        if len(calls) == 4:
            raise Killed
        return real(*args)

    monkeypatch.setattr(runner, "evaluate_image", killed_on_the_fourth)
    with pytest.raises(Killed):
        run(plan, progress=False)
    assert len(read_rows(out)) == 3  # what was done before the kill is kept
    with (out / IMAGES_FILE).open("a") as lines:
        lines.write('{"image": "im3.png", "qual')  # a line cut short by the kill
    calls.clear()
    monkeypatch.setattr(runner, "evaluate_image", lambda *args: calls.append(args[:2]) or real(*args))
    summary = run(plan, progress=False)
    assert len(calls) == 7 and len(read_rows(out)) == 10  # only the missing pairs were evaluated
    assert summary["rates"][3]["images"] == 4
    with pytest.raises(IdemlabError, match="another steps; resume it with the same options"):
        run(replace(plan, settings=PerceptualSettings(steps=3, sampler="ddim")), progress=False)  # would mix decoders


def test_a_missing_or_empty_folder_or_a_wrong_quality_is_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for args, message in ((["evaluate", str(tmp_path / "missing"), "--out", str(tmp_path / "o")], "is not a folder"),
                          (["evaluate", str(tmp_path / "empty"), "--out", str(tmp_path / "o")], "holds no images"),
                          (["evaluate", str(tmp_path / "empty"), "--out", str(tmp_path / "o"), "--quality", "2"],
                           "not 2")):
        assert main(args) == 1
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and message in error[0]
    assert not (tmp_path / "o").exists()


def test_bjontegaard_deltas_use_only_rates_where_the_baseline_reached_every_image():
    from idemlab.evaluate_folder import bjontegaard

    def rate(bpp, psnr, webp_psnr, jpeg_reached):
        return {"bpp": bpp, "psnr_mse": psnr, "bpp_webp_same_bytes": bpp, "psnr_webp_same_bytes": webp_psnr,
                "webp_reached_%": 100.0, "bpp_jpeg_same_bytes": bpp, "psnr_jpeg_same_bytes": psnr,
                "jpeg_reached_%": jpeg_reached}

    rates = {1: rate(0.1, 24.0, 26.0, 50.0), 3: rate(0.2, 27.0, 29.0, 100.0), 5: rate(0.4, 30.0, 32.0, 100.0)}
    deltas = bjontegaard(rates)
    assert deltas["webp"]["rates"] == 3 and deltas["webp"]["bd_psnr_db"] == pytest.approx(-2.0)
    assert deltas["webp"]["bd_rate_%"] > 0  # ours needs more rate for WebP's PSNR
    assert deltas["jpeg"]["rates"] == 2 and deltas["jpeg"]["bd_psnr_db"] == pytest.approx(0.0, abs=1e-9)
    assert bjontegaard({1: rates[1]})["webp"] is None


@pytest.mark.slow
def test_inception_adds_fid_and_kid_of_every_set_with_weights_saved_where_torch_hub_keeps_them(
        folder, tmp_path, monkeypatch, capsys):
    from test_fid import save_stand_in_inception

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    args = [*command(folder, "inception")[:5], "1", "--steps", "2", "--prior", str(folder / "prior"), "--inception"]
    assert main(args) == 1  # no weights: refused before any image is decoded
    assert "downloads are off" in capsys.readouterr().err and not (folder / "inception").exists()
    save_stand_in_inception()
    assert main(args) == 0
    rate = json.loads((folder / "inception" / "summary.json").read_text())["rates"]["1"]
    for name in ("mse", "perceptual"):
        assert rate[f"fid_{name}"] >= 0 and {f"kid_mean_{name}", f"kid_std_{name}"} <= set(rate)
    assert "FID to the originals" in capsys.readouterr().out
