"""Train the small diffusion prior on offline patches: ``python -m idemlab.prior.train --out DIR``.

DDPM training (Ho et al. 2020): add noise at a random step t, regress the noise (ε-prediction),
keep an exponential moving average (EMA) of the weights, which is what gets saved. ``--device
cuda`` trains on a GPU (patches are cut on the CPU, the network and the noise live on the GPU). Resumable:
a checkpoint (weights, EMA, optimiser, data and torch RNG states) is written every few minutes
and ``--resume`` continues from it, so a long run can be split across sessions.
Book: Part II, chapter "Diffusion models as unconditional priors".
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import UNet2DModel
from diffusers.training_utils import EMAModel
from tqdm import tqdm

from idemlab.checkpoint import save_atomically
from idemlab.data import PatchSampler, training_images
from idemlab.devices import machine_name, resolve_device
from idemlab.errors import IdemlabError, report
from idemlab.images import to_tensor
from idemlab.prior.model import Prior, small_unet, training_scheduler
from idemlab.wallpapers import TRAIN as TRAIN_WALLPAPERS


def diffusion_loss(prior: Prior, clean: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Return the DDPM ε-regression loss on a batch of clean images in [-1, 1]."""
    noise = torch.randn(clean.shape, generator=generator).to(clean.device)
    t = torch.randint(0, prior.scheduler.config.num_train_timesteps, (clean.shape[0],), generator=generator).to(clean.device)
    noisy = prior.scheduler.add_noise(clean, noise, t)
    return F.mse_loss(prior.unet(noisy, t).sample, noise)


def _resumed(checkpoint_path: Path, prior: Prior, optimizer: torch.optim.Optimizer, ema: EMAModel,
             sampler: PatchSampler, device: torch.device) -> dict:
    """Load a checkpoint's network, optimiser, EMA and random states in place; return its log."""
    state = torch.load(checkpoint_path, weights_only=False, map_location=device)
    prior.unet.load_state_dict(state["unet"])
    optimizer.load_state_dict(state["optimizer"])
    ema.load_state_dict(state["ema"])
    sampler.rng.bit_generator.state = state["data_rng"]
    torch.set_rng_state(state["torch_rng"].cpu())
    return state["log"]


def _step(prior: Prior, optimizer: torch.optim.Optimizer, ema: EMAModel, clean: torch.Tensor) -> torch.Tensor:
    """Take one step on the denoising loss of clean images in [−1, 1] (gradients clipped to norm 1),
    update the EMA, and return the loss."""
    loss = diffusion_loss(prior, clean)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(prior.unet.parameters(), 1.0)
    optimizer.step()
    ema.step(prior.unet.parameters())
    return loss


