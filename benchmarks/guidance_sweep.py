"""The sweep that chose the decoder's default guidance strength ζ, on training patches only.

``python benchmarks/guidance_sweep.py`` writes results/guidance_sweep.json: eight patches of the
*training* photos (never the test photos), qualities 1 and 5, ζ in {0.1, 0.3, 1, 4} with the
default sampler (100 DDIM steps) and 100 DDPM steps at the chosen ζ. For each: PSNR of the raw
sample and its gap to the MSE decoder, the raw sample's y-symbol agreement, and what the
exact-idempotence correction needed (files made exact, with and without MSE pixels).
"""
import argparse

import numpy as np
import torch

from common import write
from idemlab.codec.pipeline import decode, encode
from idemlab.data import PatchSampler, to_uint8
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.evaluation import reencoding
from idemlab.metrics import psnr
from idemlab.prior import load_prior


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(2)
    prior = load_prior()
    patches = PatchSampler(seed=123).sample(args.patches)
    plan = [("ddim", 100, zeta) for zeta in (0.1, 0.3, 1.0, 4.0)] + [("ddpm", 100, 1.0)]
    rows = []
    for quality in (1, 5):
        files = [encode(patch, quality) for patch in patches]
        mse_psnr = psnr(np.stack([decode(f) for f in files]), patches)
        for sampler, steps, zeta in plan:
            result = perceptual_decode(files, 0, PerceptualSettings(steps=steps, sampler=sampler, zeta=zeta), prior)
            raw = to_uint8(result.raw)
            report = result.correction.report()
            rows.append({"quality": quality, "sampler": sampler, "steps": steps, "zeta": zeta,
                         "psnr_raw_db": round(psnr(raw, patches), 2), "psnr_mse_decoder_db": round(mse_psnr, 2),
                         "y_symbols_raw_%": round(reencoding(raw, files, quality)["y_symbols_%"], 2),
                         "psnr_corrected_db": round(psnr(result.images, patches), 2), **report})
            print(rows[-1], flush=True)
    print(write("guidance_sweep", {"patches": args.patches, "patch_seed": 123, "rows": rows}))


if __name__ == "__main__":
    main()
