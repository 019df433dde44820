"""Write the held-out whole photos: 36 photographs no model here ever saw, of scenes unlike any
training photo (wild and farm animals, monuments, a castle, a bridge, fruit, a bee).

They come from two Debian packages: GCompris's educational activities (Wikimedia Commons photos,
public domain, CC0 or CC-BY-SA, credited in each activity's README) and Palapeli's puzzle
collection. The photos were picked by a rule fixed before any was decoded: every photo of
GCompris's world-animal, farm-animal and world-wonder activities, and every photo of Palapeli's
collection. Each is shrunk (Lanczos) so that its longer side is ``--side`` pixels and saved as a
PNG, with a CREDITS.md beside them. The project ships none of them.

    python benchmarks/held_out_photos.py --out held_out          # needs apt-get (Debian/Ubuntu)
    idemlab evaluate held_out --out results/held_out             # then measure the decoders on them
"""
from __future__ import annotations

import argparse
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from idemlab.images import downscale

from idemlab.errors import IdemlabError
from idemlab.wallpapers import fetch

GCOMPRIS = "usr/share/gcompris-qt/rcc"
ACTIVITIES = {  # activity → the resource folder whose photos are taken
    "explore_world_animals": "explore_world_animals/resource/animals/",
    "explore_farm_animals": "explore_farm_animals/resource/animals/",
    "explore_monuments": "explore_monuments/resource/wonders/",
}
PALAPELI = "usr/share/palapeli/collection"
PACKAGES = ("gcompris-qt-data", "palapeli-data")


def qt_resources(data: bytes) -> dict[str, bytes]:
    """Return the files of a compiled Qt resource (.rcc) by path: its header, its tree of 14- or
    22-byte nodes, its UTF-16 names and its zlib-compressed or stored payloads (Qt's rcc format)."""
    if data[:4] != b"qres":
        raise ValueError("not a Qt resource file")
    version, tree, payload, names = struct.unpack(">4I", data[4:20])
    node = 14 if version == 1 else 22

    def name(offset: int) -> str:
        (length,) = struct.unpack(">H", data[names + offset: names + offset + 2])
        return data[names + offset + 6: names + offset + 6 + 2 * length].decode("utf-16-be")

    files, stack = {}, [(0, "")]
    while stack:
        index, prefix = stack.pop()
        start = tree + index * node
        name_offset, flags = struct.unpack(">IH", data[start: start + 6])
        path = prefix + (name(name_offset) if index else "")
        if flags & 2:  # a directory: its children's count and first index
            count, first = struct.unpack(">II", data[start + 6: start + 14])
            stack += [(child, path + "/" if path else "") for child in range(first, first + count)]
            continue
        (offset,) = struct.unpack(">I", data[start + 10: start + 14])
        (size,) = struct.unpack(">I", data[payload + offset: payload + offset + 4])
        blob = data[payload + offset + 4: payload + offset + 4 + size]
        files[path] = zlib.decompress(blob[4:]) if flags & 1 else blob  # qCompress: length, then zlib
    return files


def _credits(readme: str) -> dict[str, str]:
    """Return 'author, licence, source' by file name from a GCompris README's blocks."""
    credits = {}
    for block in readme.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        files = block.split("Files:", 1)[-1].split() if "Files:" in block else []
        for file in files:
            credits[Path(file).name] = f"{fields.get('Copyright', '?')}, {fields.get('License', '?')}, {fields.get('Source', '')}"
    return credits


def gcompris_photos(root: Path) -> dict[str, tuple[bytes, str]]:
    """Return the GCompris photos of ``ACTIVITIES`` by name, with their credit lines."""
    photos = {}
    for activity, folder in ACTIVITIES.items():
        files = qt_resources((root / GCOMPRIS / f"{activity}.rcc").read_bytes())
        inside = {path.split(folder, 1)[1]: blob for path, blob in files.items() if folder in path}
        credits = {}
        for path, blob in files.items():
            if path.endswith("/README"):
                credits |= _credits(blob.decode())
        for file, blob in sorted(inside.items()):
            if file.endswith((".webp", ".jpg")):
                photos[f"{activity.split('_', 1)[1]}-{Path(file).stem}"] = (blob, credits.get(file, "see GCompris"))
    return photos


def palapeli_photos(root: Path) -> dict[str, tuple[bytes, str]]:
    """Return Palapeli's collection photos by name, with the author and licence of their .desktop files."""
    photos = {}
    for path in sorted((root / PALAPELI).glob("*.jpg")):
        desktop = path.with_suffix(".desktop").read_text(errors="replace")
        fields = dict(line.split("=", 1) for line in desktop.splitlines() if "=" in line)
        credit = f"{fields.get('X-KDE-PluginInfo-Author', fields.get('Author', '?'))}, {fields.get('X-KDE-PluginInfo-License', fields.get('License', '?'))}"
        photos[f"palapeli-{path.stem}"] = (path.read_bytes(), credit)
    return photos


def write(root: Path, out: Path, side: int) -> int:
    """Write every held-out photo to ``out`` as a PNG with its longer side ``side``; return how many."""
    out.mkdir(parents=True, exist_ok=True)
    photos = gcompris_photos(root) | palapeli_photos(root)
    lines = ["# Held-out photos (not shipped; written by benchmarks/held_out_photos.py)", "",
             "| file | author, licence, source |", "|---|---|"]
    for name, (blob, credit) in photos.items():
        image = np.asarray(Image.open(io.BytesIO(blob)).convert("RGB"))
        Image.fromarray(downscale(image, max(image.shape[:2]) / side)).save(out / f"{name}.png")
        lines.append(f"| {name}.png | {credit} |")
    (out / "CREDITS.md").write_text("\n".join(lines) + "\n")
    return len(photos)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNGs and CREDITS.md")
    parser.add_argument("--side", type=int, default=128, help="the longer side of each photo in pixels (default 128)")
    parser.add_argument("--packages", type=Path, default=None,
                        help="a folder where the packages are already unpacked (default: fetch them with apt-get)")
    args = parser.parse_args()
    try:
        root = args.packages or fetch(args.out.parent / "held_out_packages", PACKAGES)
    except IdemlabError:
        raise SystemExit(f"could not fetch {' and '.join(PACKAGES)} with apt-get; unpack them with dpkg-deb -x "
                         "into a folder and pass it as --packages") from None
    print(f"{write(root, args.out, args.side)} photos in {args.out}")


if __name__ == "__main__":
    main()
