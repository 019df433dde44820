"""Odd images honoured or refused, outputs written safely, every bad path one line and exit 1."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from idemlab.cli import main
from idemlab.errors import IdemlabError
from idemlab.images import TEMPORARY_SUFFIX, read_image, write_atomic


def one_line_error(capsys) -> str:
    error = capsys.readouterr().err.strip()
    assert error.startswith("idemlab: error: ") and "\n" not in error
    return error


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = 255  # left half white in the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.fromarray(pixels).save(tmp_path / "rotated.jpg", exif=exif, quality=95)
    image = read_image(tmp_path / "rotated.jpg")
    assert image.shape == (40, 20, 3)  # upright: portrait
    assert image[:20].mean() > 200 and image[20:].mean() < 50  # the white half is now on top


def test_float_images_in_the_unit_range_are_scaled_and_others_refused(tmp_path):
    values = np.linspace(0, 1, 16 * 16, dtype=np.float32).reshape(16, 16)
    Image.fromarray(values, mode="F").save(tmp_path / "unit.tif")
    image = read_image(tmp_path / "unit.tif")
    assert image.min() == 0 and image.max() == 255
    Image.fromarray(values * 1000, mode="F").save(tmp_path / "wide.tif")
    with pytest.raises(IdemlabError, match=r"outside \[0, 1\]"):
        read_image(tmp_path / "wide.tif")


def test_32_bit_integer_images_follow_the_stated_rule(tmp_path):
    Image.fromarray(np.full((8, 8), 40000, np.int32), mode="I").save(tmp_path / "sixteen.tif")
    assert read_image(tmp_path / "sixteen.tif").max() == round(40000 * 255 / 65535)
    Image.fromarray(np.full((8, 8), 100000, np.int32), mode="I").save(tmp_path / "huge.tif")
    with pytest.raises(IdemlabError, match="outside 0–65535"):
        read_image(tmp_path / "huge.tif")


def test_an_animation_is_refused_not_cut_to_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(IdemlabError, match="2 frames"):
        read_image(tmp_path / "anim.gif")


def test_an_image_over_the_limit_is_refused_before_anything_heavy_is_loaded(tmp_path):
    Image.new("L", (3000, 3000)).save(tmp_path / "big.png")  # a tiny file, 9 megapixels
    script = ("import sys; from idemlab.cli import main; "
              f"status = main(['encode', {str(tmp_path / 'big.png')!r}, '-o', {str(tmp_path / 'big.idem')!r}, "
              "'--max-pixels', '1000000']); print(status, 'torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.stdout.split() == ["1", "False"]
    assert "above the limit of 1,000,000" in run.stderr and run.stderr.count("\n") == 1


@pytest.mark.parametrize("args", [["--help"], ["info", "missing.idem"], ["decode", "missing.idem", "-o", "x.png"],
                                  ["encode", "missing.png", "-o", "x.idem"]])
def test_help_info_and_path_errors_answer_without_importing_torch(tmp_path, args):
    script = f"import sys; from idemlab.cli import main; status = main({args!r}); print(status, 'torch' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert run.stdout.split()[-2:] == ["0" if args == ["--help"] else "1", "False"]


def test_an_existing_output_is_kept_unless_forced_and_gets_the_umasks_permissions(tmp_path, capsys):
    Image.new("RGB", (16, 16), "gray").save(tmp_path / "x.png")
    out = tmp_path / "x.idem"
    out.write_bytes(b"precious")
    assert main(["encode", str(tmp_path / "x.png"), "-o", str(out)]) == 1
    assert "exists; pass --force" in one_line_error(capsys)
    assert out.read_bytes() == b"precious"
    previous = os.umask(0o022)
    try:
        assert main(["encode", str(tmp_path / "x.png"), "-o", str(out), "--force"]) == 0
    finally:
        os.umask(previous)
    assert out.read_bytes().startswith(b"IDM") and (out.stat().st_mode & 0o777) == 0o644


@pytest.mark.parametrize("problem", ["directory", "read-only", "seed", "steps", "max-pixels"])
def test_path_and_argument_errors_are_one_line(tmp_path, capsys, problem):
    Image.new("RGB", (16, 16)).save(tmp_path / "x.png")
    assert main(["encode", str(tmp_path / "x.png"), "-o", str(tmp_path / "x.idem")]) == 0
    capsys.readouterr()
    decode = ["decode", str(tmp_path / "x.idem"), "-o"]
    if problem == "directory":
        (tmp_path / "folder.png").mkdir()
        args = decode + [str(tmp_path / "folder.png")]
    elif problem == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        (tmp_path / "locked").mkdir(mode=0o555)
        args = decode + [str(tmp_path / "locked" / "y.png")]
    elif problem == "seed":
        args = decode + [str(tmp_path / "y.png"), "--mode", "perceptual", "--seed", str(2**64)]
    elif problem == "steps":
        args = decode + [str(tmp_path / "y.png"), "--mode", "perceptual", "--steps", "5000"]
    else:
        args = decode + [str(tmp_path / "y.png"), "--max-pixels", "-3"]
    assert main(args) == 1
    one_line_error(capsys)
    assert not (tmp_path / "y.png").exists()


def test_a_full_disk_is_one_sentence_and_leaves_nothing(tmp_path, monkeypatch):
    import errno

    def full(descriptor, mode):
        os.close(descriptor)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fdopen", full)
    with pytest.raises(IdemlabError, match="cannot be written .No space left on device."):
        write_atomic(tmp_path / "out.idem", b"x")
    assert list(tmp_path.iterdir()) == []


def test_temporaries_of_killed_runs_are_removed_by_the_next_write(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".out.idem.{dead.stdout.strip()}.abc{TEMPORARY_SUFFIX}"
    stale.write_bytes(b"half a file")
    mine = tmp_path / f".out.idem.{os.getpid()}.xyz{TEMPORARY_SUFFIX}"  # a live process's: kept
    mine.write_bytes(b"in progress")
    write_atomic(tmp_path / "out.idem", b"done")
    assert not stale.exists() and mine.exists() and (tmp_path / "out.idem").read_bytes() == b"done"


def test_the_signal_handler_removes_the_temporary_of_a_write_under_way(tmp_path, monkeypatch):
    from idemlab import cli

    seen = []  # what the folder holds when the handler ends the process

    def exit_now(status: int) -> None:
        seen.append((status, sorted(path.name for path in tmp_path.iterdir())))
        raise SystemExit(status)

    monkeypatch.setattr(os, "_exit", exit_now)
    monkeypatch.setattr(os, "replace", lambda source, target: cli.terminate(15, None))  # SIGTERM before the rename
    with pytest.raises(SystemExit):
        write_atomic(tmp_path / "out.idem", b"data")
    assert seen == [(143, [])]


@pytest.mark.slow
def test_sigterm_during_a_perceptual_decode_leaves_no_temporary_file(tmp_path):
    Image.new("RGB", (32, 32), "gray").save(tmp_path / "x.png")
    assert main(["encode", str(tmp_path / "x.png"), "-o", str(tmp_path / "x.idem")]) == 0
    run = subprocess.Popen([sys.executable, "-W", "ignore", "-m", "idemlab.cli", "decode", str(tmp_path / "x.idem"),
                            "-o", str(tmp_path / "y.png"), "--mode", "perceptual", "--steps", "1000"],
                           stderr=subprocess.PIPE, text=True)
    time.sleep(8)
    run.terminate()
    status = run.wait(timeout=60)
    assert status == 128 + 15, run.stderr.read()[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.idem", "x.png"]
