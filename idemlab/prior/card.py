"""Measure a trained prior and write its model card: ``python -m idemlab.prior.card DIR``.

Realism is calibrated before it is read (see ``idemlab.realism``): the divergence of the prior's
samples is set beside the same divergence for other real patches (the noise floor), for blurred
real patches and for noise. Writes DIR/realism.json, DIR/samples.png and DIR/MODEL_CARD.md.
Book: Part II, chapter "Diffusion models as unconditional priors".
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from idemlab.checkpoint import weights_section
from idemlab.data import TRAIN_PHOTOS, PatchSampler, held_out_patches, training_data_note, training_images
from idemlab.devices import machine_note, trained_on_gpu
from idemlab.errors import IdemlabError, report
from idemlab.images import to_uint8
from idemlab.prior.load import load_prior
from idemlab.prior.model import Prior
from idemlab.prior.sampling import sample
from idemlab.realism import patch_swd, spectral_distance_db


def blurred(images: np.ndarray, radius: float = 1.0) -> np.ndarray:
    """Return uint8 images after a Gaussian blur (Pillow) of the given radius."""
    return np.stack([np.asarray(Image.fromarray(i).filter(ImageFilter.GaussianBlur(radius))) for i in images])


def realism_calibration(samples: np.ndarray, seed: int = 0, images: list[np.ndarray] | None = None) -> dict:
    """Return SWD (mean over pyramid levels, ×10³) and spectral distance (dB) of the samples and of
    the calibration sets, against fresh training patches (of the package photos, or of ``images``)
    and against the held-out test tiles."""
    n = len(samples)
    train_reference = PatchSampler(seed=1000 + seed, images=images).sample(n)
    test_reference = held_out_patches()
    other_real = PatchSampler(seed=2000 + seed, images=images).sample(n)
    noise = np.random.default_rng(seed).integers(0, 256, samples.shape, dtype=np.uint8)
    candidates = {"samples": samples, "real patches (other crops)": other_real,
                  "blurred real (σ = 1 px)": blurred(other_real), "uniform noise": noise}
    table = {}
    for name, images in candidates.items():
        table[name] = {f"{label}_{measure}": value
                       for label, reference in (("vs_train", train_reference), ("vs_test", test_reference))
                       for measure, value in (("swd", float(patch_swd(images, reference).mean())),
                                              ("spectral_db", spectral_distance_db(images, reference)))}
    return table


def sample_grid(images: np.ndarray, columns: int = 8) -> np.ndarray:
    """Return a uint8 mosaic of equally sized images with a 2-pixel white gutter."""
    n, height, width, _ = images.shape
    rows = -(-n // columns)
    grid = np.full((rows * (height + 2) + 2, columns * (width + 2) + 2, 3), 255, np.uint8)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        grid[2 + r * (height + 2): 2 + r * (height + 2) + height, 2 + c * (width + 2): 2 + c * (width + 2) + width] = image
    return grid


def run_note(log: dict) -> str:
    """Return one training run in a phrase: steps, batch, learning rate, time, machine, start, final loss."""
    start = f"warm-started from `{log['init']}`" if log.get("init") else "from random weights"
    loss = f"; final loss {log['history'][-1]['loss']:.4f}" if log.get("history") else ""
    return (f"{log['steps']} steps of batch {log['batch_size']}, AdamW lr {log['lr']}, {log['wall_seconds'] / 60:.1f} min "
            f"wall on {machine_note(log)}, {start}{loss}")


def write_card(directory: Path, prior: Prior, n: int = 256, steps: int = 50, wallpapers: Path | None = None) -> dict:
    """Measure the prior at directory against its own training data (the wallpaper photos must be
    unpacked under ``wallpapers`` if it was trained on them) and write realism.json, samples.png
    and MODEL_CARD.md."""
    log = json.loads((directory / "training.json").read_text())
    if log.get("wallpapers") and wallpapers is None:
        raise IdemlabError("this prior was trained on the wallpaper photos too: pass --wallpapers DIR "
                           "(idemlab.wallpapers.fetch) to measure it against its training data")
    images = training_images(log.get("data"), wallpapers if log.get("wallpapers") else None)
    samples = to_uint8(sample(prior, n, steps=steps, kind="ddim", seed=0, progress=True))
    table = realism_calibration(samples, images=images)
    (directory / "realism.json").write_text(json.dumps({"n": n, "sampler": f"DDIM {steps} steps", "table": table}, indent=1))
    Image.fromarray(sample_grid(samples[:64])).resize((2 * 274, 2 * 274), Image.Resampling.NEAREST).save(directory / "samples.png")
    rows = "\n".join(f"| {name} | {r['vs_train_swd']:.0f} | {r['vs_train_spectral_db']:.2f} | {r['vs_test_swd']:.0f} | "
                     f"{r['vs_test_spectral_db']:.2f} |" for name, r in table.items())
    params = sum(p.numel() for p in prior.unet.parameters())
    last = log["history"][-1]
    wallpaper_option = " --wallpapers DIR" if log.get("wallpapers") else ""
    data_option = (f" --data {log['data']}" if log.get("data") else "") + wallpaper_option
    init_option = f" --init {log['init']}" if log.get("init") else f" --channels {','.join(map(str, log['channels']))}"
    init_option += f" --batch-size {log['batch_size']} --lr {log['lr']:g}"
    init_option += " --device cuda" if trained_on_gpu(log) else ""
    photos = f"{len(images or TRAIN_PHOTOS)} photographs"
    before = log.get("init_training")  # the warm start's own training log (idemlab.prior.train)
    earlier = "" if before is None else f"\n- **Before that** (the warm start's own run): {run_note(before)}."
    minutes = (log["wall_seconds"] + (before or {}).get("wall_seconds", 0)) / 60
    card = f"""# Model card: idemlab small diffusion prior (32×32 RGB)

