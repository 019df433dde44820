"""Fuzz the .idem decoder: ≥ 10,000 mutated files, each decoded in a watched worker process.

Counts clean refusals, crashes, hangs (over the time limit), memory overruns and uncaught
exceptions, and the worst peak memory of a case. Writes results/fuzz_bitstream.json.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from common import write
from idemlab.codec.pipeline import encode
from idemlab.data import held_out_photos
from idemlab.fuzz import fuzz, mutations


def valid_files() -> list[bytes]:
    """Return real files of several sizes at every quality, from crops of the held-out photos."""
    photo = held_out_photos(2.0)[0]
    crops = [photo[:32, :32], photo[40:77, 10:63], photo[:1, :1], photo[100:200, 50:200]]
    return [encode(np.ascontiguousarray(crop), quality) for crop in crops for quality in (1, 3, 5, 7)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=11_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=5.0, help="seconds a case may take")
    parser.add_argument("--memory-limit", type=float, default=1024.0,
                        help="MB a case may add to the loaded worker's memory")
    args = parser.parse_args()
    start = time.time()
    report = fuzz(list(mutations(valid_files(), args.cases, args.seed)), args.time_limit, args.memory_limit,
                  progress=True)
    figures = {"cases": report.cases, "outcomes": dict(report.outcomes),
               "by_kind": {kind: dict(counts) for kind, counts in report.by_kind.items()},
               "crashes": report.outcomes["crash"], "hangs": report.outcomes["hang"],
               "memory_overruns": report.outcomes["memory"],
               "uncaught": sum(v for k, v in report.outcomes.items() if k.startswith("uncaught")),
               "peak_rss_mb_of_worst_case": round(report.peak_rss_mb, 1),
               "worker_rss_mb_before_any_case": round(report.baseline_rss_mb, 1),
               "slowest_case_seconds": round(report.slowest_seconds, 3),
               "time_limit_s": args.time_limit, "memory_limit_mb": args.memory_limit,
               "wall_seconds": round(time.time() - start, 1), "failures": report.examples}
    print(write("fuzz_bitstream", figures))
    print({k: figures[k] for k in ("cases", "outcomes", "peak_rss_mb_of_worst_case", "worker_rss_mb_before_any_case",
                                   "slowest_case_seconds")})


if __name__ == "__main__":
    main()
