"""Large and hostile images through the CLI: time and peak memory of each command.

A 4000×3000 photograph (a held-out photo enlarged) is encoded and MSE-decoded; a decompression
bomb (20000×20000) and an image over the pixel limit are refused; ``--help``, ``info`` and a
missing file measure the CLI's start-up. Each command runs in its own process, whose peak
resident memory the kernel reports (the images are made in another process first, because a
child's peak starts from its parent's size at fork). Writes results/large_images.json.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from common import write

IDEMLAB = [str(Path(os.sys.executable).with_name("idemlab"))]
MAKE_IMAGES = """
import sys
from PIL import Image
from idemlab.data import load_photo
folder = sys.argv[1]
Image.fromarray(load_photo("china")).resize((4000, 3000), Image.Resampling.LANCZOS).save(folder + "/big.png")
Image.new("L", (20000, 20000)).save(folder + "/bomb.png")
Image.new("L", (5000, 4000)).save(folder + "/over_limit.png")
"""


def run(args: list[str]) -> dict:
    """Return exit status, seconds, peak resident MB and the last line of stderr of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(IDEMLAB + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    error = process.stderr.read().strip().splitlines()
    return {"command": " ".join(["idemlab"] + args[:2]), "exit": os.waitstatus_to_exitcode(status),
            "seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1),
            "stderr_last_line": error[-1] if error else ""}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        subprocess.run([os.sys.executable, "-c", MAKE_IMAGES, str(folder)], check=True)
        rows.append(run(["--help"]))
        rows.append(run(["info", str(folder / "missing.idem")]))
        rows.append(run(["encode", str(folder / "big.png"), "-o", str(folder / "big.idem"), "--quality", "3"]))
        rows.append(run(["info", str(folder / "big.idem")]))
        rows.append(run(["decode", str(folder / "big.idem"), "-o", str(folder / "big_mse.png")]))
        rows.append(run(["encode", str(folder / "bomb.png"), "-o", str(folder / "bomb.idem")]))
        rows.append(run(["encode", str(folder / "over_limit.png"), "-o", str(folder / "over.idem")]))
        from idemlab.images import read_image
        from idemlab.metrics import psnr as peak_snr

        psnr = peak_snr(read_image(folder / "big_mse.png"), read_image(folder / "big.png"))
        size = (folder / "big.idem").stat().st_size
    for row in rows:
        print(row)
    write("large_images", {"commands": rows, "photo": "skimage/sklearn 'china' enlarged to 4000×3000 (Lanczos)",
                           "big_file_bytes": size, "big_bpp": round(8 * size / 12e6, 4),
                           "big_psnr_db": round(float(psnr), 2)})


if __name__ == "__main__":
    main()
