"""Seconds per exact-score DPS run on the 1-D mixture (chapter "From exact to approximate
inversion") against the number of steps: ``python benchmarks/toy_dps_speed.py``."""
import time

import numpy as np

from common import write
from idemlab.toy import GaussianMixture1D, UniformQuantizer, dps_sample, ste_constraint

PRIOR = GaussianMixture1D([0.5, 0.3, 0.2], [-2.0, 0.5, 2.5], [0.5, 0.7, 0.4])
N_SAMPLES, REPEATS = 4000, 3


def main() -> None:
    constraint = ste_constraint(UniformQuantizer(1.0))
    rows = []
    for steps in [20, 50, 100, 200, 1000]:
        times = []
        for repeat in range(REPEATS):
            start = time.perf_counter()
            dps_sample(PRIOR, constraint, 2, N_SAMPLES, np.random.default_rng(repeat), n_steps=steps, zeta=0.1)
            times.append(time.perf_counter() - start)
        rows.append({"steps": steps, "samples": N_SAMPLES, "median_seconds": round(float(np.median(times)), 4),
                     "microseconds_per_sample_step": round(1e6 * float(np.median(times)) / (steps * N_SAMPLES), 3)})
        print(rows[-1])
    print("wrote", write("toy_dps_speed", {"rows": rows}))


if __name__ == "__main__":
    main()
