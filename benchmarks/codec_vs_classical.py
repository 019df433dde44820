"""The MSE codec against JPEG and WebP at the same file size, on whole held-out images.

Each image is one file (header included); JPEG (optimised) and WebP take the highest quality
whose file is no larger. Images: crops of 64×64 and 128×128 and the whole photos at 1/4 scale,
from the held-out photos; with ``--wallpapers DIR`` (``idemlab.wallpapers.fetch``) also the held-out
wallpaper photographs, whole, at 192 and 384 pixels on the longer side. Writes
results/codec_vs_classical.json with per-quality means and the BD-PSNR of the codec against each
baseline (positive: the codec is better).
Options: ``--codec-dir Q=DIR`` evaluates a candidate model.pt for quality Q instead of the shipped one.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from common import WALLPAPER_SIDE, write
from idemlab.baselines import at_most, bd_psnr, classical
from idemlab.codec import QUALITY_LAMBDAS
from idemlab.codec.pipeline import decode, encode
from idemlab.codec.registry import codec_for
from idemlab.data import held_out_photos
from idemlab.metrics import psnr


def images(wallpapers: Path | None) -> dict[str, list[np.ndarray]]:
    """Return the evaluation images by kind: crops and whole photos, never seen in training."""
    photos = held_out_photos(2.0)
    crops = {side: [np.ascontiguousarray(p[top:top + side, left:left + side]) for p in photos
                    for top in (0, p.shape[0] - side) for left in (0, p.shape[1] // 2)] for side in (64, 128)}
    kinds = {"crop64": crops[64], "crop128": crops[128], "whole_quarter": held_out_photos(4.0)}
    if wallpapers is not None:
        from idemlab import wallpapers as extra

        for side in (WALLPAPER_SIDE, 2 * WALLPAPER_SIDE):
            kinds[f"wallpapers_{side}"] = extra.load(wallpapers, extra.TEST, max_side=side)
    return kinds


def use_candidates(specs: list[str]) -> None:
    """Load candidate model.pt files (``Q=PATH``) in place of the shipped codecs of those qualities."""
    import shutil
    import tempfile

    from idemlab.codec import model

    folder = Path(tempfile.mkdtemp())
    for quality in QUALITY_LAMBDAS:
        shutil.copytree(model.WEIGHTS_DIR / f"codec-q{quality}", folder / f"codec-q{quality}")
    for spec in specs:
        quality, path = spec.split("=", 1)
        shutil.copy(path, folder / f"codec-q{int(quality)}" / "model.pt")
    model.WEIGHTS_DIR = folder
    codec_for.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codec-dir", action="append", default=[], help="Q=PATH/model.pt")
    parser.add_argument("--name", default="codec_vs_classical")
    parser.add_argument("--wallpapers", type=Path, default=None, help="also the held-out wallpaper photos unpacked here")
    args = parser.parse_args()
    use_candidates(args.codec_dir)
    figures = {"candidates": args.codec_dir}
    for kind, group in images(args.wallpapers).items():
        rows = {}
        for quality in QUALITY_LAMBDAS:
            ours, baselines = [], {"jpeg": [], "webp": []}
            for image in group:
                data = encode(image, quality)
                pixels = image.shape[0] * image.shape[1]
                ours.append((8 * len(data) / pixels, psnr(decode(data), image)))
                for codec in baselines:
                    match = at_most(image, len(data), codec)
                    baselines[codec].append(np.nan if match is None else psnr(match[1], image))
            rows[quality] = {"bpp": float(np.mean([b for b, _ in ours])), "psnr": float(np.mean([p for _, p in ours])),
                             **{f"{c}_psnr_same_size": float(np.nanmean(v)) for c, v in baselines.items()},
                             **{f"{c}_unreachable": int(np.isnan(v).sum()) for c, v in baselines.items()}}
        curves = {}
        for codec in ("jpeg", "webp"):
            points = [(8 * size / (i.shape[0] * i.shape[1]), psnr(d, i)) for quality in range(5, 96, 5)
                      for i in group for size, d in [classical(i, quality, codec)]]
            by_quality = np.array(points).reshape(19, len(group), 2).mean(1)
            ours = np.array([[rows[q]["bpp"], rows[q]["psnr"]] for q in QUALITY_LAMBDAS])
            curves[f"bd_psnr_vs_{codec}_db"] = bd_psnr(by_quality[:, 0], by_quality[:, 1], ours[:, 0], ours[:, 1])
        figures[kind] = {"n_images": len(group), "per_quality": rows, **curves}
        print(kind, {q: (round(r["bpp"], 3), round(r["psnr"], 2), round(r["jpeg_psnr_same_size"], 2),
                         round(r["webp_psnr_same_size"], 2)) for q, r in rows.items()}, curves)
    print(write(args.name, figures))


if __name__ == "__main__":
    main()
