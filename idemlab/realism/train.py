"""Train the realism feature network: ``python -m idemlab.realism.train --out DIR --wallpapers W``.

Three self-supervised tasks on random 64×64 crops of the training photos (never the held-out
ones): which photo the crop comes from, which of four rotations it was turned by, and which of
``SCALES`` shrink factors (1–4, Lanczos) it was cut at. Telling photos apart needs colour and
content, rotations need structure (skies are up, trunks are upright), the shrink factor needs
detail. None of the distortions the validation applies (noise, blur, JPEG, colour shifts,
shuffles) is ever shown. Resumable (``--resume``), like the other training commands.
Book: Part II, chapter "Results and ablations".
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from idemlab.checkpoint import save_atomically
from idemlab.data import TRAIN_PHOTOS, load_photo, training_images
from idemlab.devices import machine_name
from idemlab.errors import IdemlabError, report
from idemlab.images import downscale
from idemlab.realism.features import PATCH, RealismFeatures, save_features

SCALES = tuple(float(f) for f in np.geomspace(1.0, 4.0, 6))


class LabelledCrops:
    """Random crops with their labels (photo, rotation, scale); deterministic given the seed."""

    def __init__(self, images: list[np.ndarray], seed: int = 0, size: int = PATCH) -> None:
        self.levels = [[downscale(image, f) for f in SCALES] for image in images]
        self.size, self.rng = size, np.random.default_rng(seed)

    def sample(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return n uint8 crops (n, 3, size, size) and their photo, rotation and scale labels."""
        crops, labels = [], []
        while len(crops) < n:
            photo, scale = self.rng.integers(len(self.levels)), self.rng.integers(len(SCALES))
            level = self.levels[photo][scale]
            if min(level.shape[:2]) < self.size:
                continue
            top = self.rng.integers(0, level.shape[0] - self.size + 1)
            left = self.rng.integers(0, level.shape[1] - self.size + 1)
            crop = level[top:top + self.size, left:left + self.size]
            crop = crop[:, ::-1] if self.rng.random() < 0.5 else crop
            rotation = self.rng.integers(4)
            crops.append(np.rot90(crop, rotation))
            labels.append((photo, rotation, scale))
        x = torch.from_numpy(np.ascontiguousarray(np.stack(crops))).permute(0, 3, 1, 2)
        photo, rotation, scale = torch.tensor(labels).T
        return x, photo, rotation, scale


def standardise(model: RealismFeatures, crops: LabelledCrops, n: int = 2048) -> None:
    """Fold each feature's mean and spread over n training crops into the last layer, so that the
    features are standardised (KID's cubic kernel assumes features of order one)."""
    model.eval()
    with torch.no_grad():
        features = torch.cat([model(crops.sample(256)[0]) for _ in range(n // 256)])
        mean, std = features.mean(0), features.std(0)
        last = model.body[-1]
        last.weight /= std[:, None]
        last.bias.sub_(mean).div_(std)


def train(out: Path, minutes: float, wallpapers: Path | None = None, resume: bool = False, batch_size: int = 64,
          lr: float = 2e-3, seed: int = 0, checkpoint_minutes: float = 5.0, progress: bool = True) -> dict:
    """Train until ``minutes`` of wall time (summed over resumed runs); save the network (fp16) and
    training.json to out; return the log."""
    out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out / "checkpoint.pt"
    images = training_images(wallpapers=wallpapers) or [load_photo(name) for name in TRAIN_PHOTOS]
    torch.manual_seed(seed)
    crops = LabelledCrops(images, seed)
    model = RealismFeatures(photos=len(images), scales=len(SCALES))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    log = {"photos": len(images), "wallpapers": wallpapers is not None, "scales": list(SCALES), "batch_size": batch_size,
           "lr": lr, "seed": seed, "steps": 0, "wall_seconds": 0.0, "history": []}
    if resume and checkpoint_path.exists():
        state = torch.load(checkpoint_path, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        crops.rng.bit_generator.state = state["data_rng"]
        torch.set_rng_state(state["torch_rng"])
        log = state["log"]

    def save_checkpoint() -> None:
        save_atomically({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "log": log,
                         "data_rng": crops.rng.bit_generator.state, "torch_rng": torch.get_rng_state()}, checkpoint_path)

    start, last_checkpoint, window = time.time() - log["wall_seconds"], time.time(), []
    bar = tqdm(desc="realism features", unit="step", initial=log["steps"], disable=not progress)
    model.train()
    while time.time() - start < 60 * minutes:
        x, photo, rotation, scale = crops.sample(batch_size)
        features = model(x)
        losses = [F.cross_entropy(model.heads[name](features), target)
                  for name, target in (("photo", photo), ("rotation", rotation), ("scale", scale))]
        optimizer.zero_grad()
        sum(losses).backward()
        optimizer.step()
        log["steps"] += 1
        window.append([loss.item() for loss in losses])
        if log["steps"] % 100 == 0:
            log["wall_seconds"] = round(time.time() - start, 1)
            mean = np.mean(window, axis=0).round(4).tolist()
            log["history"].append({"step": log["steps"], "seconds": log["wall_seconds"],
                                   "photo": mean[0], "rotation": mean[1], "scale": mean[2]})
            bar.set_postfix(photo=mean[0], rotation=mean[1], scale=mean[2])
            window = []
        if time.time() - last_checkpoint > 60 * checkpoint_minutes:
            save_checkpoint()
            last_checkpoint = time.time()
        bar.update()
    bar.close()
    log["wall_seconds"] = round(time.time() - start, 1)
    log["threads"] = torch.get_num_threads()
    log["machine"] = machine_name(torch.device("cpu"))
    save_checkpoint()
    standardise(model, LabelledCrops(images, seed + 1))
    save_features(model, out)
    (out / "training.json").write_text(json.dumps(log, indent=1))
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the network, its log and checkpoint")
    parser.add_argument("--minutes", type=float, default=60.0, help="total wall-clock budget, resumed runs included")
    parser.add_argument("--resume", action="store_true", help="continue from out/checkpoint.pt")
    parser.add_argument("--wallpapers", type=Path, default=None,
                        help="also train on the wallpaper photos unpacked here (idemlab.wallpapers.fetch)")
    args = parser.parse_args()
    log = train(args.out, args.minutes, args.wallpapers, args.resume)
    print(json.dumps({k: log[k] for k in ("steps", "wall_seconds")} | {"loss": log["history"][-1:]}))


if __name__ == "__main__":
    try:
        main()
    except IdemlabError as error:
        sys.exit(report(error))
