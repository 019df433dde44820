"""Does the perceptual decoder's cost grow linearly with the pixels? Seconds per sampler step and
for the exact-idempotence correction at 32×32, 128×128 and 512×512.

The prior's attention is windowed at its training size (``idemlab.prior.windows``), so every
layer's cost is linear in the pixels; this measures it. Steps per size are few (the cost per
step does not depend on how many there are); a 100-step decode is 100 × the per-step figure
plus the correction. Writes results/perceptual_scaling.json.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from common import write
from idemlab.codec.pipeline import encode
from idemlab.codec.received import receive
from idemlab.data import load_photo
from idemlab.decoder import PerceptualSettings, make_idempotent, perceptual_decode
from idemlab.images import downscale
from idemlab.prior import load_prior


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--steps", type=int, nargs="+", default=[20, 10, 3], help="sampler steps per side")
    parser.add_argument("--quality", type=int, default=3)
    args = parser.parse_args()
    prior, photo = load_prior(), load_photo("china")
    rows = []
    for side, steps in zip(args.sides, args.steps):
        image = np.ascontiguousarray(downscale(photo, max(photo.shape[:2]) / 640)[:side, :side])
        data = encode(image, args.quality)
        start = time.perf_counter()
        raw = perceptual_decode([data], 0, PerceptualSettings(steps=steps, correct=False), prior).raw
        sampling = time.perf_counter() - start
        received = receive([data])
        start = time.perf_counter()
        correction = make_idempotent(received.codec, raw, received.y_symbols, received.z_symbols)
        correcting = time.perf_counter() - start
        rows.append({"side": side, "steps": steps, "seconds_per_step": round(sampling / steps, 4),
                     "correction_seconds": round(correcting, 2), "correction_steps": int(correction.steps[0]),
                     "exact": bool(correction.exact[0]), "replaced": float(correction.replaced[0])})
        print(rows[-1])
    base = rows[0]
    for row in rows:
        pixels = (row["side"] / base["side"]) ** 2
        row["step_cost_ratio"] = round(row["seconds_per_step"] / base["seconds_per_step"], 1)
        row["pixel_ratio"] = pixels
        row["ratio_over_pixels"] = round(row["step_cost_ratio"] / pixels, 3)
        row["estimated_100_step_seconds"] = round(100 * row["seconds_per_step"] + row["correction_seconds"], 1)
    write("perceptual_scaling", {"threads": torch.get_num_threads(), "quality": args.quality, "rows": rows})


if __name__ == "__main__":
    main()
