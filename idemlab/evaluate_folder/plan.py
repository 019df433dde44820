"""What ``idemlab evaluate`` runs and where it keeps it: the plan, the output folder's files, the
images, their seeds and the rows recorded so far."""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from idemlab.errors import IdemlabError

if TYPE_CHECKING:  # the decoder (and torch) load only when a plan runs
    from idemlab.decoder import PerceptualSettings

IMAGES_FILE, SUMMARY_FILE, FIGURE_FILE, PLAN_FILE = "images.jsonl", "summary.json", "summary.png", "plan.json"
BASELINES = ("jpeg", "webp")  # Pillow's, at the largest quality whose file is no larger than ours


@dataclass(frozen=True)
class Plan:
    """What ``idemlab evaluate`` runs: images × qualities of one codec, with one perceptual setting."""

    folder: Path
    out: Path
    qualities: tuple[int, ...]
    codec: str
    prior: str | None
    settings: PerceptualSettings
    seed: int
    device: str = "cpu"
    inception: bool = False  # FID and KID of each set too (idemlab.fid; the full-scale path)


def list_images(folder: Path) -> list[Path]:
    """Return the image files of a folder (by suffix, sorted), or refuse a missing or empty one."""
    from idemlab.data import IMAGE_SUFFIXES

    if not folder.is_dir():
        raise IdemlabError(f"{folder} is not a folder")
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not images:
        raise IdemlabError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return images


def image_seed(seed: int, name: str, quality: int) -> int:
    """Return the perceptual decoder's seed for one image at one quality (independent of ranks)."""
    return (seed * 1_000_003 + zlib.crc32(f"{name}:{quality}".encode())) % 2**63


def read_rows(out: Path) -> list[dict]:
    """Return the rows recorded so far (a line cut short by a kill is ignored)."""
    path = out / IMAGES_FILE
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def keep_one_plan(plan: Plan) -> None:
    """Record the codec, prior, seed and decoder settings in DIR/plan.json, or refuse to resume a
    folder whose rows were made with others (its summary would mix two decoders)."""
    recorded = {"codec": plan.codec, "prior": plan.prior, "seed": plan.seed, **plan.settings.to_dict()}
    path = plan.out / PLAN_FILE
    if not path.exists():
        path.write_text(json.dumps(recorded, indent=1))
        return
    before = json.loads(path.read_text())
    changed = [key for key in recorded if before.get(key) != recorded[key]]
    if changed:
        raise IdemlabError(f"{plan.out} holds an evaluation made with another {', '.join(changed)}; "
                           f"resume it with the same options or choose another --out")


def drop_partial_line(path: Path) -> None:
    """Cut off a last line that a kill left unfinished, so that the next row starts a line."""
    if path.exists():
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with path.open("r+b") as lines:
                lines.truncate(data.rfind(b"\n") + 1)


def reconstruction_path(out: Path, image: str, quality: int, name: str) -> Path:
    """Return where ``idemlab evaluate`` saves one reconstruction of an image (decoder or baseline)."""
    folder = out / "reconstructions"
    folder.mkdir(exist_ok=True)
    return folder / f"{Path(image).stem}.q{quality}.{name}.png"
