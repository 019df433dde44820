"""The perceptual codec on the held-out photos at every shipped rate, against MSE and JPEG.

``python benchmarks/perceptual_codec.py`` writes results/perceptual_codec.json and
results/perceptual_codec.png: per quality, real bpp; PSNR of the MSE decoder, of the perceptual
decoder before and after the exact-idempotence correction, and of JPEG at matched bpp (whole
photos, then tiled); realism divergences; re-encoding idempotence; diversity across seeds;
seconds per image and network evaluations. Then whole photos, one file each, through the code of
``idemlab evaluate`` (its rows and summary: JPEG and WebP at the same bytes, each set's realism
and the estimator's floor, BD-PSNR and BD-rate; and each set's SWD over ten estimator seeds):
the held-out package photos at 1/4 scale and, with ``--wallpapers DIR``
(``idemlab.wallpapers.fetch``), the held-out wallpaper photographs at 192 pixels on the longer side.
Options: ``--steps``, ``--zeta``, ``--every K`` (every K-th tile, for a quicker run), ``--parts``
(``tiles``, ``whole`` or both; a part not run keeps its figures from the JSON, so the two parts may
run as two processes at once).
"""
import argparse
import json
import tempfile
from pathlib import Path

import matplotlib
import numpy as np
import torch
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from common import RESULTS, THREADS, held_out_whole_photos, write
from idemlab.codec import QUALITY_LAMBDAS
from idemlab.data import held_out_photos, tiles
from idemlab.decoder import PerceptualSettings
from idemlab.evaluate_folder import Plan, read_rows, run, whole_image_sets
from idemlab.evaluation import evaluate_rate
from idemlab.plotting import COLORS, use_book_style
from idemlab.prior import load_prior
from idemlab.realism import patch_swd

# the tiles are coded at the four rates of compressai's λs; quality 0 was made for whole photos
# (a 32×32 tile's file at that rate is mostly its header)
TILE_QUALITIES = [quality for quality in sorted(QUALITY_LAMBDAS) if quality > 0]


def whole_photos(settings: PerceptualSettings, wallpapers: Path | None) -> dict:
    """Evaluate each held-out photo as one file at every rate with the code of ``idemlab evaluate``;
    return its summary and rows."""
    photos = held_out_whole_photos(wallpapers)
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "photos"
        folder.mkdir()
        for name, photo in photos.items():
            Image.fromarray(photo).save(folder / f"{name}.png")
        plan = Plan(folder, Path(root) / "out", tuple(sorted(QUALITY_LAMBDAS)), "small-hyperprior", None, settings, 0)
        summary = run(plan, progress=False)
        return {"summary": summary, "rows": read_rows(plan.out), "swd_over_estimator_seeds": swd_spread(plan)}


def swd_spread(plan: Plan, seeds: int = 10) -> dict:
    """Per rate, the patch SWD of each set of whole-photo reconstructions and of the originals
    against themselves (``data``, the estimator's floor) under ``seeds`` seeds of the estimator
    (which patches, which directions): mean and standard deviation, to tell a difference between
    sets from the estimator's own noise."""
    rows = [r for r in read_rows(plan.out) if "error" not in r]
    spread = {}
    for quality in sorted({r["quality"] for r in rows}):
        at = [r for r in rows if r["quality"] == quality]  # as the summary takes them: its SWD is seed 0's
        sets = {name: np.concatenate([tiles(image) for image in images])
                for name, images in whole_image_sets(plan, at).items()}
        spread[quality] = {}
        for name, images in sets.items():
            values = [patch_swd(images, sets["data"], seed=seed).mean() for seed in range(seeds)]
            spread[quality][name] = {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1))}
    return spread


def plot(results: list[dict]) -> None:
    use_book_style()
    fig, (rd, rp) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, label in (("mse", "MSE decoder"), ("perceptual", "perceptual (corrected)"), ("jpeg", "JPEG")):
        bpp = [r["scores"]["jpeg"]["bpp"] if name == "jpeg" else r["bpp"] for r in results]
        rd.plot(bpp, [r["scores"][name]["psnr_db"] for r in results], "o-", color=COLORS[name], label=label)
        rp.plot(bpp, [r["scores"][name]["swd"] for r in results], "o-", color=COLORS[name], label=label)
    rd.plot([r["bpp"] for r in results], [r["scores"]["mse"]["psnr_db"] - 10 * np.log10(2) for r in results], "--",
            color=COLORS["bound"], label="2× the MSE distortion (posterior sampling)")
    rp.axhline(results[0]["scores"]["data"]["swd"], color=COLORS["data"], ls=":", label="estimator floor")
    rd.set(xlabel="bits per pixel", ylabel="PSNR (dB)")
    rp.set(xlabel="bits per pixel", ylabel="patch SWD to the originals (×10³)")
    rd.legend(), rp.legend()
    fig.savefig(RESULTS / "perceptual_codec.png", bbox_inches="tight", dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=PerceptualSettings.steps)
    parser.add_argument("--zeta", type=float, default=PerceptualSettings.zeta)
    parser.add_argument("--every", type=int, default=1, help="use every K-th tile only")
    parser.add_argument("--parts", nargs="+", choices=("tiles", "whole"), default=["tiles", "whole"])
    parser.add_argument("--wallpapers", type=Path, default=None, help="also the held-out wallpaper photos unpacked here")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    prior, settings = load_prior(), PerceptualSettings(steps=args.steps, zeta=args.zeta)
    if "tiles" in args.parts:
        photos = held_out_photos(factor=2.0)
        rates = []
        for quality in TILE_QUALITIES:
            result = evaluate_rate(photos, quality, prior, settings, every=args.every, progress=False)
            rates.append(result)
            print(quality, {k: {m: round(v, 3) for m, v in s.items() if isinstance(v, float)}
                            for k, s in result["scores"].items()}, flush=True)
            save_part("rates", rates)
        plot(rates)
    if "whole" in args.parts:
        save_part("whole_photos", whole_photos(settings, args.wallpapers))
    print(RESULTS / "perceptual_codec.json")


def save_part(part: str, value) -> None:
    """Write one part of the JSON's figures, keeping the others as the file has them now."""
    figures = json.loads((RESULTS / "perceptual_codec.json").read_text())["figures"]
    write("perceptual_codec", figures | {part: value})


if __name__ == "__main__":
    main()
