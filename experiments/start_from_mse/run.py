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
import time
from pathlib import Path

import numpy as np
import torch

from idemlab import wallpapers
from idemlab.codec.pipeline import decode, encode
from idemlab.data import downscale
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.metrics import psnr
from idemlab.realism.critic import critic_accuracy
from idemlab.realism.defects import colour_cast, seam_index

HERE = Path(__file__).resolve().parent


def photos(root: Path) -> list[np.ndarray]:
    """Return every second training wallpaper, centre-cropped to 3:2 and shrunk to 96×64."""
    out = []
    for image in wallpapers.load(root, wallpapers.TRAIN[::2], max_side=480):
        h, w = image.shape[:2]
        ch, cw = (h, h * 3 // 2) if w * 2 >= h * 3 else (w * 2 // 3, w)
        top, left = (h - ch) // 2, (w - cw) // 2
        out.append(downscale(np.ascontiguousarray(image[top: top + ch, left: left + cw]), ch / 64)[:64, :96])
    return out


def figures(name: str, decoded: list[np.ndarray], originals: list[np.ndarray], extra: dict) -> dict:
    critic = critic_accuracy(decoded, originals, seed=0)
    return {"decoder": name, "psnr": psnr(np.stack(decoded), np.stack(originals)),
            "colour_cast": float(np.mean([colour_cast(d, o) for d, o in zip(decoded, originals)])),
            "seam_index": float(np.mean([seam_index(d) for d in decoded])),
            "critic_%": critic.accuracy, "critic_interval_%": [critic.low, critic.high], **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallpapers", type=Path, required=True)
    parser.add_argument("--quality", type=int, required=True)
    parser.add_argument("--starts", type=float, nargs="+", default=[1.0, 0.5, 0.3])
    args = parser.parse_args()
    torch.set_num_threads(1)
    originals = photos(args.wallpapers)
    files = [encode(image, args.quality) for image in originals]
    rows = [figures("mse", [decode(f) for f in files], originals, {"bpp": float(np.mean([8 * len(f) / (96 * 64) for f in files]))})]
    rows.append({"decoder": "originals", "seam_index": float(np.mean([seam_index(o) for o in originals]))})
    for start in args.starts:
        began = time.perf_counter()
        out = perceptual_decode(files, seed=0, settings=PerceptualSettings(start=start))
        seconds = time.perf_counter() - began
        rows.append(figures(f"perceptual start {start:g}", list(out.images), originals,
                            {"start": start, "seconds_per_image": seconds / len(files),
                             "byte_identical_%": 100 * float(out.correction.exact.mean()),
                             "mse_fallback_%": 100 * float(out.correction.replaced.mean())}))
        print(json.dumps(rows[-1]), flush=True)
    path = HERE / f"results_q{args.quality}.json"
    path.write_text(json.dumps({"quality": args.quality, "images": len(originals), "rows": rows}, indent=1))
    print(path)


if __name__ == "__main__":
    main()
