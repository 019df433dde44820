"""What every decision experiment shares: the training photos it decides on, and the figures it
compares decoders by. Experiments import it with ``sys.path.insert(0, <experiments/>)``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from idemlab import wallpapers
from idemlab.codec.pipeline import decode
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.images import downscale
from idemlab.metrics import psnr
from idemlab.realism.critic import critic_accuracy
from idemlab.realism.defects import colour_cast, seam_index


def training_photos(root, every: int = 2) -> list[np.ndarray]:
    """Return every ``every``-th training wallpaper (``idemlab.wallpapers.TRAIN``, unpacked under
    root), centre-cropped to 3:2 and shrunk to 96×64."""
    out = []
    for image in wallpapers.load(root, wallpapers.TRAIN[::every], max_side=480):
        h, w = image.shape[:2]
        ch, cw = (h, h * 3 // 2) if w * 2 >= h * 3 else (w * 2 // 3, w)
        top, left = (h - ch) // 2, (w - cw) // 2
        out.append(downscale(np.ascontiguousarray(image[top: top + ch, left: left + cw]), ch / 64)[:64, :96])
    return out


def figures(name: str, decoded: list[np.ndarray], originals: list[np.ndarray], extra: dict) -> dict:
    """Return one decoder's row: pooled PSNR, mean colour cast and seam index
    (``idemlab.realism.defects``), and the critic's accuracy against the originals with its 95 %
    interval (``idemlab.realism.critic``), with ``extra`` appended."""
    critic = critic_accuracy(decoded, originals, seed=0)
    return {"decoder": name, "psnr": psnr(np.stack(decoded), np.stack(originals)),
            "colour_cast": float(np.mean([colour_cast(d, o) for d, o in zip(decoded, originals)])),
            "seam_index": float(np.mean([seam_index(d) for d in decoded])),
            "critic_%": critic.accuracy, "critic_interval_%": [critic.low, critic.high], **extra}


def mse_row(files: list[bytes], originals: list[np.ndarray]) -> dict:
    """Return the MSE decoder's row, with the files' mean bits per pixel."""
    pixels = originals[0].shape[0] * originals[0].shape[1]
    return figures("mse", [decode(f) for f in files], originals, {"bpp": float(np.mean([8 * len(f) / pixels for f in files]))})


def perceptual_row(name: str, files: list[bytes], originals: list[np.ndarray], settings: PerceptualSettings,
                   extra: dict) -> dict:
    """Return the row of the perceptual decoder with these settings (one batch, seed 0): the
    figures, seconds per image, byte identity and the MSE fallback's share, with ``extra``."""
    began = time.perf_counter()
    out = perceptual_decode(files, seed=0, settings=settings)
    seconds = time.perf_counter() - began
    return figures(name, list(out.images), originals,
                   {**extra, "seconds_per_image": seconds / len(files),
                    "byte_identical_%": 100 * float(out.correction.exact.mean()),
                    "mse_fallback_%": 100 * float(out.correction.replaced.mean())})


def write_rows(folder: Path, quality: int, images: int, rows: list[dict]) -> Path:
    """Write one quality's rows to ``folder/results_q<quality>.json`` and return its path."""
    path = folder / f"results_q{quality}.json"
    path.write_text(json.dumps({"quality": quality, "images": images, "rows": rows}, indent=1))
    return path
