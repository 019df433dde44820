"""Does beginning the sampler at the noised MSE reconstruction keep the file's colours and layout?

Training photographs only (every second name of ``idemlab.wallpapers.TRAIN``), centre-cropped to
3:2 and shrunk to 96×64, coded at one quality and decoded as one batch by the perceptual decoder
with ``start`` = 1 (pure noise, the paper's) and lower starts. Per start: pooled PSNR, the mean
colour cast and seam index (``idemlab.realism.defects``), byte identity, and the critic's accuracy
against the originals (``idemlab.realism.critic``), beside the MSE decoder's.

    python experiments/start_from_mse/run.py --wallpapers DIR --quality 0 --starts 1 0.5 0.3
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from idemlab.codec.pipeline import encode
from idemlab.decoder import PerceptualSettings
from idemlab.realism.defects import seam_index

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from harness import mse_row, perceptual_row, training_photos, write_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallpapers", type=Path, required=True)
    parser.add_argument("--quality", type=int, required=True)
    parser.add_argument("--starts", type=float, nargs="+", default=[1.0, 0.5, 0.3])
    args = parser.parse_args()
    torch.set_num_threads(1)
    originals = training_photos(args.wallpapers)
    files = [encode(image, args.quality) for image in originals]
    rows = [mse_row(files, originals)]
    rows.append({"decoder": "originals", "seam_index": float(np.mean([seam_index(o) for o in originals]))})
    for start in args.starts:
        rows.append(perceptual_row(f"perceptual start {start:g}", files, originals, PerceptualSettings(start=start, anchor=None),
                                   {"start": start}))
        print(json.dumps(rows[-1]), flush=True)
    print(write_rows(HERE, args.quality, len(originals), rows))


if __name__ == "__main__":
    main()
