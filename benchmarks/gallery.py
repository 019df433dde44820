"""Ship a few held-out photos with their decodes, for chapter 11's gallery.

    python benchmarks/held_out_photos.py --out held_out --side 96
    idemlab evaluate held_out --out held_out_eval --quality 0 1 3
    python benchmarks/gallery.py held_out held_out_eval

The photos are picked by a rule, not by how they decode: in each group of held-out photos
(``GROUPS``), the first one in alphabetical order whose licence asks nothing but credit (public
domain or CC0). Copies the original and every reconstruction ``idemlab evaluate`` saved of it
(MSE, perceptual, and WebP and JPEG at the same bytes where they could be that small) into
results/gallery/, with gallery.json: the credit line and the evaluation's row per photo and
rate, and the evaluation's plan (codec, seed and decoder settings).
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from common import RESULTS

from idemlab.evaluate_folder import PLAN_FILE, read_rows

GROUPS = ("farm_animals", "world_animals", "monuments", "palapeli")
FREE = ("Public Domain", "CC0")
GALLERY = RESULTS / "gallery"


def credits(photos: Path) -> dict[str, str]:
    """Return the credit line of each photo, from the CREDITS.md that held_out_photos.py writes."""
    lines = (line.split("|") for line in (photos / "CREDITS.md").read_text().splitlines() if line.startswith("| "))
    return {cells[1].strip(): cells[2].strip() for cells in lines if cells[1].strip().endswith(".png")}


def picked(credit: dict[str, str]) -> list[str]:
    """Return the first freely licensed photo of each group, in alphabetical order."""
    return [min(name for name, line in credit.items() if name.startswith(group) and any(f in line for f in FREE))
            for group in GROUPS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", type=Path, help="the held-out photos (held_out_photos.py --out)")
    parser.add_argument("evaluated", type=Path, help="the --out folder of idemlab evaluate on them")
    args = parser.parse_args()
    credit, rows = credits(args.photos), read_rows(args.evaluated)
    names = picked(credit)
    shutil.rmtree(GALLERY, ignore_errors=True)
    GALLERY.mkdir(parents=True)
    for name in names:
        shutil.copy(args.photos / name, GALLERY / name)
        for saved in (args.evaluated / "reconstructions").glob(f"{Path(name).stem}.q*.png"):
            shutil.copy(saved, GALLERY / saved.name)
    gallery = {"plan": json.loads((args.evaluated / PLAN_FILE).read_text()),
               "photos": [{"image": name, "credit": credit[name],
                           "rows": sorted((r for r in rows if r["image"] == name), key=lambda r: r["quality"])}
                          for name in names]}
    (GALLERY / "gallery.json").write_text(json.dumps(gallery, indent=1))
    print(f"{len(names)} photos in {GALLERY}: {', '.join(names)}")


if __name__ == "__main__":
    main()
