"""Where in the image does each decoder's patch SWD come from? Per Laplacian band, on the held-out photos.

``python experiments/correction_steps/realism_by_band.py --wallpapers DIR`` writes results/realism_by_band.json: the
held-out whole photos of ``perceptual_codec.py``, coded at ``--qualities``, decoded by the MSE
decoder, by the default perceptual decoder and by the eighth correction rule's candidate
(``PerceptualSettings(even_pull_from=1, step_rule="scaled")``) with the seeds ``idemlab evaluate``
gives them (decoder seed 0), and the MSE decode with white noise of 3 gray levels. Per quality and
set: mean PSNR and the patch SWD of each band of the Laplacian pyramid (finest first) and their mean
(the benchmark's figure), measured as the benchmark measures its sets (32×32 tiles against the
originals' tiles). A diagnosis, not a choice: chapter 11 asks whether the default's lower SWD at
the low rates is texture or grain, and white noise lives in the finest band. Run it with
``OMP_NUM_THREADS=1``, as the held-out check ran, so that the seeds give the same samples.
It runs on the package as of commit 2bcd1f1 (``git worktree add ../idemlab-2bcd1f1 2bcd1f1``): the
options it sets by quality (``even_pull_from``, ``scaled_steps_from``, ``zeta_schedule``) left the
package when the decoder's settings became one object (``idemlab.decoder.settings``).
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "benchmarks"))
from common import THREADS, held_out_whole_photos, write  # noqa: E402
from idemlab.codec.pipeline import decode, encode
from idemlab.data import tiles
from idemlab.decoder import PerceptualSettings
from idemlab.decoder.perceptual import correct_to_files, perceptual_decode
from idemlab.evaluate_folder import image_seed
from idemlab.metrics import psnr
from idemlab.prior import load_prior
from idemlab.realism import patch_swd
from noise_and_swd import with_noise

DECODERS = {"default": PerceptualSettings(), "candidate": PerceptualSettings(even_pull_from=1, step_rule="scaled")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wallpapers", type=Path, default=None, help="also the held-out wallpaper photos unpacked here")
    parser.add_argument("--qualities", type=int, nargs="+", default=[0, 1, 3])
    parser.add_argument("--name", default="realism_by_band")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    photos, prior = held_out_whole_photos(args.wallpapers), load_prior()
    originals = np.concatenate([tiles(photo) for photo in photos.values()])
    rates = {}
    for quality in args.qualities:
        sets = {"mse": [], "mse_noise3": [], **{name: [] for name in DECODERS}}
        for name, photo in photos.items():
            data = encode(photo, quality)
            sets["mse"].append(decode(data))
            sets["mse_noise3"].append(with_noise(sets["mse"][-1], 3.0, np.random.default_rng(0)))
            raws = {}  # the raw sample, by whether it had the even pull (at q0 both decoders share one)
            for decoder, settings in DECODERS.items():  # the raw sample, then its correction, as `evaluate` does
                pull = settings.even_pull_at(quality)
                if pull not in raws:
                    sampler = PerceptualSettings(correct=False, even_pull_from=settings.even_pull_from)
                    raws[pull] = perceptual_decode([data], image_seed(0, f"{name}.png", quality), sampler, prior).raw
                sets[decoder].append(correct_to_files(raws[pull], [data], settings.step_rule_at(quality)).images[0])
        rates[quality] = {}
        for name, images in sets.items():
            bands = patch_swd(np.concatenate([tiles(image) for image in images]), originals)
            rates[quality][name] = {"psnr": float(np.mean([psnr(image, photo) for image, photo in zip(images, photos.values())])),
                                    "swd_bands": bands.tolist(), "swd": float(bands.mean())}
            print(quality, name, rates[quality][name], flush=True)
    print(write(args.name, {"photos": list(photos), "decoders": {k: vars(v) for k, v in DECODERS.items()},
                            "rates": rates}, HERE / "results"))


if __name__ == "__main__":
    main()
