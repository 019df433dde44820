"""The perceptual decoder's time against its realism: the 100-step reference beside few-step samplers.

    python benchmarks/held_out_photos.py --out held_out --side 96
    python benchmarks/decoder_speed.py --photos held_out --out speed_eval          # add --device cuda on a GPU
    python benchmarks/decoder_speed.py --photos held_out --out speed_eval --reference-from \
        benchmarks/results/held_out_evaluation.json --reference-sides 64 128 256 --quality 0 1  # as it ran

Writes results/decoder_speed.json with one row per decoder (``DECODERS``: the default, then
candidates that differ from it in their sampler, its steps or the correction's step length):
- its settings and network evaluations (= sampler steps);
- seconds per image at 64, 128, 256 and 512 px square (``--sides``; ``--reference-sides`` for
  the reference), a centre square of the shipped held-out photo "china" resized and coded at
  quality 1, the correction included, on ``--device`` (on the CPU with ``OMP_NUM_THREADS``
  threads, 2 unless set);
- per rate on the held-out whole photos, from ``idemlab evaluate`` run into OUT/<decoder> (it
  resumes there, and refuses a folder made with other settings; with ``--reference-from``, the
  reference's come from held_out_evaluation.py's JSON, that same run of the default decoder): bpp, the PSNR gap to the MSE decoder, the critic's accuracy against the originals
  with its 95 % interval (the realism measure that passed its validation), colour cast and seams,
  byte identity and the share of photos where the correction fell back on the MSE reconstruction.

The JSON is rewritten after every decoder; ``--resume`` keeps a stopped run's timings.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from common import RESULTS, THREADS, write
from idemlab.codec.pipeline import encode
from idemlab.data import load_photo
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.evaluate_folder import Plan, run
from idemlab.prior import load_prior

REFERENCE = "reference: ddpm 100"
# the default decoder, the few-step samplers that came closest in experiments/few_step_sampler, and the
# fast preset (experiments/correction_rate's longer correction steps), also with x̂₀-only guidance
DECODERS = {REFERENCE: PerceptualSettings(),
            "dpm++ 20": PerceptualSettings(sampler="dpm++", steps=20),
            "dpm++ 10": PerceptualSettings(sampler="dpm++", steps=10),
            "fast: dpm++ 10, long correction steps": PerceptualSettings.fast(),
            "fast, x̂₀ only": replace(PerceptualSettings.fast(), through_prior=False)}
SIDES = (64, 128, 256, 512)
RESULT = RESULTS / "decoder_speed.json"


def square(side: int) -> np.ndarray:
    """Return a side×side RGB photo: the centre square of "china", resized (Lanczos)."""
    return centre_square(load_photo("china"), side)


def centre_square(photo: np.ndarray, side: int) -> np.ndarray:
    """Return the centre square of an RGB photo, resized to side×side (Lanczos)."""
    h, w = photo.shape[:2]
    s = min(h, w)
    crop = photo[(h - s) // 2: (h - s) // 2 + s, (w - s) // 2: (w - s) // 2 + s]
    return np.asarray(Image.fromarray(crop).resize((side, side), Image.LANCZOS))


def seconds_per_side(settings: PerceptualSettings, prior, device: str, sides: list[int]) -> dict[int, float]:
    """Return the seconds one perceptual decode of a quality-1 file takes at each side."""
    seconds = {}
    for side in sides:
        data = encode(square(side), 1)
        began = time.perf_counter()
        perceptual_decode([data], 0, settings, prior, device=device)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds[side] = round(time.perf_counter() - began, 2)
        print(f"  {side} px: {seconds[side]} s", flush=True)
    return seconds


def folder_name(decoder: str) -> str:
    """Return the name of the folder a decoder's held-out run goes to."""
    return re.sub(r"[^A-Za-z0-9+]+", "-", decoder).strip("-")


def held_out(summary: dict) -> dict:
    """Return per rate what the decision needs from an ``idemlab evaluate`` summary."""
    rates = {}
    for quality, rate in summary["rates"].items():
        critic = rate["validated_realism"]
        rates[quality] = {"images": rate["images"], "bpp": rate["bpp"], "psnr_mse": rate["psnr_mse"],
                          "psnr_perceptual": rate["psnr_perceptual"],
                          "psnr_gap_db": rate["psnr_mse"] - rate["psnr_perceptual"],
                          "critic_%": critic["perceptual"]["critic_accuracy"],
                          "critic_mse_%": critic["mse"]["critic_accuracy"],
                          "colour_cast": rate["defects"]["perceptual"]["colour_cast"],
                          "seam_index": rate["defects"]["perceptual"]["seam_index"],
                          "seam_index_originals": rate["defects"]["data"]["seam_index"],
                          "byte_identical_%": rate["byte_identical_%"],
                          "with_mse_fallback_%": rate["with_mse_fallback_%"]}
    return rates


def evaluated(path: Path, settings: PerceptualSettings) -> dict:
    """Return the ``idemlab evaluate`` summary that held_out_evaluation.py wrote to ``path``,
    refusing one made with other settings."""
    summary = json.loads(path.read_text())["figures"]["summary"]
    if PerceptualSettings.from_dict(summary["settings"]) != settings:
        raise SystemExit(f"{path} was made with other settings than {settings}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, required=True, help="held-out whole photos (held_out_photos.py)")
    parser.add_argument("--out", type=Path, required=True, help="folder for idemlab evaluate's runs, one per decoder")
    parser.add_argument("--quality", type=int, nargs="+", default=[0, 1, 3])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sides", type=int, nargs="+", default=list(SIDES), help="square sides timed, in pixels")
    parser.add_argument("--reference-sides", type=int, nargs="+", default=None,
                        help="the sides the reference is timed at (default: --sides; at 512 px it takes ~20 CPU-minutes)")
    parser.add_argument("--reference-from", type=Path, default=None,
                        help="take the reference's held-out figures from this held_out_evaluation.py JSON (the same "
                             "idemlab evaluate run of the default decoder) instead of decoding the photos again")
    parser.add_argument("--resume", action="store_true",
                        help="keep the timings of results/decoder_speed.json (a stopped run's) and finish the rest")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    prior = load_prior()
    timed = {r["decoder"]: r for r in json.loads(RESULT.read_text())["figures"]["rows"]} if args.resume else {}
    rows = []
    for name, settings in DECODERS.items():  # every timing first, while nothing else runs
        if name not in timed:
            print(name, flush=True)
            sides = args.reference_sides if name == REFERENCE and args.reference_sides else args.sides
            timed[name] = {"decoder": name, "sampler": settings.sampler, "network_evaluations": settings.steps,
                           "settings": settings.to_dict(), "device": args.device,
                           "threads": THREADS if args.device == "cpu" else None,
                           "seconds_per_image_by_side": seconds_per_side(settings, prior, args.device, sides)}
        rows.append({k: v for k, v in timed[name].items() if k != "held_out"})
    print(write("decoder_speed", {"rows": rows}), flush=True)
    for row, (name, settings) in zip(rows, DECODERS.items()):
        if name == REFERENCE and args.reference_from:
            row["held_out"] = held_out(evaluated(args.reference_from, settings))
            row["held_out_from"] = args.reference_from.name
            continue
        plan = Plan(args.photos, args.out / folder_name(name), tuple(args.quality), "small-hyperprior", None, settings, 0,
                    args.device)
        row["held_out"] = held_out(run(plan, progress=False))
        print(write("decoder_speed", {"rows": rows}), flush=True)  # after every decoder: a stopped run keeps its rows


if __name__ == "__main__":
    main()
