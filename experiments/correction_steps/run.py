"""How the exact-idempotence correction steps, judged on training photographs only.

``python experiments/correction_steps/run.py --wallpapers DIR`` writes results/correction_steps.json:
five training photographs shrunk to 150 pixels on the longer side (so that the encoder pads their
rows and columns), each coded at every shipped quality, decoded once by the default sampler
(``--even-pull`` or ``--no-even-pull``: with or without the even pull) without the
correction (the seed ``idemlab evaluate`` gives it, decoder seed 0), and that one raw sample
corrected by each step rule of ``make_idempotent`` (``--step-rules``; ``settings.STEP_RULES``).
So the rules differ only in the correction. Per photo and rate: PSNR of the MSE decoder, of the
raw sample and of each corrected image, the correction's steps, whether the file is byte-identical
and robust, the share of pixels from the MSE fallback, how far the correction moved the image
(mean gray levels) and its seconds; per rate, the pooled patch SWD of the raw sample and of each
rule's images. ``--qualities`` and ``--names`` pick a subset (two processes may split the rates,
``--name`` naming each one's JSON). Run with ``OMP_NUM_THREADS=1``, as the whole-photo sweeps ran:
another thread count rounds differently, and the seed then gives another sample. The results
from before 2026-12-07 also compared a third rule, "scaled-momentum", and set the even pull by
quality (``even_pull_from``); both left the package then (run this script at commit 2bcd1f1 to
repeat them).
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "benchmarks"))
from common import THREADS, write  # noqa: E402
from idemlab import wallpapers
from idemlab.codec import QUALITY_LAMBDAS
from idemlab.codec.pipeline import decode, encode
from idemlab.data import tiles
from idemlab.decoder import CorrectionSettings, PerceptualSettings, correct_to_files, perceptual_decode
from idemlab.decoder.settings import STEP_RULES
from idemlab.evaluate_folder import image_seed
from idemlab.evaluation import realism
from idemlab.images import to_uint8
from idemlab.metrics import psnr
from idemlab.prior import load_prior

PHOTOS = ["Grey", "Fig", "Life", "FreshFlower", "YellowFlower"]  # the five of the even pull's rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wallpapers", type=Path, required=True, help="the wallpaper photos unpacked here")
    parser.add_argument("--names", nargs="+", choices=wallpapers.TRAIN, default=PHOTOS)
    parser.add_argument("--side", type=int, default=150, help="longest side of the photographs")
    parser.add_argument("--qualities", type=int, nargs="+", default=sorted(QUALITY_LAMBDAS))
    parser.add_argument("--even-pull", action=argparse.BooleanOptionalAction, default=PerceptualSettings.even_pull,
                        help="sample with the even pull (default: %(default)s)")
    parser.add_argument("--step-rules", nargs="+", choices=STEP_RULES, default=list(STEP_RULES))
    parser.add_argument("--name", default="correction_steps")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    photos = dict(zip(args.names, wallpapers.load(args.wallpapers, args.names, max_side=args.side)))
    prior = load_prior()
    sampler = PerceptualSettings(correct=False, even_pull=args.even_pull)
    rows, swd = [], {}
    for quality in args.qualities:
        decoded = {"data": [], "raw": [], **{rule: [] for rule in args.step_rules}}
        for name, photo in photos.items():
            data = encode(photo, quality)
            raw = perceptual_decode([data], image_seed(0, f"{name}.png", quality), sampler, prior).raw
            raw_image = to_uint8(raw)[0]
            decoded["data"].append(photo)
            decoded["raw"].append(raw_image)
            row = {"photo": name, "quality": quality, "bytes": len(data), "psnr_mse": psnr(decode(data), photo),
                   "psnr_raw": psnr(raw_image, photo)}
            for rule in args.step_rules:
                start = time.perf_counter()
                correction = correct_to_files(raw, [data], CorrectionSettings(step_rule=rule))
                image = correction.images[0]
                decoded[rule].append(image)
                row[rule] = {"psnr": psnr(image, photo), "steps": int(correction.steps[0]),
                             "exact": bool(correction.exact[0]), "robust": bool(correction.robust[0]),
                             "mse_fallback_%": 100 * float(correction.replaced[0]),
                             "moved_gray_levels": float(np.abs(image.astype(float) - raw_image).mean()),
                             "seconds": time.perf_counter() - start}
            rows.append(row)
            print({key: row[key] for key in ("photo", "quality", "psnr_mse", "psnr_raw")},
                  {rule: round(row[rule]["psnr"], 2) for rule in args.step_rules}, flush=True)
        tiled = {key: np.concatenate([tiles(image) for image in images]) for key, images in decoded.items()}
        swd[quality] = {key: realism(tiled[key], tiled["data"])["swd"] for key in ("raw", *args.step_rules)}
        print("patch SWD", quality, swd[quality], flush=True)
        path = write(args.name, {"photos": list(photos), "side": args.side, "settings": sampler.to_dict(),
                                 "decoder_seed": 0, "step_rules": args.step_rules, "rows": rows, "swd": swd}, HERE / "results")
    print(path)


if __name__ == "__main__":
    main()
