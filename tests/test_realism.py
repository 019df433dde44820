"""The realism measures: near their floor on two samples of one set, moved by a channel swap and a
patch shuffle, the same numbers for the same seed, NIQE as its reference computes it, and one
line for a bad folder."""
import json
import sys
import types

import numpy as np
import pytest
import scipy
from PIL import Image

from idemlab.cli import main
from idemlab.data import held_out_photos, tiles
from idemlab.realism import distortions
from idemlab.realism.critic import critic_accuracy
from idemlab.realism.niqe import luma, niqe
from idemlab.realism.report import MEASURES, measure_sets

SET_MEASURES = [m for m in MEASURES if m != "critic_accuracy"]
# What each set measure is blind to, as measured: NIQE and the spectra read luma alone, and patch
# SWD between disjoint images is dominated by their content. (The FID-like score sees the shuffle
# only just: 22.7 against a floor bound of 20.5.)
BLIND = {"channel swap": {"niqe_difference", "patch_swd", "spectral_distance_db"},
         "patch shuffle": set()}


PHOTOS = ("coffee", "china", "astronaut", "rocket", "flower", "grace_hopper", "chelsea", "immunohistochemistry")


@pytest.fixture(scope="module")
def photo_tiles():
    """The 128-px tiles of eight package photos (111), in a fixed shuffled order."""
    cut = list(np.concatenate([tiles(photo, 128) for photo in held_out_photos(factor=1.0, photos=PHOTOS)]))
    return [cut[i] for i in np.random.default_rng(0).permutation(len(cut))]


@pytest.fixture(scope="module")
def thirds(photo_tiles):
    third = len(photo_tiles) // 3
    return photo_tiles[:third], photo_tiles[third:2 * third], photo_tiles[2 * third:3 * third]


@pytest.fixture(scope="module")
def set_floor(thirds):
    return measure_sets(thirds[0], thirds[1], measures=SET_MEASURES)


def test_each_set_measure_is_near_its_floor_on_another_sample_of_the_same_set(thirds, set_floor):
    """Two disjoint samples of one set against the same reference: the second lands inside the
    first's interval widened by half its width (sampling alone moves a measure that much)."""
    again = measure_sets(thirds[2], thirds[1], measures=SET_MEASURES)
    for name in SET_MEASURES:
        low, high = set_floor[name]["interval"]
        margin = (high - low) / 2
        assert low - margin <= again[name]["value"] <= high + margin, (name, again[name], set_floor[name])


@pytest.mark.parametrize("distort", [lambda image: image[..., ::-1].copy(),
                                     lambda image: distortions.patch_shuffle(image, reach=4)],
                         ids=["channel swap", "patch shuffle"])
def test_which_set_measures_see_a_channel_swap_and_a_patch_shuffle(thirds, set_floor, distort, request):
    """A measure sees a distortion when its value lands above its floor's interval: every set
    measure sees the shuffle; NIQE, patch SWD and the spectra miss the swap (``BLIND``)."""
    reference = thirds[1]
    moved = measure_sets([distort(image) for image in reference], reference, measures=SET_MEASURES)
    seen = {name for name in SET_MEASURES if moved[name]["value"] > set_floor[name]["interval"][1]}
    distortion = next(name for name in BLIND if name in request.node.name)
    assert seen == set(SET_MEASURES) - BLIND[distortion], {m: (moved[m]["value"], set_floor[m]["interval"]) for m in SET_MEASURES}


@pytest.mark.slow
def test_the_critic_is_at_chance_on_one_set_and_tells_a_channel_swap_and_a_patch_shuffle(photo_tiles):
    first, second = photo_tiles[:13], photo_tiles[13:26]
    same = critic_accuracy(first, second, splits=2, steps=150)
    assert same.low <= 50 <= same.high and same.accuracy < 65, same
    for distort in (lambda image: image[..., ::-1].copy(), lambda image: distortions.patch_shuffle(image, reach=4)):
        told = critic_accuracy([distort(image) for image in second], second, splits=2, steps=150)
        assert told.low > same.high and told.accuracy > 80, told


