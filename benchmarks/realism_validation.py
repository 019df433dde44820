"""Validate every realism measure against controlled distortions before it decides anything.

    python benchmarks/realism_validation.py --wallpapers DIR [--measures NAME ...]

On held-out photos (never trained on: the package's test photos, scikit-image's motorcycle, which
no model of the project has seen, and the held-out wallpapers) cut into 128×128 images, each
measure (``idemlab.realism.report``) is computed for the originals against a disjoint half of
themselves (the floor) and for distorted copies against the originals (paired by image):

- white noise, blur, JPEG, a colour cast, a smear (elastic warp) and a local patch shuffle, at
  three strengths each;
- the MSE decoder at every rate of the shipped codec (weakest distortion: the highest rate);
- noise added to blurred images and to the MSE decoder's q1 images.

A measure passes by the three tests of ``idemlab.realism.validation``. Writes
results/realism_validation.json (merged: ``--measures`` recomputes only those) and the verdicts
the package ships, ``idemlab/realism/validation.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from common import RESULTS, THREADS, write

from idemlab.codec.pipeline import decode, encode
from idemlab.codec.registry import family
from idemlab.data import TEST_PHOTOS, held_out_photos, tiles
from idemlab.realism import distortions
from idemlab.realism.report import MEASURES, VALIDATION, floors, measure_sets
from idemlab.realism.validation import NOISE_BASES, verdict

TILE = 128
STRENGTHS = {
    "white_noise": ("sigma", (2, 4, 8), distortions.white_noise),
    "blur": ("radius", (0.6, 1.2, 2.4), distortions.blur),
    "jpeg": ("quality", (60, 30, 10), distortions.jpeg),
    "colour_cast": ("delta_e", (3, 6, 12), distortions.colour_cast),
    "elastic_warp": ("amplitude", (0.5, 1, 2), distortions.elastic_warp),
    "patch_shuffle": ("reach", (1, 2, 4), distortions.patch_shuffle),
}
NOISE_ADDED = (2, 4, 8)
BLUR_UNDER_NOISE = NOISE_BASES["blur_plus_noise"][1]  # the middle blur


def validation_images(wallpapers: Path | None) -> list[np.ndarray]:
    """Return the 128×128 tiles of the held-out photos (package test photos at 1/2 scale, the
    motorcycle at 1/2, the held-out wallpapers at 512 px on the longer side)."""
    import skimage.io
    import skimage.data
    from idemlab.images import downscale


    photos = held_out_photos(2.0, TEST_PHOTOS)
    motorcycle = skimage.io.imread(Path(skimage.data.__file__).parent / "motorcycle_left.png")[..., :3]
    photos.append(downscale(motorcycle, 2.0))
    if wallpapers is not None:
        from idemlab import wallpapers as extra

        photos += extra.load(wallpapers, extra.TEST, max_side=512)
    return list(np.concatenate([tiles(photo, TILE) for photo in photos]))


def mse_decodes(images: list[np.ndarray], quality: int) -> list[np.ndarray]:
    """Return the MSE decoder's reconstruction of each image at one quality."""
    return [decode(encode(image, quality)) for image in images]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wallpapers", type=Path, default=None, help="the unpacked wallpaper packages (held-out photos)")
    parser.add_argument("--measures", nargs="+", default=list(MEASURES), choices=MEASURES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verdicts-only", action="store_true",
                        help="measure nothing: apply the tests to the figures already in the JSON")
    args = parser.parse_args()
    path = RESULTS / "realism_validation.json"
    if args.verdicts_only:
        return write_verdicts(json.loads(path.read_text())["figures"])
    torch.set_num_threads(THREADS)
    images = validation_images(args.wallpapers)
    qualities = sorted(family("small-hyperprior").qualities, reverse=True)  # weakest distortion first
    mse = {q: mse_decodes(images, q) for q in qualities}
    blurred = [distortions.blur(image, BLUR_UNDER_NOISE) for image in images]
    sets = {group: [(strength, [f(image, strength) for image in images]) for strength in values]
            for group, (_, values, f) in STRENGTHS.items()}
    sets["mse"] = [(q, mse[q]) for q in qualities]
    sets["blur_plus_noise"] = [(s, [distortions.white_noise(i, s) for i in blurred]) for s in NOISE_ADDED]
    sets["mse_q1_plus_noise"] = [(s, [distortions.white_noise(i, s) for i in mse[1]]) for s in NOISE_ADDED]

    results = json.loads(path.read_text())["figures"] if path.is_file() else {}
    results.setdefault("measured_by", []).append(" ".join(["python"] + sys.argv))
    results |= {"images": len(images), "tile": TILE, "strengths": {g: [s for s, _ in rows] for g, rows in sets.items()}}
    results.setdefault("floor", {}), results.setdefault("distortions", {}), results.setdefault("seconds", {})
    start = time.time()
    results["floor"] |= floors(images, args.seed, args.measures)
    for group, rows in sets.items():
        done = results["distortions"].setdefault(group, [{} for _ in rows])
        for row, (strength, distorted) in zip(done, rows):
            row |= {"strength": strength} | measure_sets(distorted, images, args.seed, measures=args.measures)
            print(group, strength, {m: round(row[m]["value"], 3) for m in args.measures}, flush=True)
    for name in args.measures:
        results["seconds"][name] = round(time.time() - start, 1)
    if path.is_file():  # another process may have measured other measures meanwhile: keep theirs
        earlier = json.loads(path.read_text())["figures"]
        for name in set(MEASURES) - set(args.measures):
            if name in earlier.get("floor", {}):
                results["floor"][name] = earlier["floor"][name]
                results["seconds"][name] = earlier["seconds"][name]
                for group, rows in earlier["distortions"].items():
                    for row, old in zip(results["distortions"][group], rows):
                        row[name] = old[name]
    write_verdicts(results)


def write_verdicts(results: dict) -> None:
    """Apply the tests to every measure in the figures; write the JSON and the package's verdicts."""
    results["verdicts"] = {name: verdict(name, results) for name in MEASURES if name in results["floor"]}
    write("realism_validation", results)
    VALIDATION.write_text(json.dumps({"source": "benchmarks/results/realism_validation.json",
                                      "verdicts": results["verdicts"]}, indent=1) + "\n")
    print(json.dumps(results["verdicts"], indent=1))


if __name__ == "__main__":
    main()
