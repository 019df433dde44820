"""The decoders on the held-out whole photos: ``idemlab evaluate``'s summary kept as a benchmark result.

    python benchmarks/held_out_photos.py --out held_out --side 96
    OMP_NUM_THREADS=1 idemlab evaluate held_out --out held_out_eval --quality 0 1 3   # or under torchrun
    python benchmarks/held_out_evaluation.py held_out_eval

Writes results/held_out_evaluation.json: the summary (per rate: bpp, PSNRs, byte identity, the
validated realism measures with intervals, seams and colour casts, the decoder's settings) and,
per rate, the photos on which the perceptual decoder fell furthest below the MSE decoder, and
every photo's row (``idemlab evaluate``'s images.jsonl), for intervals over photos.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import write

from idemlab.evaluate_folder import SUMMARY_FILE, read_rows


def worst_photos(rows: list[dict], count: int = 5) -> dict[int, list[dict]]:
    """Return per quality the ``count`` photos with the largest PSNR gap to the MSE decoder."""
    worst: dict[int, list[dict]] = {}
    for quality in sorted({r["quality"] for r in rows if "error" not in r}):
        at = [r for r in rows if r.get("quality") == quality and "error" not in r]
        at.sort(key=lambda r: r["psnr_perceptual"] - r["psnr_mse"])
        worst[quality] = [{"image": r["image"], "psnr_mse": r["psnr_mse"], "psnr_perceptual": r["psnr_perceptual"],
                           "psnr_raw": r["psnr_raw"], "byte_identical": r["byte_identical"]} for r in at[:count]]
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("evaluated", type=Path, help="the --out folder of idemlab evaluate")
    args = parser.parse_args()
    summary, rows = json.loads((args.evaluated / SUMMARY_FILE).read_text()), read_rows(args.evaluated)
    print(write("held_out_evaluation", {"summary": summary, "worst_photos": worst_photos(rows), "rows": rows}))


if __name__ == "__main__":
    main()