def test_a_fixed_seed_gives_the_same_numbers_twice(thirds):
    first = measure_sets(thirds[0][:4], thirds[1][:4], seed=3, groups=3, measures=SET_MEASURES)
    critic = critic_accuracy(thirds[0][:8], thirds[1][:8], splits=1, steps=5, seed=3)
    assert first == measure_sets(thirds[0][:4], thirds[1][:4], seed=3, groups=3, measures=SET_MEASURES)
    assert critic == critic_accuracy(thirds[0][:8], thirds[1][:8], splits=1, steps=5, seed=3)


def _reference_niqe(monkeypatch):
    """scikit-video's own NIQE, run with the two names that NumPy and SciPy have since removed put back."""
    monkeypatch.setattr(np, "int", int, raising=False)

    def imresize(array, factor, interp="bicubic", mode=None):
        image = Image.fromarray(array, mode=mode)
        return np.array(image.resize(tuple((np.array(image.size) * factor).astype(int)), Image.Resampling.BICUBIC))

    misc = types.ModuleType("scipy.misc")
    misc.imresize = imresize
    monkeypatch.setitem(sys.modules, "scipy.misc", misc)
    monkeypatch.setattr(scipy, "misc", misc, raising=False)
    from skvideo.measure.niqe import niqe as reference

    return reference


def test_niqe_agrees_with_scikit_videos_own_code(monkeypatch):
    reference = _reference_niqe(monkeypatch)
    for photo in held_out_photos(factor=1.0) + [distortions.blur(held_out_photos(factor=1.0)[0], 2.0)]:
        assert niqe(photo) == pytest.approx(float(reference(luma(photo))[0]), rel=1e-4)


def test_niqe_rises_with_blur_and_noise():
    photo = held_out_photos(factor=1.0)[1]
    assert niqe(photo) < niqe(distortions.blur(photo, 1.5)) < niqe(distortions.blur(photo, 3.0))
    assert niqe(photo) < niqe(distortions.white_noise(photo, 10))


def _folder(path, images):
    path.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(path / f"{i:02d}.png")
    return path


def test_the_command_prints_one_json_object_with_every_measure(tmp_path, thirds, capsys, monkeypatch):
    import idemlab.realism.report as report

    monkeypatch.setattr(report, "critic_accuracy", lambda *a, **k: critic_accuracy(*a, **k, splits=1, steps=5))
    images, reference = _folder(tmp_path / "a", thirds[0][:16]), _folder(tmp_path / "b", thirds[1][:16])
    assert main(["realism", str(images), str(reference), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == set(MEASURES)
    for name, measure in printed.items():
        assert {"value", "interval", "passes_validation", "floor"} <= set(measure), name
        assert measure["interval"][0] <= measure["value"] <= measure["interval"][1], name


def _folder_with(folder, name, text):
    folder.mkdir()
    (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "is not a folder"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "holds no images"),
    (lambda p: _folder_with(p / "bad", "x.png", "not an image"), "x.png"),
])
def test_a_bad_folder_gets_one_line_and_exit_1(tmp_path, capsys, thirds, make, message):
    good = _folder(tmp_path / "good", thirds[0][:4])
    assert main(["realism", str(make(tmp_path)), str(good)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("idemlab: error:"), err


def _figures(floor_high: float, levels: list[float], noisy: float) -> dict:
    """Validation figures for one measure "m": every group has the given levels, the noisy groups one level."""
    row = lambda strength, value: {"strength": strength, "m": {"value": value, "interval": [value - 1, value + 1]}}
    groups = {"blur": [row(s, v) for s, v in zip((0.6, 1.2, 2.4), levels)], "mse": [row(1, levels[1])]}
    groups |= {"blur_plus_noise": [row(8, noisy)], "mse_q1_plus_noise": [row(8, noisy)]}
    return {"floor": {"m": {"value": 0.0, "interval": [-floor_high, floor_high]}}, "distortions": groups}


def test_a_measure_passes_only_above_its_floor_growing_and_not_brought_back_by_noise():
    from idemlab.realism.validation import verdict

    assert verdict("m", _figures(1, [5, 10, 20], 12))["passes"]
    assert not verdict("m", _figures(6, [5, 10, 20], 12))["away_from_floor"]  # the weakest level within the floor
    assert not verdict("m", _figures(1, [5, 20, 10], 12))["grows_with_strength"]
    lowered = verdict("m", _figures(1, [5, 10, 20], 0.5))
    assert not lowered["noise_does_not_restore"] and lowered["noise_lowers_it"] and not lowered["passes"]
