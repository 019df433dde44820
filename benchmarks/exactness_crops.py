"""The byte-identical promise on random crops: the perceptual CLI writes an exact PNG or refuses.

Random crops of the held-out photos at random sizes (1 to 200 pixels a side), each at a random
quality, go through ``idemlab encode`` and ``idemlab decode --mode perceptual`` (the command's own
code, run in this process so that torch is imported once). For every crop the promise is checked
from outside the decoder: either the command exits 0 and the PNG it wrote re-encodes to the same
file with every latent at least ``SAFETY`` inside its cell, or it exits non-zero and writes
nothing. One JSON line per crop goes to results/exactness_crops.jsonl as it finishes (a rerun
resumes, ``--shard K/N`` splits the plan between N processes and ``--summary`` only summarises); the counts and the MSE-fallback
distribution of the crops run so far go to results/exactness_crops.json after every crop. Wall
times include any pause of the process, so the summary gives their median.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from common import RESULTS, write
from idemlab.cli import main as idemlab
from idemlab.codec.pipeline import encode
from idemlab.codec.received import SAFETY, judge, receive
from idemlab.codec.registry import family
from idemlab.data import TEST_PHOTOS, load_photo
from idemlab.images import read_image

LINES = RESULTS / "exactness_crops.jsonl"


def crop_plan(count: int, largest: int, seed: int) -> list[dict]:
    """Return ``count`` crops: photo, position, size (1 to ``largest`` a side) and quality."""
    rng = np.random.default_rng(seed)
    qualities = family("small-hyperprior").qualities
    plan = []
    for index in range(count):
        photo = str(rng.choice(TEST_PHOTOS))
        full_height, full_width = load_photo(photo).shape[:2]
        height, width = (int(v) for v in rng.integers(1, largest + 1, size=2))
        plan.append({"crop": index, "photo": photo, "height": height, "width": width,
                     "top": int(rng.integers(0, full_height - height + 1)),
                     "left": int(rng.integers(0, full_width - width + 1)),
                     "quality": int(rng.choice(qualities))})
    return plan


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Return the exit status, stdout and the ``idemlab: error`` line of one command."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = idemlab(args)
    errors = [line for line in err.getvalue().splitlines() if line.startswith("idemlab: error")]
    return status, out.getvalue().strip(), errors[-1] if errors else ""


def check_crop(crop: dict, steps: int, folder: Path) -> dict:
    """Encode and perceptually decode one crop through the CLI; check the promise from outside."""
    photo = load_photo(crop["photo"])
    image = photo[crop["top"]: crop["top"] + crop["height"], crop["left"]: crop["left"] + crop["width"]]
    source, idem, output = folder / "crop.png", folder / "crop.idem", folder / "decoded.png"
    for path in (idem, output):
        path.unlink(missing_ok=True)
    Image.fromarray(image).save(source)
    status, _, error = run_cli(["encode", str(source), "-o", str(idem), "--quality", str(crop["quality"])])
    assert status == 0, error
    start = time.perf_counter()
    status, said, error = run_cli(["decode", str(idem), "-o", str(output), "--mode", "perceptual",
                                   "--seed", str(crop["crop"]), "--steps", str(steps)])
    row = {**crop, "steps": steps, "exit": status, "seconds": round(time.perf_counter() - start, 2),
           "written": output.exists(), "error": error}
    if row["written"]:
        decoded, data = read_image(output), idem.read_bytes()
        replaced = re.search(r"([\d.]+) % of pixels taken from the MSE", said)
        row.update(identical=encode(decoded, crop["quality"]) == data, margin=round(judge(decoded[None], receive([data])).margin[0], 4),
                   replaced_percent=float(replaced.group(1)) if replaced else 0.0)
    row["kept"] = (status == 0 and row["written"] and row["identical"] and row["margin"] >= SAFETY) or (
        status != 0 and not row["written"])
    return row


def summary(rows: list[dict]) -> dict:
    """Return the counts: written exact (with and without MSE pixels), refused, promise broken."""
    written = [r for r in rows if r["written"]]
    replaced = np.array([r["replaced_percent"] for r in written]) if written else np.zeros(0)

    def counts(subset: list[dict]) -> dict:
        done = [r for r in subset if r["written"]]
        return {"crops": len(subset), "written_exact": len(done),
                "written_without_mse_pixels": sum(r["replaced_percent"] == 0 for r in done),
                "refused": sum(r["exit"] != 0 and not r["written"] for r in subset),
                "promise_broken": sum(not r["kept"] for r in subset)}

    return {**counts(rows), "safety_margin": SAFETY,
            "smallest_margin_written": min((r["margin"] for r in written), default=None),
            "refusal_reasons": sorted({r["error"].split(";")[0] for r in rows if r["exit"] != 0}),
            "mse_fallback_among_written": {
                "share_with_any_%": round(100 * float(np.mean(replaced > 0)), 1) if len(replaced) else None,
                "median_%": float(np.median(replaced)) if len(replaced) else None,
                "max_%": float(replaced.max()) if len(replaced) else None},
            "by_quality": {q: counts([r for r in rows if r["quality"] == q]) for q in sorted({r["quality"] for r in rows})},
            "median_seconds_per_crop": round(float(np.median([r["seconds"] for r in rows])), 1),
            "mean_pixels": round(float(np.mean([r["height"] * r["width"] for r in rows])))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=int, default=200)
    parser.add_argument("--largest", type=int, default=200, help="largest crop side in pixels")
    parser.add_argument("--steps", type=int, default=100, help="perceptual decoder steps (the CLI default: 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shard", default="0/1",
                        help="K/N: run only the crops whose index is K modulo N (N processes share the plan)")
    parser.add_argument("--summary", action="store_true", help="only summarise the crops done so far")
    args = parser.parse_args()
    shard, shards = (int(v) for v in args.shard.split("/"))
    done = {}
    if LINES.exists():
        done = {(r["crop"], r["steps"]): r for r in map(json.loads, LINES.read_text().splitlines())}
    settings = {k: v for k, v in vars(args).items() if k not in ("shard", "summary")}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for crop in crop_plan(args.crops, args.largest, args.seed):
            row = done.get((crop["crop"], args.steps))
            if row is None and (args.summary or crop["crop"] % shards != shard):
                continue  # not done yet, and not this process's to do
            if row is None or {k: row[k] for k in crop} != crop:
                row = check_crop(crop, args.steps, Path(folder))
                with LINES.open("a") as lines:
                    lines.write(json.dumps(row) + "\n")
            rows.append(row)
            print(f"crop {crop['crop']}: {crop['height']}×{crop['width']} q{crop['quality']} "
                  f"exit {row['exit']} kept {row['kept']} ({row['seconds']} s)", flush=True)
            summary_path = write("exactness_crops", {"settings": settings, **summary(rows)})  # so far, if interrupted
    print(summary_path)


if __name__ == "__main__":
    main()