- **Architecture:** diffusers `UNet2DModel`, channels {tuple(log['channels'])}, one ResNet block per level,
  self-attention at the coarsest (8×8) level; {params / 1e6:.2f} M parameters; ε-prediction.
- **Noise schedule:** DDPM, 1000 steps, cosine (`squaredcos_cap_v2`); sample with DDPM or DDIM.
- **Data:** {training_data_note(log)}.
- **Command:** `python -m idemlab.prior.train --out {directory.name} --minutes {round(log['wall_seconds'] / 60)}{init_option}{data_option}`
  (resumable with `--resume`), then `python -m idemlab.prior.card {directory.name}{wallpaper_option}`.
- **Training:** {log['steps']} steps of batch {log['batch_size']}, AdamW lr {log['lr']} (250 warm-up steps),
  gradient clipping 1, EMA decay {log['ema_decay']} (the EMA weights are shipped), seed {log['seed']};
  {log['wall_seconds'] / 60:.1f} min wall on {machine_note(log)}.{earlier}
- **Final loss** (ε-MSE, mean of the last 100 steps): {last['loss']:.4f}.
- **Samples:** `samples.png` (64 of {n} samples, DDIM {steps} steps, seed 0).

## Realism, calibrated (`realism.json`)

Multi-scale patch SWD (×10³, mean over 3 Laplacian levels) and radial power-spectrum distance (dB),
each set of {n} images against fresh training crops and against the 114 held-out test tiles.
"Real patches (other crops)" is the noise floor: what real images score.

| set | SWD vs train | spectrum vs train (dB) | SWD vs test | spectrum vs test (dB) |
|---|---|---|---|---|
{rows}

- **Limits:** {minutes:.0f} minutes of training on {photos}: the prior knows colours and textures of
  those photos, not objects. More diverse data and more steps would improve it most.
"""
    (directory / "MODEL_CARD.md").write_text(card + weights_section(directory / "diffusion_pytorch_model.safetensors"))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="a folder written by idemlab.prior.train")
    parser.add_argument("--n", type=int, default=256, help="number of samples to measure")
    parser.add_argument("--wallpapers", type=Path, default=None, help="where the wallpaper photos are unpacked, "
                        "for a prior trained on them (idemlab.wallpapers.fetch)")
    args = parser.parse_args()
    table = write_card(args.directory, load_prior(args.directory), args.n, wallpapers=args.wallpapers)
    print(json.dumps(table, indent=1))


if __name__ == "__main__":
    try:
        main()
    except IdemlabError as error:
        sys.exit(report(error))
