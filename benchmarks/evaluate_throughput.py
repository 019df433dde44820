"""``idemlab evaluate`` throughput: images per minute at 10 and 100 steps, one process and two.

Writes results/evaluate_throughput.json. A folder of 64×64 crops of the held-out photos is
evaluated at one quality by the command itself (a fresh ``--out`` each time, so nothing is
resumed), in one process and under ``torchrun --nproc_per_node 2`` (one thread per process in
both, torchrun's default), and the rows of the two runs are compared.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from common import write
from idemlab.data import held_out_photos, tiles

BIN = Path(sys.executable).parent


def evaluate(folder: Path, out: Path, steps: int, processes: int) -> float:
    """Run the command; return its wall time in seconds."""
    command = [str(BIN / "idemlab"), "evaluate", str(folder), "--out", str(out), "--quality", "3", "--steps", str(steps)]
    if processes > 1:
        command = [str(BIN / "torchrun"), "--standalone", "--nproc_per_node", str(processes)] + command
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return time.perf_counter() - start


def rows(out: Path) -> list[dict]:
    lines = [json.loads(line) for line in (out / "images.jsonl").read_text().splitlines()]
    return sorted(({k: v for k, v in r.items() if k != "seconds"} for r in lines), key=lambda r: r["image"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "images"
        folder.mkdir()
        for index, tile in enumerate(tiles(held_out_photos()[0], 64)[: args.images]):
            Image.fromarray(tile).save(folder / f"crop{index:02d}.png")
        for steps in (10, 100):
            runs = {}
            for processes in (1, 2):
                out = Path(root) / f"out-{steps}-{processes}"
                seconds = evaluate(folder, out, steps, processes)
                runs[processes] = rows(out)
                results.append({"steps": steps, "processes": processes, "images": args.images, "size": 64,
                                "seconds": round(seconds, 1), "images_per_minute": round(60 * args.images / seconds, 2)})
                print(results[-1], flush=True)
            results[-1]["rows_equal_to_one_process"] = runs[1] == runs[2]
    print(write("evaluate_throughput", {"rows": results,
                                        "note": "wall time of the whole command, start-up (torch, models) included"}))


if __name__ == "__main__":
    main()
