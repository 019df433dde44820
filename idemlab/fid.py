"""FID (Heusel et al. 2017) and KID (Bińkowski et al. 2018), the set-level realism measures that
the paper reports: how far apart two sets of images lie in the features of an Inception-v3
network. The full-scale path only: FID needs thousands of images to mean much, KID (unbiased)
fewer; a handful of images gives numbers, not measurements.

torchmetrics computes both with torch-fidelity's Inception-v3 (``pip install "idemlab[full]"``),
whose weights torch hub caches (:func:`inception_weights_path`) and downloads only when missing.
Offline (``HF_HUB_OFFLINE=1`` or ``IDEMLAB_OFFLINE=1``) with no cached copy, or without the two
packages, :func:`inception_distances` fails at once with one sentence that names the fallback.
Used by ``idemlab evaluate --inception``. Book: Part II, chapter "At full scale".
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from urllib.error import URLError

import numpy as np
import torch

from idemlab.devices import resolve_device
from idemlab.downloads import NETWORK_FREE_FALLBACK, hub_checkpoint_path, require_cached_or_online
from idemlab.errors import IdemlabError

NEEDS = 'FID and KID need torchmetrics and torch-fidelity (pip install "idemlab[full]")'


def inception_weights_path() -> Path:
    """Return where torch hub caches torch-fidelity's Inception-v3 weights."""
    try:
        from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
    except ImportError:
        raise IdemlabError(f"{NEEDS}; {NETWORK_FREE_FALLBACK}") from None
    return hub_checkpoint_path(URL_INCEPTION_V3)


def require_inception() -> None:
    """Raise IdemlabError at once, in one sentence, where FID and KID cannot be had: packages
    missing, or no cached weights while downloads are off."""
    try:
        import torchmetrics  # noqa: F401  (inception_distances imports its FID and KID)
    except ImportError:
        raise IdemlabError(f"{NEEDS}; {NETWORK_FREE_FALLBACK}") from None
    require_cached_or_online(inception_weights_path(), "the Inception-v3 weights of FID and KID")


def inception_distances(images: Sequence[np.ndarray], references: Sequence[np.ndarray],
                        device: str | torch.device = "cpu", kid_subset_size: int = 1000) -> dict[str, float]:
    """Return FID and KID (mean and standard deviation over random subsets of at most
    ``kid_subset_size`` images) between a set of 8-bit RGB images (H, W, 3), each of any size, and
    a reference set; each set needs at least two images."""
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance, NoTrainInceptionV3
        from torchmetrics.image.kid import KernelInceptionDistance
    except ImportError:
        raise IdemlabError(f"{NEEDS}; {NETWORK_FREE_FALLBACK}") from None
    n = min(len(images), len(references))
    if n < 2:
        raise IdemlabError(f"FID and KID compare sets: each needs at least two images, not {n}")
    require_inception()
    try:
        inception = NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"])
    except (URLError, OSError) as error:
        raise IdemlabError(f"the Inception-v3 weights of FID and KID could not be downloaded ({error}); "
                           f"{NETWORK_FREE_FALLBACK}") from None
    device = resolve_device(device)
    fid = FrechetInceptionDistance(feature=inception).to(device)  # one network, shared by both measures
    with warnings.catch_warnings():  # that KID keeps every feature in memory is the point
        warnings.simplefilter("ignore", UserWarning)
        kid = KernelInceptionDistance(feature=inception, subset_size=min(kid_subset_size, n)).to(device)
    for batch, real in ((images, False), (references, True)):
        for image in batch:  # one at a time: the images may differ in size; Inception resizes each to 299×299
            pixels = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].to(device)
            fid.update(pixels, real=real)
            kid.update(pixels, real=real)
    kid_mean, kid_std = kid.compute()
    return {"fid": float(fid.compute()), "kid_mean": float(kid_mean), "kid_std": float(kid_std)}
