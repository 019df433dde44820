"""Realism divergences that need no downloaded network: multi-scale patch SWD and power spectra.

Inception (FID/KID) and LPIPS weights cannot be fetched offline, so the book measures realism
with two established network-free statistics of a *set* of images:

- the sliced Wasserstein distance between the distributions of 7×7 neighbourhoods of each
  Laplacian-pyramid level (Karras et al. 2018, "Progressive growing of GANs"); unlike their
  code, both sets are normalised with the *reference* set's statistics, so that a loss of
  contrast in a band (blur) counts as a difference instead of being normalised away;
- the radially averaged power spectrum, compared as a log-spectral distance in dB.

Both are divergences between p_X and p_X̂ estimated from samples, so each has a noise floor:
measure two disjoint samples of real images first (``calibration``). Book: Part II, chapter
"Diffusion models as unconditional priors".
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16


def _blur(x: torch.Tensor) -> torch.Tensor:
    kernel = (_BINOMIAL[:, None] * _BINOMIAL[None, :]).expand(x.shape[1], 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), kernel, groups=x.shape[1])


def laplacian_pyramid(images: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Return the Laplacian pyramid of (n, C, H, W) images, finest band first, low-pass last."""
    bands, current = [], images
    for _ in range(levels - 1):
        smaller = _blur(current)[..., ::2, ::2]
        upsampled = torch.zeros_like(current)
        upsampled[..., ::2, ::2] = smaller * 4
        bands.append(current - _blur(upsampled))
        current = smaller
    return bands + [current]


def _as_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (n, H, W, 3) arrays or float (n, 3, H, W) tensors in [0, 1] → float tensor in [0, 1]."""
    if isinstance(images, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    return images.float()


def _descriptors(band: torch.Tensor, per_image: int, size: int, generator: torch.Generator) -> torch.Tensor:
    patches = F.unfold(band, size)  # (n, C·size², positions)
    n, dim, positions = patches.shape
    pick = torch.randint(0, positions, (n, min(per_image, positions)), generator=generator)
    return torch.gather(patches, 2, pick[:, None, :].expand(n, dim, -1)).permute(0, 2, 1).reshape(-1, dim)


def _sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, directions: int, generator: torch.Generator) -> float:
    """Return the sliced 1-Wasserstein distance between two equally sized point clouds."""
    project = torch.randn(a.shape[1], directions, generator=generator)
    project /= project.norm(dim=0, keepdim=True)
    pa, _ = torch.sort(a @ project, dim=0)
    pb, _ = torch.sort(b @ project, dim=0)
    return float((pa - pb).abs().mean())


def patch_swd(images: np.ndarray | torch.Tensor, reference: np.ndarray | torch.Tensor, levels: int = 3,
              patch: int = 7, per_image: int = 64, directions: int = 512, seed: int = 0) -> np.ndarray:
    """Return the sliced Wasserstein distance (×10³) between 7×7 patch distributions of the two
    sets at each Laplacian level, finest first. Sets are matched in size by subsampling."""
    generator = torch.Generator().manual_seed(seed)
    x, r = _as_tensor(images), _as_tensor(reference)
    n = min(len(x), len(r))
    x = x[torch.randperm(len(x), generator=generator)[:n]]
    r = r[torch.randperm(len(r), generator=generator)[:n]]
    distances = []
    for band_x, band_r in zip(laplacian_pyramid(x, levels), laplacian_pyramid(r, levels)):
        dx = _descriptors(band_x, per_image, patch, generator)
        dr = _descriptors(band_r, per_image, patch, generator)
        channels = band_r.shape[1]
        mean = dr.reshape(len(dr), channels, -1).mean((0, 2)).repeat_interleave(patch * patch)
        std = dr.reshape(len(dr), channels, -1).std((0, 2)).repeat_interleave(patch * patch)
        distances.append(1e3 * _sliced_wasserstein((dx - mean) / std, (dr - mean) / std, directions, generator))
    return np.array(distances)


def radial_power_spectrum(images: np.ndarray | torch.Tensor) -> np.ndarray:
    """Return the mean power of the images' luma at each integer radial frequency 1…H/2."""
    x = _as_tensor(images)
    luma = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    luma = luma - luma.mean((1, 2), keepdim=True)
    power = torch.fft.fft2(luma).abs().pow(2).mean(0).numpy()
    size = luma.shape[-1]
    fy, fx = np.meshgrid(np.fft.fftfreq(luma.shape[-2]) * luma.shape[-2], np.fft.fftfreq(size) * size, indexing="ij")
    radius = np.round(np.hypot(fy, fx)).astype(int)
    return np.array([power[radius == r].mean() for r in range(1, size // 2 + 1)])


def spectral_distance_db(images: np.ndarray | torch.Tensor, reference: np.ndarray | torch.Tensor) -> float:
    """Return the mean absolute difference in dB between the two sets' radial power spectra."""
    return float(np.mean(np.abs(10 * np.log10(radial_power_spectrum(images) / radial_power_spectrum(reference)))))
