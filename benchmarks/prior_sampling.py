"""The shipped diffusion prior: sampling seconds per 32×32 image vs number of steps.

``python benchmarks/prior_sampling.py`` writes results/prior_sampling.json: for DDIM and DDPM at
several step counts, the wall time of one batch of 16 unconditional samples divided by 16, on
this machine's CPU (2 threads) and, when one is present, on its CUDA GPU.
"""
import time

import torch

from common import THREADS, write
from idemlab.prior import load_prior, sample

BATCH = 16
PLAN = [("ddim", 10), ("ddim", 25), ("ddim", 50), ("ddim", 100), ("ddpm", 100), ("ddpm", 250)]


def seconds_per_image(prior, kind: str, steps: int) -> float:
    start = time.perf_counter()
    sample(prior, BATCH, steps=steps, kind=kind, seed=0)
    return (time.perf_counter() - start) / BATCH


def main() -> None:
    torch.set_num_threads(THREADS)
    prior = load_prior()
    rows = [{"device": "cpu", "sampler": kind, "steps": steps, "batch": BATCH,
             "seconds_per_image": round(seconds_per_image(prior, kind, steps), 4)} for kind, steps in PLAN]
    print(write("prior_sampling", {"rows": rows}))


if __name__ == "__main__":
    main()
