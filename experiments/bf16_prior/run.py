"""Can the prior's network run in bfloat16 without costing the fast decoder realism or exactness?

The prior's forward and backward passes are most of a decode's time. ``PerceptualSettings``'
``precision="bfloat16"`` runs the network's convolutions and matrix products under
``torch.autocast`` in bfloat16 (fast on CPUs with AVX-512 BF16 or AMX, and on GPUs); the guidance's
codec and the correction stay in float32. Two measurements of the fast preset
(``PerceptualSettings.fast()``) in float32 and in bfloat16:
- ``--quality Q``: the 34 training photos at 96×64 (``harness.training_photos``), one batch, seed 0:
  pooled PSNR, the critic against the originals, byte identity (``harness.perceptual_row``);
- ``--square``: one training photo (``wallpapers.TRAIN[3]``) as a 512-px centre square at quality
  1, seconds for the sampler and for the correction, on two threads with nothing else running.

    python experiments/bf16_prior/run.py --wallpapers DIR --quality 0   # and 1, in parallel
    OMP_NUM_THREADS=2 python experiments/bf16_prior/run.py --wallpapers DIR --square
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from idemlab import wallpapers
from idemlab.codec.pipeline import encode
from idemlab.codec.received import receive
from idemlab.decoder import PerceptualSettings, make_idempotent, perceptual_decode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "benchmarks"))
from decoder_speed import centre_square  # noqa: E402
from harness import mse_row, perceptual_row, training_photos  # noqa: E402

PRECISIONS = {name: replace(PerceptualSettings.fast(), precision=name) for name in ("float32", "bfloat16")}


def small_photos(root: Path, quality: int) -> dict:
    """Return each precision's row on the 34 training photos at one quality, beside the MSE decoder's."""
    torch.set_num_threads(1)
    originals = training_photos(root, every=1)
    files = [encode(image, quality) for image in originals]
    rows = [mse_row(files, originals)]
    for name, settings in PRECISIONS.items():
        rows.append(perceptual_row(f"fast, {name}", files, originals, settings, {"precision": name}))
        print(json.dumps(rows[-1]), flush=True)
    return {"quality": quality, "images": len(originals), "rows": rows}


def square(root: Path) -> dict:
    """Return each precision's seconds for the sampler and the correction on one 512-px training square."""
    photo = centre_square(wallpapers.load(root, wallpapers.TRAIN[3:4], max_side=1024)[0], 512)
    files = [encode(photo, 1)]
    rows = []
    for name, settings in PRECISIONS.items():
        began = time.perf_counter()
        raw = perceptual_decode(files, 0, replace(settings, correct=False)).raw
        sampled = time.perf_counter()
        received = receive(files)
        correction = make_idempotent(received.codec, raw, received.y_symbols, received.z_symbols,
                                     means=received.means, settings=settings.correction)
        rows.append({"precision": name, "sampler_s": sampled - began, "correction_s": time.perf_counter() - sampled,
                     "correction_steps": int(correction.steps[0]), "byte_identical": bool(correction.exact[0])})
        print(json.dumps(rows[-1]), flush=True)
    return {"photo": wallpapers.TRAIN[3], "side": 512, "quality": 1, "threads": torch.get_num_threads(), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallpapers", type=Path, required=True)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--quality", type=int)
    which.add_argument("--square", action="store_true")
    args = parser.parse_args()
    result = square(args.wallpapers) if args.square else small_photos(args.wallpapers, args.quality)
    path = HERE / ("results_512.json" if args.square else f"results_q{args.quality}.json")
    path.write_text(json.dumps(result, indent=1))
    print(path)


if __name__ == "__main__":
    main()