def train(out: Path, minutes: float, max_steps: int | None = None, resume: bool = False, batch_size: int = 32,
          lr: float = 4e-4, ema_decay: float = 0.999, checkpoint_minutes: float = 5.0, seed: int = 0,
          channels: tuple[int, ...] = (32, 64, 128), progress: bool = True, data: Path | None = None,
          wallpapers: Path | None = None, init: Path | None = None, device: str = "cpu") -> dict:
    """Train on the package photos (plus the wallpaper photos unpacked under ``wallpapers``, or the
    images in the folder ``data``) until ``minutes`` of wall time (summed over resumed runs) or
    ``max_steps``; start from the prior saved at ``init`` (warm start; its architecture replaces
    ``channels``) or continue from out/checkpoint.pt (``resume``); save the EMA prior with
    ``save_pretrained`` to out and return the training log. ``device`` is where the network trains
    ("cpu", "cuda", "auto"); the checkpoint resumes on either."""
    out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out / "checkpoint.pt"
    torch.manual_seed(seed)
    unet = small_unet(channels=channels) if init is None else UNet2DModel.from_pretrained(init)
    device = resolve_device(device)
    prior = Prior(unet.to(device), training_scheduler())
    channels = tuple(prior.unet.config.block_out_channels)
    optimizer = torch.optim.AdamW(prior.unet.parameters(), lr=lr, weight_decay=0.0)
    ema = EMAModel(prior.unet.parameters(), decay=ema_decay)
    sampler = PatchSampler(seed=seed, images=training_images(data, wallpapers))
    log = {"data": None if data is None else str(data), "wallpapers": None if wallpapers is None else list(TRAIN_WALLPAPERS),
           "init": None if init is None else str(init), "steps": 0, "wall_seconds": 0.0, "batch_size": batch_size,
           "lr": lr, "ema_decay": ema_decay, "seed": seed, "channels": list(channels), "history": []}
    if init is not None and (init / "training.json").is_file():  # the warm start's own log, for the model card
        log["init_training"] = json.loads((init / "training.json").read_text())
    if resume and checkpoint_path.exists():
        log = _resumed(checkpoint_path, prior, optimizer, ema, sampler, device)

    def save_checkpoint() -> None:
        save_atomically({"unet": prior.unet.state_dict(), "optimizer": optimizer.state_dict(), "ema": ema.state_dict(),
                         "data_rng": sampler.rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "log": log},
                        checkpoint_path)

    start, last_checkpoint, window = time.time() - log["wall_seconds"], time.time(), []
    bar = tqdm(desc="prior", unit="step", initial=log["steps"], disable=not progress)
    prior.unet.train()
    while time.time() - start < 60 * minutes and (max_steps is None or log["steps"] < max_steps):
        for group in optimizer.param_groups:  # linear warm-up over the first 250 steps
            group["lr"] = lr * min(1.0, (log["steps"] + 1) / 250)
        loss = _step(prior, optimizer, ema, (to_tensor(sampler.sample(batch_size)) * 2 - 1).to(device))
        log["steps"] += 1
        window.append(loss.item())
        if log["steps"] % 100 == 0:
            log["wall_seconds"] = round(time.time() - start, 1)
            log["history"].append({"step": log["steps"], "seconds": log["wall_seconds"],
                                   "loss": round(sum(window) / len(window), 5)})
            bar.set_postfix(loss=f"{log['history'][-1]['loss']:.4f}")
            window = []
        if time.time() - last_checkpoint > 60 * checkpoint_minutes:
            save_checkpoint()
            last_checkpoint = time.time()
        bar.update()
    bar.close()
    log |= {"wall_seconds": round(time.time() - start, 1), "threads": torch.get_num_threads(), "machine": machine_name(device)}
    save_checkpoint()
    ema.copy_to(prior.unet.parameters())
    prior.unet.to("cpu")
    prior.save_pretrained(out)
    (out / "training.json").write_text(json.dumps(log, indent=1))
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the prior, its log and checkpoint")
    parser.add_argument("--minutes", type=float, default=60.0, help="total wall-clock budget, resumed runs included")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps in total")
    parser.add_argument("--resume", action="store_true", help="continue from out/checkpoint.pt")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-4, help="AdamW's learning rate after the warm-up")
    parser.add_argument("--channels", default="32,64,128", help="the UNet's widths, one per scale (a fresh start only)")
    parser.add_argument("--init", type=Path, default=None, help="warm start from this saved prior (e.g. the shipped one)")
    parser.add_argument("--data", type=Path, default=None, help="a folder of your own images (default: the package photos)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (a GPU when there is one)")
    parser.add_argument("--wallpapers", type=Path, default=None,
                        help="also train on the wallpaper photos unpacked here (idemlab.wallpapers.fetch)")
    args = parser.parse_args()
    channels = tuple(int(width) for width in args.channels.split(","))
    log = train(args.out, args.minutes, args.steps, args.resume, args.batch_size, args.lr, channels=channels, data=args.data,
                wallpapers=args.wallpapers, init=args.init, device=args.device)
    print(json.dumps({k: log[k] for k in ("steps", "wall_seconds")} | {"loss": log["history"][-1:]}))


if __name__ == "__main__":
    try:
        main()
    except IdemlabError as error:
        sys.exit(report(error))
