"""The sweep that chose the decoder's default guidance strength ζ, on training patches only.

``python experiments/guidance_sweep/run.py`` writes results.json beside it: sixteen patches of the
*training* photos (never the test photos), every shipped quality, 100 DDIM steps at ζ in
{0.1, 0.3, 1, 4} and 100 DDPM steps at ζ in {1, 2, 4, 8}. For each: PSNR of the raw sample and of
the MSE decoder, the raw sample's y-symbol agreement, the patch SWD (realism) of the raw and the
corrected images and the MSE decoder's, and what the exact-idempotence correction needed (files
made exact, with and without MSE pixels). ``choice`` is the rule behind the decoder's default: of the settings whose
corrected PSNR stays within 10·log10(2) dB of the MSE decoder at every rate (the distortion bound
of posterior sampling), the one with the lowest mean corrected SWD over the rates.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "benchmarks"))
from common import THREADS, write  # noqa: E402
from idemlab.codec import QUALITY_LAMBDAS
from idemlab.codec.pipeline import decode, encode
from idemlab.data import PatchSampler
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.evaluation import realism, reencoding
from idemlab.images import to_uint8
from idemlab.metrics import psnr
from idemlab.prior import load_prior


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    prior = load_prior()
    patches = PatchSampler(seed=123).sample(args.patches)
    plan = [("ddim", 100, zeta) for zeta in (0.1, 0.3, 1.0, 4.0)] + [("ddpm", 100, zeta) for zeta in (1.0, 2.0, 4.0, 8.0)]
    rows = []
    for quality in sorted(QUALITY_LAMBDAS):
        files = [encode(patch, quality) for patch in patches]
        mse_images = np.stack([decode(f) for f in files])
        mse_psnr, mse_swd = psnr(mse_images, patches), realism(mse_images, patches)["swd"]
        for sampler, steps, zeta in plan:
            result = perceptual_decode(files, 0, PerceptualSettings(steps=steps, sampler=sampler, zeta=zeta), prior)
            raw = to_uint8(result.raw)
            report = result.correction.report()
            rows.append({"quality": quality, "sampler": sampler, "steps": steps, "zeta": zeta,
                         "psnr_raw_db": round(psnr(raw, patches), 2), "psnr_mse_decoder_db": round(mse_psnr, 2),
                         "y_symbols_raw_%": round(reencoding(raw, files, quality)["y_symbols_%"], 2),
                         "psnr_corrected_db": round(psnr(result.images, patches), 2),
                         "swd_raw": round(realism(raw, patches)["swd"], 1),
                         "swd_corrected": round(realism(result.images, patches)["swd"], 1),
                         "swd_mse_decoder": round(mse_swd, 1), **report})
            print(rows[-1], flush=True)
    print(write("results", {"patches": args.patches, "patch_seed": 123, "rows": rows, "choice": choice(rows)}, HERE))


def choice(rows: list[dict]) -> dict:
    """Return the setting with the lowest mean corrected SWD among those within the distortion
    bound (corrected PSNR at most 10·log10(2) dB below the MSE decoder's) at every rate; if none
    is, the one whose largest PSNR gap is smallest."""
    settings = sorted({(r["sampler"], r["zeta"]) for r in rows})
    of = lambda setting: [r for r in rows if (r["sampler"], r["zeta"]) == setting]
    gap = lambda setting: max(r["psnr_mse_decoder_db"] - r["psnr_corrected_db"] for r in of(setting))
    within = [s for s in settings if gap(s) <= 10 * np.log10(2)]
    sampler, zeta = (min(within, key=lambda s: np.mean([r["swd_corrected"] for r in of(s)])) if within
                     else min(settings, key=gap))
    return {"sampler": sampler, "zeta": zeta, "within_bound": [f"{s}-{z}" for s, z in within]}


if __name__ == "__main__":
    main()
