"""How long a step should the correction take? Its learning rate, judged on training photographs.

The correction's scaled steps move each image's pixel of largest gradient by the learning rate a
step and every other pixel in proportion. One raw sample per photo (the 10-step DPM-Solver++
sampler, otherwise the default decoder, no correction; one batch per set, seed 0) is corrected at
each learning rate, so the rates differ only in the correction. Two sets:
- the 34 training photos at 96×64 (``harness.training_photos``) at qualities 0, 1, 3 and 7:
  byte identity, robustness, the MSE fallback's share, the correction's steps, how far it moved
  the image (mean gray levels), pooled PSNR and the critic's accuracy against the originals;
- training photos as centre squares of 256 and 512 px at quality 1: steps and seconds.

    OMP_NUM_THREADS=2 python experiments/correction_rate/run.py --wallpapers DIR
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from idemlab import wallpapers
from idemlab.codec.pipeline import encode
from idemlab.decoder import CorrectionSettings, PerceptualSettings, correct_to_files, perceptual_decode
from idemlab.images import to_uint8
from idemlab.metrics import psnr
from idemlab.realism.critic import critic_accuracy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "benchmarks"))
from decoder_speed import centre_square  # noqa: E402
from harness import training_photos  # noqa: E402

RATES = (1e-3, 2e-3, 4e-3, 8e-3, 16e-3, 32e-3)
QUALITIES = (0, 1, 3, 7)
SAMPLER = PerceptualSettings(sampler="dpm++", steps=10, correct=False)
SQUARES = {256: wallpapers.TRAIN[:3], 512: wallpapers.TRAIN[3:4]}  # side: the photos cut to it


def corrected(raw: torch.Tensor, files: list[bytes], rate: float) -> tuple[dict, np.ndarray]:
    """Return the correction's figures at one learning rate, and its images."""
    began = time.perf_counter()
    correction = correct_to_files(raw, files, CorrectionSettings(learning_rate=rate))
    moved = np.abs(correction.images.astype(float) - to_uint8(raw).astype(float)).mean()
    return {"learning_rate": rate, "seconds_per_image": (time.perf_counter() - began) / len(files),
            "mean_steps": float(correction.steps.mean()), "max_steps": int(correction.steps.max()),
            "byte_identical_%": 100 * float(correction.exact.mean()), "robust_%": 100 * float(correction.robust.mean()),
            "mse_fallback_%": 100 * float(correction.replaced.mean()), "moved_gray_levels": float(moved)}, correction.images


def small_photos(root: Path) -> dict:
    """Return, per quality, each learning rate's figures on the 34 training photos at 96×64."""
    originals = training_photos(root, every=1)
    out = {}
    for quality in QUALITIES:
        files = [encode(image, quality) for image in originals]
        raw = perceptual_decode(files, seed=0, settings=SAMPLER).raw
        rows = []
        for rate in RATES:
            row, images = corrected(raw, files, rate)
            critic = critic_accuracy(list(images), originals, seed=0)
            rows.append({**row, "psnr": psnr(images, np.stack(originals)), "critic_%": critic.accuracy,
                         "critic_interval_%": [critic.low, critic.high]})
            print(quality, json.dumps(rows[-1]), flush=True)
        out[quality] = {"psnr_raw": psnr(to_uint8(raw), np.stack(originals)), "rows": rows}
    return out


def large_photos(root: Path) -> dict:
    """Return, per side, each learning rate's figures on training photos cut to squares (quality 1)."""
    out = {}
    for side, names in SQUARES.items():
        photos = [centre_square(photo, side) for photo in wallpapers.load(root, names, max_side=2 * side)]
        rows = {rate: [] for rate in RATES}
        for photo in photos:
            files = [encode(photo, 1)]
            raw = perceptual_decode(files, seed=0, settings=SAMPLER).raw
            for rate in RATES:
                rows[rate].append(corrected(raw, files, rate)[0])
                print(side, json.dumps(rows[rate][-1]), flush=True)
        out[side] = {"photos": list(names), "rows": rows}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallpapers", type=Path, required=True)
    args = parser.parse_args()
    result = {"sampler": SAMPLER.to_dict(), "threads": torch.get_num_threads(),
              "small": small_photos(args.wallpapers), "large": large_photos(args.wallpapers)}
    path = HERE / "results.json"
    path.write_text(json.dumps(result, indent=1))
    print(path)


if __name__ == "__main__":
    main()
