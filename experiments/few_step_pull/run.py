"""Does a weaker pull or an earlier start make the ten-step decoder as realistic as the reference?

Training photographs only (every name of ``idemlab.wallpapers.TRAIN``), centre-cropped to 3:2 and
shrunk to 96×64, coded at one quality and decoded as one batch (seed 0) by the fast preset
(``PerceptualSettings.fast()``: ten DPM-Solver++ steps, correction steps of 8e-3) with its
guidance strength ζ and its start changed. Per candidate: pooled PSNR, the mean colour cast and
seam index, byte identity, seconds per image and the critic's accuracy against the originals,
beside the MSE decoder's (``harness.figures``).

    python experiments/few_step_pull/run.py --wallpapers DIR --quality 0
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

from idemlab.codec.pipeline import encode
from idemlab.decoder import PerceptualSettings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from harness import mse_row, perceptual_row, training_photos, write_rows  # noqa: E402

CANDIDATES = [(4.0, 0.5), (2.0, 0.5), (1.0, 0.5), (4.0, 0.7), (2.0, 0.7)]  # (ζ, start); the first is fast()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallpapers", type=Path, required=True)
    parser.add_argument("--quality", type=int, required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    originals = training_photos(args.wallpapers, every=1)
    files = [encode(image, args.quality) for image in originals]
    rows = [mse_row(files, originals)]
    for zeta, start in CANDIDATES:
        settings = dataclasses.replace(PerceptualSettings.fast(), zeta=zeta, start=start)
        rows.append(perceptual_row(f"fast, ζ {zeta:g}, start {start:g}", files, originals, settings,
                                   {"zeta": zeta, "start": start, "network_evaluations": settings.steps}))
        print(json.dumps(rows[-1]), flush=True)
    print(write_rows(HERE, args.quality, len(originals), rows))


if __name__ == "__main__":
    main()
