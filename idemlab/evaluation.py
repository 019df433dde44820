"""Measure decoders on the held-out photos: rate, fidelity, realism, idempotence, diversity, time.

Used by the chapter "Results and ablations" on a subset and by ``benchmarks/perceptual_codec.py``
on the whole test set. Every figure is computed from real ``.idem`` files and from the images as
they would be saved (8-bit).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import asdict, replace

import numpy as np

from idemlab.baselines import jpeg_at_bpp
from idemlab.codec.pipeline import SMALL_HYPERPRIOR, decode, encode, symbols
from idemlab.codec.received import receive
from idemlab.data import tiles
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.decoder.correction import Correction
from idemlab.errors import InexactWarning
from idemlab.images import to_uint8
from idemlab.metrics import psnr, squared_errors
from idemlab.prior.model import Prior
from idemlab.realism import patch_swd, spectral_distance_db


def realism(images: np.ndarray, originals: np.ndarray) -> dict:
    """Return the set-level realism divergences of reconstructions from the originals they code."""
    return {"swd": float(patch_swd(images, originals).mean()), "spectral_db": spectral_distance_db(images, originals)}


def reencoding(images: np.ndarray, files: list[bytes], quality: int, codec: int | str = SMALL_HYPERPRIOR) -> dict:
    """Return how idempotent saved reconstructions are: % of y and z symbols and of whole files
    that re-encoding with ``codec`` (the one that wrote the files) reproduces."""
    y_same = z_same = y_total = z_total = identical = 0
    received = receive(files)
    for image, y2, z2 in zip(images, received.y_symbols, received.z_symbols):
        y1, z1 = symbols(image, quality, codec)
        identical += bool((y1 == y2).all() and (z1 == z2).all())  # same size, same symbols: the same file
        y_same, y_total = y_same + int((y1 == y2).sum()), y_total + y1.numel()
        z_same, z_total = z_same + int((z1 == z2).sum()), z_total + z1.numel()
    return {"y_symbols_%": 100 * y_same / y_total, "z_symbols_%": 100 * z_same / z_total,
            "byte_identical_%": 100 * identical / len(files)}


def constraint_ablation(tiles: np.ndarray, quality: int, constraint: str, zeta: float, prior: Prior,
                        settings: PerceptualSettings = PerceptualSettings()) -> dict:
    """Return what the sampler alone achieves with one constraint at one ζ, the correction off:
    PSNR of its 8-bit samples and how much of each file they re-encode to."""
    files = [encode(tile, quality) for tile in tiles]
    ablated = replace(settings, constraint=constraint, zeta=zeta, correct=False)
    samples = perceptual_decode(files, 0, ablated, prior).images
    return {"constraint": constraint, "zeta": zeta, "psnr_db": psnr(samples, tiles), **reencoding(samples, files, quality)}


def evaluate_rate(photos: list[np.ndarray], quality: int, prior: Prior, settings: PerceptualSettings = PerceptualSettings(),
                  size: int = 32, every: int = 1, batch: int = 32, diversity_images: int = 16,
                  progress: bool = False) -> dict:
    """Return every measure of the MSE decoder, the perceptual decoder (before and after the
    exact-idempotence correction) and JPEG at matched bpp, on every ``every``-th size×size tile
    of the photos (JPEG codes the whole photos, then is tiled the same way)."""
    originals = np.concatenate([tiles(photo, size) for photo in photos])[::every]
    files = [encode(tile, quality) for tile in originals]
    bpp = 8 * np.mean([len(f) for f in files]) / size**2
    mse_images = np.stack([decode(f) for f in files])
    start, raw, corrected, corrections = time.perf_counter(), [], [], []
    for first in range(0, len(files), batch):
        with warnings.catch_warnings():  # the report below counts what the warning would say
            warnings.simplefilter("ignore", InexactWarning)
            result = perceptual_decode(files[first:first + batch], 0, settings, prior, progress)
        raw.append(to_uint8(result.raw))
        corrected.append(result.images)
        corrections.append(result.correction)
    seconds = (time.perf_counter() - start) / len(files)
    raw, corrected = np.concatenate(raw), np.concatenate(corrected)
    second_seed = perceptual_decode(files[:diversity_images], 1, settings, prior).images
    jpeg_bpp, jpeg_images = zip(*(jpeg_at_bpp(photo, bpp) for photo in photos))
    jpeg_tiles = np.concatenate([tiles(image, size) for image in jpeg_images])[::every]
    rows = {"mse": mse_images, "perceptual_raw": raw, "perceptual": corrected, "jpeg": jpeg_tiles}
    scores = {name: {"psnr_db": psnr(images, originals), **realism(images, originals)}
              for name, images in rows.items()}
    for name in ("mse", "perceptual_raw", "perceptual"):
        scores[name].update(reencoding(rows[name], files, quality))
        scores[name]["squared_error_per_image"] = squared_errors(rows[name], originals).tolist()
    scores["data"] = realism(originals, originals)  # the estimator's floor: same images, other patches
    scores["jpeg"]["bpp"] = float(np.mean(jpeg_bpp))
    scores["perceptual"].update({
        "seconds_per_image": seconds, "nfe": settings.steps, "correction": Correction.concatenate(corrections).report(),
        "seed_std_gray_levels": float(np.std(np.stack([corrected[:diversity_images], second_seed]).astype(float),
                                             axis=0, ddof=1).mean())})
    return {"quality": quality, "bpp": float(bpp), "n_images": len(files), "settings": asdict(settings),
            "scores": scores}
