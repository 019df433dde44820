"""Do attention windows that shift between sampler steps remove the window seams?

``python experiments/window_shift/run.py --photos DIR`` (DIR: ``benchmarks/held_out_photos.py --side
256``'s output) writes results.json with three comparisons of the windows held fixed for a whole
reverse diffusion (the old layout, ``shift_windows`` forced to step 0) against the shifted ones
(the default): the seam index (``idemlab.realism.defects``) at the offsets 0, 8, 16 and 24 of the
32-pixel grid, per image and in the mean, of

- ``prior``: the shipped prior's own samples, six 96×96 canvases, 20 DDIM steps, seed 0;
- ``decoder``: the default perceptual decoder at quality 0, every sixth held-out photo shrunk so
  that its shorter side is 128 and centre-cropped to 128×128, one batch, seed 0, with the MSE
  decoder and the originals beside it;
- ``paper_start``: the decoder from pure noise without the colour anchor (the paper's start),
  20 DPM-Solver++ steps, the 96×96 top-left and bottom-right crops of the package's two test
  photos at 1/4 scale, quality 0.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import idemlab.prior.sampling as sampling
from idemlab.codec.pipeline import decode, encode
from idemlab.data import held_out_photos
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.images import to_uint8
from idemlab.prior import load_prior
from idemlab.prior.windows import shift_windows
from idemlab.realism.defects import seam_index

HERE = Path(__file__).resolve().parent
OFFSETS = (0, 8, 16, 24)
LAYOUTS = {"fixed": lambda unet, step: shift_windows(unet, 0), "shifted": shift_windows}


def seams(images) -> dict:
    """Return the seam index of each image at each offset, and their means."""
    per_image = [[seam_index(image, offset=offset) for offset in OFFSETS] for image in images]
    return {"offsets": list(OFFSETS), "mean": np.mean(per_image, 0).round(3).tolist(),
            "per_image": np.round(per_image, 3).tolist()}


def square_crops(folder: Path) -> list[np.ndarray]:
    """Return every sixth held-out photo, shrunk to a shorter side of 128 and centre-cropped to 128×128."""
    crops = []
    for path in sorted(folder.glob("*.png"))[::6]:
        image = Image.open(path).convert("RGB")
        factor = 128 / min(image.size)
        image = np.asarray(image.resize([max(128, round(n * factor)) for n in image.size], Image.LANCZOS))
        top, left = (image.shape[0] - 128) // 2, (image.shape[1] - 128) // 2
        crops.append(np.ascontiguousarray(image[top: top + 128, left: left + 128]))
    return crops


def decodes(photos: list[np.ndarray], settings: PerceptualSettings, prior) -> dict:
    files = [encode(photo, 0) for photo in photos]
    out = {"original": seams(photos), "mse": seams([decode(data) for data in files])}
    for layout, place in LAYOUTS.items():
        sampling.shift_windows = place
        out[layout] = seams(perceptual_decode(files, 0, settings, prior).images)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="the held-out photos at a longer side of 256")
    args = parser.parse_args()
    prior, results = load_prior(), {}
    results["prior"] = {}
    for layout, place in LAYOUTS.items():
        sampling.shift_windows = place
        generator = torch.Generator().manual_seed(0)
        x_T = torch.randn((6, 3, 96, 96), generator=generator)
        samples = sampling.reverse_diffusion(prior, x_T, 20, "ddim", generator=generator)
        results["prior"][layout] = seams(to_uint8((samples + 1) / 2))
    results["decoder"] = decodes(square_crops(args.photos), PerceptualSettings(), prior)
    test_crops = [np.ascontiguousarray(crop) for photo in held_out_photos(factor=4.0)
                  for crop in (photo[:96, :96], photo[-96:, -96:])]
    results["paper_start"] = decodes(test_crops, PerceptualSettings(sampler="dpm++", steps=20, start=1.0, anchor=None),
                                     prior)
    sampling.shift_windows = shift_windows
    (HERE / "results.json").write_text(json.dumps({"command": "python experiments/window_shift/run.py --photos DIR",
                                                   "threads": torch.get_num_threads(), **results}, indent=1))
    print(json.dumps({part: {k: v["mean"] for k, v in rows.items()} for part, rows in results.items()}, indent=1))


if __name__ == "__main__":
    main()
