"""What a batch of ``.idem`` files carries, read once, and the verdict on images decoded from them.

``receive`` unpacks and entropy-decodes each file once and keeps what every decoder needs: the
header, the codec, the dequantised latents ŷ and ẑ, y's scales and means, and the integer symbols
the files code. ``judge`` re-encodes images as the encoder that writes files does (one image at a
time, on the CPU, in float32) and says of each whether it re-encodes to its file, and how far
inside the quantisation cells of the file's symbols its latents lie. Book: Part II, chapters "The
MSE codec" and "The idempotent perceptual decoder".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from idemlab.codec.bitstream import IdemFile
from idemlab.codec.geometry import canvas
from idemlab.codec.pipeline import Codec, encoder_latents, medians, received_latents, y_distribution
from idemlab.codec.registry import family
from idemlab.errors import IdemlabError

SAFETY = 0.02  # how far inside its quantisation cell every re-encoded latent must lie to be robust


@dataclass(frozen=True)
class Received:
    """A batch of files of one codec, quality and image size, as the decoder receives them:
    ``header`` is the first file's (the others share codec, quality and size), ``codec`` the CPU
    model that wrote them, ŷ and ẑ the dequantised latents (n, C, h, w), ``scales`` and ``means``
    y's Gaussians, and ``y_symbols``, ``z_symbols`` the integers the files code (y − means, z − medians)."""

    files: tuple[bytes, ...]
    header: IdemFile
    codec: Codec
    y_hat: torch.Tensor
    z_hat: torch.Tensor
    scales: torch.Tensor
    means: torch.Tensor
    y_symbols: torch.Tensor
    z_symbols: torch.Tensor

    @property
    def size(self) -> tuple[int, int]:
        """The images' (height, width)."""
        return self.header.height, self.header.width

    @property
    def canvas(self) -> tuple[int, int]:
        """The padded (height, width) the codec works on."""
        return canvas(*self.size, self.codec.downsampling_factor)


def receive(files: list[bytes] | tuple[bytes, ...], max_pixels: int | None = None) -> Received:
    """Return what the files carry, each unpacked and entropy-decoded once; IdemlabError unless
    there is at least one and all share codec, quality and image size."""
    if not files:
        raise IdemlabError("there are no files to decode")
    parts = [received_latents(data, max_pixels) for data in files]
    header, codec = parts[0][0], parts[0][1]
    if any((f.family, f.quality, f.height, f.width) != (header.family, header.quality, header.height, header.width)
           for f, *_ in parts):
        raise IdemlabError("files decoded as one batch must share codec, quality and image size")
    y_hat, z_hat = torch.cat([part[2] for part in parts]), torch.cat([part[3] for part in parts])
    with torch.no_grad():
        scales, means = y_distribution(codec, z_hat, y_hat)
    return Received(tuple(files), header, codec, y_hat, z_hat, scales, means,
                    torch.round(y_hat - means).to(torch.int32), torch.round(z_hat - medians(codec)).to(torch.int32))


@dataclass(frozen=True)
class Verdict:
    """Per image: whether it re-encodes to its file byte for byte (``exact``), whether every
    latent also lies at least ``SAFETY`` inside its cell, so that float noise of another machine,
    thread count or batch size cannot flip a symbol (``robust``), and how far inside at worst
    (``margin``: 0.5 at the cells' centres, ≤ 0 where a symbol differs)."""

    exact: np.ndarray
    robust: np.ndarray
    margin: np.ndarray


def judge(images: np.ndarray, received: Received) -> Verdict:
    """Return the verdict on uint8 images (n, H, W, 3), the i-th against the i-th received file."""
    if images.shape[0] != len(received.files) or images.shape[1:] != (*received.size, 3):
        raise IdemlabError(f"expected {len(received.files)} images of {received.size[1]}×{received.size[0]} "
                           f"pixels, one per file, not an array of shape {images.shape}")
    y_factor = family(received.header.family).y_factor
    exact, margin = [], []
    for image, y_symbols, z_symbols in zip(images, received.y_symbols, received.z_symbols):
        y, z = encoder_latents(image, received.codec, y_factor)
        exact.append(bool((torch.round(y) == y_symbols).all() and (torch.round(z) == z_symbols).all()))
        margin.append(float(min((0.5 - (y - y_symbols).abs()).min(), (0.5 - (z - z_symbols).abs()).min())))
    exact, margin = np.array(exact), np.array(margin)
    return Verdict(exact, exact & (margin >= SAFETY), margin)
