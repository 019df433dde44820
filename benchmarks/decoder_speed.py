"""The perceptual decoder: seconds per 32×32 image vs steps (= network evaluations).

``python benchmarks/decoder_speed.py`` writes results/decoder_speed.json: for a batch of
held-out tiles at quality 3, the wall time of ``perceptual_decode`` (sampling with the
image-space constraint at the default ζ, plus the exact-idempotence correction) divided by the
batch size, for DDIM and DDPM at several step counts (8 tiles; 100 DDPM steps is the default) and
the paper's 1000-step DDPM (4 tiles, to keep the run short), on the CPU (2 threads), with the
share of tiles whose saved PNG re-encodes exactly.
"""
import time

import torch

from common import write
from idemlab.codec.pipeline import encode
from idemlab.data import held_out_patches
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.prior import load_prior

PLAN = [(kind, steps, 8) for kind in ("ddim", "ddpm") for steps in (10, 25, 50, 100)] + [("ddpm", 1000, 4)]


def main() -> None:
    torch.set_num_threads(2)
    prior = load_prior()
    files = [encode(tile, 3) for tile in held_out_patches()[::14][:8]]
    rows = []
    for kind, steps, batch in PLAN:
        start = time.perf_counter()
        result = perceptual_decode(files[:batch], 0, PerceptualSettings(steps=steps, sampler=kind), prior)
        rows.append({"device": "cpu", "sampler": kind, "steps": steps, "batch": batch,
                     "seconds_per_image": round((time.perf_counter() - start) / batch, 3),
                     "symbols_exact_after_correction_%": 100 * float(result.correction.exact.mean()),
                     "pixels_replaced_by_mse_%": round(100 * float(result.correction.replaced.mean()), 2)})
        print(rows[-1], flush=True)
    print(write("decoder_speed", {"rows": rows}))


if __name__ == "__main__":
    main()
