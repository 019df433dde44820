"""Image ⇄ ``.idem`` bytes with the MSE decoder: pad, entropy-code on the CPU, pack, and back.

Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

import numpy as np
import torch
from compressai.models import MeanScaleHyperprior, ScaleHyperprior

from idemlab.codec import autoregressive
from idemlab.codec.bitstream import IdemFile, pack, unpack
from idemlab.codec.geometry import as_encoder_input
from idemlab.codec.entropy import decode_hyperlatent, decode_latent
from idemlab.codec.registry import codec_for, family
from idemlab.codec.strips import analysis, synthesis
from idemlab.errors import IdemlabError
from idemlab.limits import check_size

SMALL_HYPERPRIOR = 1  # the family id of the shipped small codec, the default
Codec = ScaleHyperprior


def to_padded_tensor(image: np.ndarray, multiple: int) -> torch.Tensor:
    """Return uint8 (H, W, 3) as a (1, 3, H', W') float tensor, edge-padded to multiples."""
    x = torch.tensor(image).permute(2, 0, 1)[None].float() / 255.0  # a copy: inputs may be read-only
    return as_encoder_input(x, *image.shape[:2], multiple)


def to_image(x_hat: torch.Tensor, height: int, width: int) -> np.ndarray:
    """Return the top-left height×width of a (1, 3, H', W') tensor in [0, 1] as uint8 RGB."""
    x = x_hat[0, :, :height, :width].clamp(0, 1)
    return (x * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()


def encode(image: np.ndarray, quality: int, max_pixels: int | None = None, codec: int | str = SMALL_HYPERPRIOR) -> bytes:
    """Return the ``.idem`` bytes of a uint8 RGB image (H, W, 3) at a quality level of a codec
    family (``idemlab.codec.registry``; the shipped small codec by default).

    The steps of compressai's ``ScaleHyperprior.compress`` (or, for a context model, of
    ``JointAutoregressiveHierarchicalPriors.compress``), with the analysis transform run in strips
    on large images (``idemlab.codec.strips``) so that memory stays bounded.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise IdemlabError(f"expected an 8-bit RGB image of shape (H, W, 3), got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    check_size(width, height, max_pixels)
    f = family(codec)
    model = codec_for(f.id, quality)
    with torch.no_grad():
        y = analysis(model.g_a, to_padded_tensor(image, model.downsampling_factor), f.y_factor)
        z = hyper_analysis(model, y)
        (z_string,) = model.entropy_bottleneck.compress(z)
        z_hat = model.entropy_bottleneck.decompress([z_string], z.shape[-2:])
        scales, means = _coding_distribution(model, y, z_hat)
        if autoregressive.is_autoregressive(model):
            y_string = autoregressive.encode_latent(model, y, scales, means)
        else:
            indexes = model.gaussian_conditional.build_indexes(scales)
            (y_string,) = model.gaussian_conditional.compress(y, indexes, means)
    return pack(IdemFile(f.id, quality, height, width, z_string, y_string))


def hyper_analysis(model: Codec, y: torch.Tensor) -> torch.Tensor:
    """Return z = h_a(|y|) of a scale hyperprior, or h_a(y) of a mean-scale one (as compressai's)."""
    return model.h_a(y if isinstance(model, MeanScaleHyperprior) else torch.abs(y))


def y_distribution(model: Codec, z_hat: torch.Tensor, y_hat: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the scales and the means of y's Gaussians in a file with latents ẑ (and ŷ, which a
    context model needs); y's symbols are round(y − means). Means are 0 for a scale hyperprior."""
    parameters = model.h_s(z_hat)
    if autoregressive.is_autoregressive(model):
        if y_hat is None:
            raise ValueError("a context model's means depend on the received ŷ: pass y_hat")
        return model.entropy_parameters(torch.cat((parameters, model.context_prediction(y_hat)), dim=1)).chunk(2, 1)
    if isinstance(model, MeanScaleHyperprior):
        scales, means = parameters.chunk(2, 1)
        return scales, means
    return parameters, torch.zeros_like(parameters)


def _coding_distribution(model: Codec, y: torch.Tensor, z_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the scales and means that encoding latents y uses (a context model's come from
    quantising y in raster order)."""
    if autoregressive.is_autoregressive(model):
        return autoregressive.context_coding(model, y, model.h_s(z_hat))
    return y_distribution(model, z_hat)


def received_latents(data: bytes, max_pixels: int | None = None) -> tuple[IdemFile, Codec, torch.Tensor, torch.Tensor]:
    """Return the parsed file, its codec and the dequantised latents ŷ and ẑ it carries.

    The entropy-decoding half of compressai's ``ScaleHyperprior.decompress``, stopped before the
    synthesis transform because the perceptual decoder needs ŷ itself; bounded and verified
    against crafted files (``idemlab.codec.entropy``).
    """
    f = unpack(data)
    check_size(f.width, f.height, max_pixels, what="the image this file holds")
    model = codec_for(f.family, f.quality)
    multiple = model.downsampling_factor
    z_shape = (-(-f.height // multiple), -(-f.width // multiple))
    with torch.no_grad():
        z_hat = decode_hyperlatent(model.entropy_bottleneck, f.z_string, z_shape)
        if autoregressive.is_autoregressive(model):
            y_hat = autoregressive.decode_latent(model, f.y_string, model.h_s(z_hat))
        else:
            scales, means = y_distribution(model, z_hat)
            indexes = model.gaussian_conditional.build_indexes(scales)
            y_hat = decode_latent(model.gaussian_conditional, f.y_string, indexes, means)
    return f, model, y_hat, z_hat


def decode(data: bytes, max_pixels: int | None = None) -> np.ndarray:
    """Return the MSE decoder's reconstruction (uint8 RGB) of ``.idem`` bytes."""
    f, model, y_hat, _ = received_latents(data, max_pixels)
    with torch.no_grad():
        x_hat = synthesis(model.g_s, y_hat, family(f.family).y_factor)
    return to_image(x_hat, f.height, f.width)


def latents(model: Codec, x: torch.Tensor, means: torch.Tensor | float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the continuous latents (y − means, z − medians) of padded images x, differentiably.

    Rounding them gives the integer symbols the file entropy-codes: y around the means its
    hyperprior predicts (``y_distribution``; 0 for a scale hyperprior, and pass the received
    file's), z around the entropy bottleneck's medians.
    """
    y = model.g_a(x)
    return y - means, hyper_analysis(model, y) - medians(model)


def medians(model: Codec) -> torch.Tensor:
    """Return the entropy bottleneck's medians (1, C, 1, 1): z's symbols are round(z − medians)."""
    return model.entropy_bottleneck.quantiles[:, 0, 1].reshape(1, -1, 1, 1).detach()


def symbols(image: np.ndarray, quality: int, codec: int | str = SMALL_HYPERPRIOR) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the integer symbols (y, z) that encoding the image entropy-codes.

    Two images of the same size give the same file iff these agree.
    Book: Part II, chapter "Re-compression drift".
    """
    f = family(codec)
    y, z = encoder_latents(image, codec_for(f.id, quality), f.y_factor)
    return torch.round(y).to(torch.int32), torch.round(z).to(torch.int32)


def encoder_latents(image: np.ndarray, model: Codec, y_factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the continuous latents (y − means, z − medians) the encoder rounds, as ``encode``
    computes them."""
    with torch.no_grad():
        y = analysis(model.g_a, to_padded_tensor(image, model.downsampling_factor), y_factor)
        z = hyper_analysis(model, y) - medians(model)
        _, means = _coding_distribution(model, y, torch.round(z) + medians(model))
        return y - means, z
