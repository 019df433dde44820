"""Does taking the sample's coarse colours from the MSE reconstruction remove the colour cast
without costing realism?

Training photographs only (every second name of ``idemlab.wallpapers.TRAIN``), centre-cropped to 3:2 and
shrunk to 96×64, coded at one quality and decoded as one batch (seed 0) by the perceptual decoder
with its default settings, without and with ``anchor`` (the Gaussian low-pass of width σ of the
sample replaced by the MSE reconstruction's before the correction). The anchor acts after the
sampler, so the batch is sampled once and each anchor is applied to the same samples, then
corrected (``correct_to_files``), as ``perceptual_decode`` does with ``anchor`` set (which takes
the MSE reconstruction before its rounding to 8 bits; here after it: half a gray level). Per decoder:
pooled PSNR, colour cast, seam index, byte identity and the critic's accuracy (``harness.figures``).

    python experiments/colour_anchor/run.py --wallpapers DIR --quality 0 --anchors 2 4 8
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from idemlab.codec.pipeline import decode, encode
from idemlab.decoder import PerceptualSettings, correct_to_files, perceptual_decode
from idemlab.decoder.perceptual import anchored

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from harness import figures, mse_row, training_photos  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallpapers", type=Path, required=True)
    parser.add_argument("--quality", type=int, required=True)
    parser.add_argument("--anchors", type=float, nargs="+", default=[2.0, 4.0, 8.0])
    args = parser.parse_args()
    torch.set_num_threads(1)
    originals = training_photos(args.wallpapers)
    files = [encode(image, args.quality) for image in originals]
    rows = [mse_row(files, originals)]
    began = time.perf_counter()  # sampled once without the anchor, which each arm then applies
    sampled = perceptual_decode(files, seed=0, settings=replace(PerceptualSettings(), correct=False, anchor=None))
    seconds = (time.perf_counter() - began) / len(files)
    mse = torch.stack([torch.from_numpy(decode(f)).permute(2, 0, 1).float() / 255 for f in files])
    for anchor in [None, *args.anchors]:
        raw = sampled.raw if anchor is None else anchored(sampled.raw, mse, anchor)
        out = correct_to_files(raw, files)
        rows.append(figures(f"perceptual anchor {anchor}", list(out.images), originals,
                            {"anchor": anchor, "sampler_seconds_per_image": seconds,
                             "byte_identical_%": 100 * float(out.exact.mean()),
                             "mse_fallback_%": 100 * float(out.replaced.mean())}))
        print(json.dumps(rows[-1]), flush=True)
    path = HERE / f"results_q{args.quality}.json"
    path.write_text(json.dumps({"quality": args.quality, "images": len(originals), "settings": repr(PerceptualSettings(anchor=None)),
                                "rows": rows}, indent=1))
    print(path)


if __name__ == "__main__":
    main()
