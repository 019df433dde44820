"""Can guidance that skips the backward pass through the prior decode as realistically, in fewer seconds?

Training photographs only (every name of ``idemlab.wallpapers.TRAIN``), centre-cropped to 3:2 and
shrunk to 96×64, coded at one quality and decoded as one batch (seed 0) by the perceptual decoder
with DPM-Solver++ and ``through_prior=False`` (the guidance differentiates Tweedie's x̂₀ with the
network's output held fixed) at each ζ, and with the gradient through the prior at the same
steps beside them; no colour anchor, as ``experiments/few_step_sampler`` ran, whose rows of the
100-step reference on the same photos and the same harness are the yardstick (``--reference``).

    python experiments/x0_guidance/run.py --wallpapers DIR --quality 0
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
from harness import mse_row, perceptual_row, training_photos  # noqa: E402

CANDIDATES = [(10, False, 1.0), (10, False, 2.0), (10, False, 4.0), (10, True, 4.0), (20, False, 2.0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallpapers", type=Path, required=True)
    parser.add_argument("--quality", type=int, required=True)
    parser.add_argument("--candidates", nargs="+", type=int, default=list(range(len(CANDIDATES))),
                        help="indices into CANDIDATES")
    args = parser.parse_args()
    torch.set_num_threads(1)
    originals = training_photos(args.wallpapers, every=1)
    files = [encode(image, args.quality) for image in originals]
    rows = [mse_row(files, originals)]
    for steps, through_prior, zeta in (CANDIDATES[i] for i in args.candidates):
        name = f"dpm++ {steps}, {'through the prior' if through_prior else 'x0 only'}, zeta {zeta:g}"
        settings = PerceptualSettings(sampler="dpm++", steps=steps, zeta=zeta, through_prior=through_prior, anchor=None)
        rows.append(perceptual_row(name, files, originals, settings,
                                   {"network_evaluations": steps, "settings": settings.to_dict()}))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "settings"}), flush=True)
        path = HERE / f"results_q{args.quality}.json"
        path.write_text(json.dumps({"quality": args.quality, "images": len(originals), "rows": rows}, indent=1))
    print(path)


if __name__ == "__main__":
    main()
