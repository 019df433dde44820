"""Context-model coding of y, as compressai's joint autoregressive models do it (``cheng2020-anchor``).

In these models each position's Gaussian depends on the hyperprior *and* on the y symbols already
coded above and to the left of it (a 5×5 masked convolution), so y is quantised and coded in
raster order, one position (all channels) at a time — the loops of compressai's
``JointAutoregressiveHierarchicalPriors._compress_ar`` / ``_decompress_ar``, written out here so
that the encoder also returns the means it rounded against and the decoder is hardened like
``idemlab.codec.entropy``.

Given the received ŷ, the same means come out of one masked convolution over all of ŷ
(``pipeline.y_distribution``): if a candidate image's latents round to the received symbols
around *those* means at every position, it re-encodes to the same file, because at the first
position where it would not, its context — and so its mean — is still the received one. The
perceptual decoder's guidance and correction therefore work as for the hyperpriors.
Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from compressai.ans import RansDecoder
from compressai.models import JointAutoregressiveHierarchicalPriors

from idemlab.codec.entropy import check_length, check_range, minimum_bits, padded, verify

KERNEL = 5  # compressai's context model: a 5×5 masked convolution
PADDING = (KERNEL - 1) // 2


def is_autoregressive(model: torch.nn.Module) -> bool:
    """Return whether a codec codes y with a context model (position by position)."""
    return isinstance(model, JointAutoregressiveHierarchicalPriors)


def raster(t: torch.Tensor) -> torch.Tensor:
    """Return (1, C, H, W) as (1, H, W, C): flattened, the position-major order the context model codes in."""
    return t.permute(0, 2, 3, 1).contiguous()


def _position_distribution(model: JointAutoregressiveHierarchicalPriors, padded_y_hat: torch.Tensor,
                           params: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the scales and means (1, C) at one position from the hyperprior and the coded neighbours."""
    context = F.conv2d(padded_y_hat[:, :, h: h + KERNEL, w: w + KERNEL],
                       model.context_prediction.weight * model.context_prediction.mask,
                       bias=model.context_prediction.bias)
    gaussian = model.entropy_parameters(torch.cat((params[:, :, h: h + 1, w: w + 1], context), dim=1))
    scales, means = gaussian[..., 0, 0].chunk(2, 1)
    return scales, means


def context_coding(model: JointAutoregressiveHierarchicalPriors, y: torch.Tensor,
                   params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the scales and means that coding y (1, C, H, W) in raster order uses at each position,
    given the hyperprior's ``params = h_s(ẑ)``; y's symbols are round(y − means) (call without gradients)."""
    height, width = y.shape[-2:]
    padded_y_hat = F.pad(y, (PADDING,) * 4)  # positions not yet coded are masked out of the context
    scales, means = torch.empty_like(y), torch.empty_like(y)
    for h in range(height):
        for w in range(width):
            scales[..., h, w], means[..., h, w] = _position_distribution(model, padded_y_hat, params, h, w)
            padded_y_hat[..., h + PADDING, w + PADDING] = torch.round(y[..., h, w] - means[..., h, w]) + means[..., h, w]
    return scales, means


def encode_latent(model: JointAutoregressiveHierarchicalPriors, y: torch.Tensor, scales: torch.Tensor,
                  means: torch.Tensor) -> bytes:
    """Return the y string of latents y coded with ``context_coding``'s scales and means, in raster order."""
    conditional = model.gaussian_conditional
    indexes = conditional.build_indexes(scales)
    return conditional.compress(raster(y), raster(indexes), raster(means))[0]


def decode_latent(model: JointAutoregressiveHierarchicalPriors, string: bytes, params: torch.Tensor) -> torch.Tensor:
    """Return ŷ decoded position by position from a file's y string and ``params = h_s(ẑ)``;
    IdemlabError if the string cannot be the code of such a ŷ (call without gradients)."""
    conditional = model.gaussian_conditional
    height, width = params.shape[-2:]
    n_symbols = model.M * height * width
    check_length(string, n_symbols * minimum_bits(conditional).min().item(), "latent (y)")
    decoder = RansDecoder()
    decoder.set_stream(padded(string, n_symbols))
    tables = (conditional.quantized_cdf.tolist(), conditional.cdf_length.tolist(), conditional.offset.tolist())
    padded_y_hat = torch.zeros(1, model.M, height + 2 * PADDING, width + 2 * PADDING)
    scales, means = torch.empty(1, model.M, height, width), torch.empty(1, model.M, height, width)
    for h in range(height):
        for w in range(width):
            scales[..., h, w], means[..., h, w] = _position_distribution(model, padded_y_hat, params, h, w)
            indexes = conditional.build_indexes(scales[..., h, w])
            values = torch.tensor(decoder.decode_stream(indexes.reshape(-1).tolist(), *tables), dtype=torch.float32)
            check_range(values, "latent (y)")  # before garbage can reach the next positions' context
            padded_y_hat[..., h + PADDING, w + PADDING] = values + means[..., h, w]
    y_hat = padded_y_hat[..., PADDING: PADDING + height, PADDING: PADDING + width]
    verify(encode_latent(model, y_hat, scales, means), string, "latent (y)")
    return y_hat
