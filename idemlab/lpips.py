"""LPIPS (Zhang et al. 2018), the learned perceptual distance that perceptual-compression papers
report beside PSNR: distances between deep features of AlexNet, weighted by linear heads fitted to
human judgements. The full-scale path only.

torchmetrics (``pip install "idemlab[full]"``) ships the linear heads; the AlexNet backbone is
torchvision's ImageNet weights, which torch hub caches (:func:`alexnet_weights_path`) and
downloads only when missing. Offline (``HF_HUB_OFFLINE=1`` or ``IDEMLAB_OFFLINE=1``) with no
cached copy, or without torchmetrics, :func:`lpips_distance` fails at once with one sentence that
names the fallback. Book: Part II, chapter "At full scale".
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.error import URLError

import numpy as np
import torch
from idemlab.images import to_tensor

from idemlab.devices import resolve_device
from idemlab.downloads import NETWORK_FREE_FALLBACK as FALLBACK
from idemlab.downloads import hub_checkpoint_path, require_cached_or_online
from idemlab.errors import IdemlabError


def alexnet_weights_path() -> Path:
    """Return where torch hub caches torchvision's ImageNet AlexNet, LPIPS's backbone."""
    from torchvision.models import AlexNet_Weights

    return hub_checkpoint_path(AlexNet_Weights.DEFAULT.url)


def lpips_distance(device: str | torch.device = "cpu") -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Return a function of two stacks of 8-bit RGB images (n, H, W, 3) that gives each pair's
    LPIPS distance (n,): 0 for identical images, larger for perceptually further ones."""
    try:
        from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity
    except ImportError:
        raise IdemlabError(f'LPIPS needs torchmetrics (pip install "idemlab[full]"); {FALLBACK}') from None
    require_cached_or_online(alexnet_weights_path(), "LPIPS's AlexNet weights")
    try:
        metric = LearnedPerceptualImagePatchSimilarity(net_type="alex", normalize=True)
    except (URLError, OSError) as error:
        raise IdemlabError(f"LPIPS's AlexNet weights could not be downloaded ({error}); {FALLBACK}") from None
    device = resolve_device(device)
    network = metric.net.to(device).eval()  # the metric's network gives one distance per pair

    def distance(images: np.ndarray, references: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return network(to_tensor(images).to(device), to_tensor(references).to(device),
                           normalize=True).flatten().cpu().numpy()

    return distance

