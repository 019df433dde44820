"""Can a few-step sampler decode as realistically as the 100-step reference?

Training photographs only (every name of ``idemlab.wallpapers.TRAIN``), centre-cropped to 3:2 and
shrunk to 96×64, coded at one quality and decoded as one batch (seed 0) by the perceptual decoder
with its default settings but for the sampler and its number of steps (= network evaluations).
Per sampler: pooled PSNR, the mean colour cast and seam index, byte identity, seconds per image
and the critic's accuracy against the originals, beside the MSE decoder's (``harness.figures``).

    python experiments/few_step_sampler/run.py --wallpapers DIR --quality 0
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from idemlab.codec.pipeline import encode
from idemlab.decoder import PerceptualSettings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from harness import mse_row, perceptual_row, training_photos, write_rows  # noqa: E402

SAMPLERS = [("ddpm", 100), ("ddpm", 10), ("dpm++", 20), ("dpm++", 10), ("dpm++", 5)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallpapers", type=Path, required=True)
    parser.add_argument("--quality", type=int, required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    originals = training_photos(args.wallpapers, every=1)
    files = [encode(image, args.quality) for image in originals]
    rows = [mse_row(files, originals)]
    for sampler, steps in SAMPLERS:  # anchor=None: as it ran, before the colour anchor was the default
        rows.append(perceptual_row(f"{sampler} {steps}", files, originals,
                                   PerceptualSettings(sampler=sampler, steps=steps, anchor=None),
                                   {"sampler": sampler, "network_evaluations": steps}))
        print(json.dumps(rows[-1]), flush=True)
    print(write_rows(HERE, args.quality, len(originals), rows))


if __name__ == "__main__":
    main()
