"""Does the patch SWD reward plain noise? The MSE decoder plus white noise, on the held-out photos.

``python benchmarks/noise_and_swd.py --wallpapers DIR`` writes results/noise_and_swd.json: the
held-out whole photos of ``perceptual_codec.py`` coded at every shipped quality, decoded by the MSE
decoder, and that decode with Gaussian noise of σ gray levels added (one seed, rounded back to 8
bits). Per quality and σ: mean PSNR, and the patch SWD and spectral distance measured as the
benchmark measures its sets (32×32 tiles of every photo against the originals' tiles,
``evaluation.realism``; at σ 0 within 1 % of the benchmark's MSE figures: the photos in another
order draw other patches). A diagnosis, not a choice: chapter 11 asks whether the lower SWD of Adam's
correction (which moves every pixel by a few gray levels) is texture or noise, and this shows what
noise alone does to the measure.
"""
import argparse
from pathlib import Path

import numpy as np

from common import held_out_whole_photos, write
from idemlab.codec import QUALITY_LAMBDAS
from idemlab.codec.pipeline import decode, encode
from idemlab.data import tiles
from idemlab.evaluation import realism
from idemlab.metrics import psnr

SIGMAS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)  # gray levels


def with_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Return the 8-bit image with Gaussian noise of ``sigma`` gray levels added."""
    return np.clip(np.round(image + rng.normal(0.0, sigma, image.shape)), 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wallpapers", type=Path, default=None, help="also the held-out wallpaper photos unpacked here")
    args = parser.parse_args()
    photos = held_out_whole_photos(args.wallpapers)
    originals = np.concatenate([tiles(photo) for photo in photos.values()])
    rows = []
    for quality in sorted(QUALITY_LAMBDAS):
        decoded = [decode(encode(photo, quality)) for photo in photos.values()]
        for sigma in SIGMAS:
            rng = np.random.default_rng(0)
            noisy = [with_noise(image, sigma, rng) for image in decoded]
            scores = realism(np.concatenate([tiles(image) for image in noisy]), originals)
            rows.append({"quality": quality, "sigma": sigma,
                         "psnr": float(np.mean([psnr(photo, image) for photo, image in zip(photos.values(), noisy)])),
                         **scores})
            print(rows[-1], flush=True)
    print(write("noise_and_swd", {"photos": list(photos), "sigmas": list(SIGMAS), "rows": rows}))


if __name__ == "__main__":
    main()
