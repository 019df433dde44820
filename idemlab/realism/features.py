"""FID-like and KID-like distances in the features of a network this project trains and ships.

FID (Heusel et al. 2017) and KID (Bińkowski et al. 2018) compare two sets of images through the
features of a network; the paper reports FID on 64×64 patches with Inception-v3. Inception's
weights cannot be had offline, so the book's measures use :class:`RealismFeatures`, a small
convolutional network trained by ``python -m idemlab.realism.train`` on the training photos only,
with three self-supervised tasks that need colour, structure and detail: which photo a crop comes
from, which way up it is, and how far it was shrunk (``idemlab/weights/realism-features/``, with
its model card). The numbers are **FID-like**: they are not comparable with Inception FID.
torchmetrics computes both from the features (``feature=`` any module). :mod:`idemlab.fid` keeps
the real Inception path for a machine with the weights. Book: Part II, chapter "Results and
ablations".
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from idemlab.errors import IdemlabError

PATCH = 64  # the paper's protocol: FID on 64×64 patches
SHIPPED = Path(__file__).resolve().parent.parent / "weights" / "realism-features"


def _block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1), nn.GroupNorm(8, c_out), nn.SiLU())


class RealismFeatures(nn.Module):
    """A small CNN that maps 8-bit RGB crops (n, 3, H, W) to ``num_features`` features; its heads
    (photo, rotation, scale) exist for training only."""

    def __init__(self, widths: Sequence[int] = (32, 64, 128, 192), num_features: int = 128, photos: int = 1,
                 scales: int = 1) -> None:
        super().__init__()
        layers, c_in = [_block(3, widths[0], 1)], widths[0]
        for width in widths[1:]:
            layers += [_block(c_in, width, 2), _block(width, width, 1)]
            c_in = width
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, num_features))
        self.num_features = num_features
        self.config = {"widths": list(widths), "num_features": num_features, "photos": photos, "scales": scales}
        self.heads = nn.ModuleDict({"photo": nn.Linear(num_features, photos), "rotation": nn.Linear(num_features, 4),
                                    "scale": nn.Linear(num_features, scales)})

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Return the features (n, num_features) of uint8 images (n, 3, H, W), or of floats in [0, 1]."""
        x = images.float() / 255 if images.dtype == torch.uint8 else images
        return self.body(x * 2 - 1)


def save_features(model: RealismFeatures, folder: Path) -> None:
    """Write the network's weights (fp16 safetensors) and its config.json to folder."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.half().contiguous() for k, v in model.state_dict().items()}
    save_file(state, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(model.config, indent=1))


@lru_cache(maxsize=2)
def load_features(folder: str | Path = SHIPPED) -> RealismFeatures:
    """Return the feature network saved in folder (the shipped one by default), in eval mode, float32."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
        raise IdemlabError(f"{folder} holds no realism feature network (config.json and model.safetensors); "
                           "train one with python -m idemlab.realism.train")
    model = RealismFeatures(**json.loads((folder / "config.json").read_text()))
    try:
        model.load_state_dict({k: v.float() for k, v in load_file(folder / "model.safetensors").items()})
    except (RuntimeError, OSError) as error:
        raise IdemlabError(f"{folder}/model.safetensors does not fit its config.json ({type(error).__name__})") from None
    return model.eval().requires_grad_(False)


def patches(images: Sequence[np.ndarray], size: int = PATCH) -> np.ndarray:
    """Return the non-overlapping size×size patches of every image (the rest of each image is
    dropped; images smaller than size on a side give none), uint8 (n, size, size, 3)."""
    from idemlab.data import tiles

    cut = [tiles(np.asarray(image), size) for image in images if min(np.shape(image)[:2]) >= size]
    if not cut:
        raise IdemlabError(f"no image is at least {size}×{size} pixels; FID-like needs {size}-px patches")
    return np.concatenate(cut)


def embed(images: np.ndarray, network: RealismFeatures | None = None, batch: int = 256) -> torch.Tensor:
    """Return the features (n, d) of uint8 patches (n, H, W, 3) under the shipped network."""
    network = network or load_features()
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    with torch.no_grad():
        return torch.cat([network(x[i:i + batch]) for i in range(0, len(x), batch)])


class _Given(nn.Module):
    """Hands torchmetrics features computed beforehand (so that resampling reuses them)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def fid_from_features(features: torch.Tensor, reference: torch.Tensor) -> float:
    """Return the Fréchet distance (torchmetrics) between two sets of features."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=_Given(features.shape[1]))
    metric.update(features, real=False)
    metric.update(reference, real=True)
    return float(metric.compute())


def kid_from_features(features: torch.Tensor, reference: torch.Tensor, subsets: int = 50, seed: int = 0) -> float:
    """Return the unbiased KID (torchmetrics, cubic polynomial kernel, mean over random subsets) ×10³."""
    from torchmetrics.image.kid import KernelInceptionDistance

    torch.manual_seed(seed)  # KID draws its subsets with torch's global generator
    with warnings.catch_warnings():  # that KID keeps every feature in memory is the point
        warnings.simplefilter("ignore", UserWarning)
        metric = KernelInceptionDistance(feature=_Given(features.shape[1]), subsets=subsets,
                                         subset_size=min(len(features), len(reference)))
    metric.update(features, real=False)
    metric.update(reference, real=True)
    return 1e3 * float(metric.compute()[0])
