"""A classifier two-sample test (Lopez-Paz & Oquab, ICLR 2017): can a critic tell the two sets apart?

A small convolutional critic learns to tell crops of one set of images from crops of the other on
half of the images and is scored on the other half; the split is by image, and it is repeated
over several random splits. Accuracy 50 % means the critic found nothing that tells the sets
apart; 100 % means every held-out crop was told apart. Unlike a texture statistic, the critic
sees whole 64-px crops: structure, colour and texture at once. The interval resamples the test
images (their crops stay together), so it does not pretend that crops of one image are
independent. Book: Part II, chapter "Results and ablations".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from idemlab.errors import IdemlabError

CROP = 64
MIN_IMAGES = 8  # four to train on and four to test on, at least


@dataclass(frozen=True)
class CriticResult:
    """Held-out accuracy in % with its 95 % interval, the crop size and each image's own accuracy."""

    accuracy: float
    low: float
    high: float
    crop: int
    per_image: tuple[tuple[float, ...], tuple[float, ...]]  # (first set, second set): % correct per test image


class _WithDetail(nn.Module):
    """Adds the image's finest detail (it minus its 3×3 box blur, amplified) as three more
    channels: grain and blocking are a few gray levels, too faint for a short training to find
    in the raw pixels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        blurred = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1)
        return torch.cat([x, 8 * (x - blurred)], 1)


def _critic() -> nn.Module:
    layers, c_in = [_WithDetail()], 6
    for width in (32, 64, 128, 128):
        layers += [nn.Conv2d(c_in, width, 3, 2, 1), nn.GroupNorm(8, width), nn.SiLU()]
        c_in = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 1))


def _crops(images: Sequence[np.ndarray], picks: np.ndarray, size: int, rng: np.random.Generator) -> torch.Tensor:
    """Return one random size×size crop (randomly flipped) of each picked image, float (n, 3, size, size) in [-1, 1]."""
    out = []
    for i in picks:
        image = images[i]
        top, left = rng.integers(0, image.shape[0] - size + 1), rng.integers(0, image.shape[1] - size + 1)
        crop = image[top:top + size, left:left + size]
        out.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
    return torch.from_numpy(np.ascontiguousarray(np.stack(out))).permute(0, 3, 1, 2).float() / 127.5 - 1


def _test_crops(image: np.ndarray, size: int, per_image: int) -> torch.Tensor:
    """Return up to per_image crops on an even grid over the image (deterministic)."""
    h, w = image.shape[:2]
    rows = max(1, min(int(np.sqrt(per_image * h / w)), h // size))
    cols = max(1, min(per_image // rows, w // size))
    tops = np.linspace(0, h - size, rows).round().astype(int)
    lefts = np.linspace(0, w - size, cols).round().astype(int)
    crops = np.stack([image[t:t + size, left:left + size] for t in tops for left in lefts])
    return torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float() / 127.5 - 1


def _halves(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    return order[: n // 2], order[n // 2:]


def critic_accuracy(images: Sequence[np.ndarray], reference: Sequence[np.ndarray], splits: int = 2, steps: int = 200,
                    batch: int = 32, test_crops: int = 8, seed: int = 0, resamples: int = 1000) -> CriticResult:
    """Return the critic's held-out accuracy at telling ``images`` from ``reference`` (uint8 RGB
    (H, W, 3), any sizes, at least ``MIN_IMAGES`` a set), averaged over ``splits`` random halvings of
    each set by image, with a 95 % bootstrap interval over the test images. Sets of equal size are
    taken as paired (image i of one is made from image i of the other, e.g. a decode and its
    original): both halve alike, so that the critic never trains on one version of a scene and
    is tested on the other."""
    if min(len(images), len(reference)) < MIN_IMAGES:
        raise IdemlabError(f"the critic needs at least {MIN_IMAGES} images in each set (half to train, half to test)")
    size = min(CROP, *(min(i.shape[:2]) for i in (*images, *reference)))
    if size < 16:
        raise IdemlabError(f"the critic needs images of at least 16×16 pixels; the smallest side here is {size}")
    sets, paired = (list(images), list(reference)), len(images) == len(reference)
    correct: tuple[list[list[float]], list[list[float]]] = ([[] for _ in images], [[] for _ in reference])
    rng = np.random.default_rng(seed)
    for split in range(splits):
        torch.manual_seed(seed * 1000 + split)
        halves = [_halves(len(images), rng)] * 2 if paired else [_halves(len(s), rng) for s in sets]
        critic = _critic()
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3)
        labels = torch.cat([torch.ones(batch), torch.zeros(batch)])
        for _ in range(steps):
            x = torch.cat([_crops(s, rng.choice(h[0], batch), size, rng) for s, h in zip(sets, halves)])
            loss = F.binary_cross_entropy_with_logits(critic(x).squeeze(1), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        critic.eval()
        with torch.no_grad():
            for label, (s, h) in enumerate(zip(sets, halves)):
                for i in h[1]:
                    said_first = critic(_test_crops(s[i], size, test_crops)).squeeze(1) > 0
                    correct[label][i].append(float((said_first == (label == 0)).float().mean()))
    per_image = tuple(tuple(100 * float(np.mean(c)) for c in side if c) for side in correct)
    first, second = (np.array(side) for side in per_image)
    boot = np.random.default_rng(seed + 1)
    samples = [(first[boot.integers(0, len(first), len(first))].mean() + second[boot.integers(0, len(second), len(second))].mean()) / 2
               for _ in range(resamples)]
    low, high = np.percentile(samples, [2.5, 97.5])
    return CriticResult(float((first.mean() + second.mean()) / 2), float(low), float(high), size, per_image)
