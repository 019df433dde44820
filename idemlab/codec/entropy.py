"""Entropy decoding that a crafted file cannot abuse: bounded before, padded during, verified after.

An rANS decoder cannot tell a garbage string from a real one, and compressai's reads 32-bit words
without looking at the string's end. A file with a valid checksum can therefore claim a huge
image over a few bytes of payload. Three defences, each before any large allocation:

1. **A lower bound on the code length.** Every symbol costs at least −log₂ of the largest
   probability in its CDF (less the coder's rounding, under 5·10⁻⁵ bit a symbol), so a string
   shorter than the sum over the symbols the header implies is refused before decoding.
2. **Padding.** The decoder gets the string followed by zeros — at least one 32-bit word per
   symbol, the most it can read for one — so even garbage never reads outside its buffer.
3. **Verification.** Symbols beyond any image's range are refused (garbage decodes to values
   near 2³¹, which would send compressai's encoder into an endless loop); the rest are encoded
   again and must give the file's string byte for byte, the one canonical form the encoder
   writes; anything else is corruption.

Book: Part II, chapter "The MSE codec" (the file format).
"""
from __future__ import annotations

import torch
from compressai.entropy_models import EntropyBottleneck, EntropyModel, GaussianConditional

from idemlab.errors import IdemlabError

SLACK_BITS = 64  # the coder's 64-bit final state, flushed at the end of every string
ROUNDING_BITS = 5e-5  # per symbol: rANS loses at most log2(1 / (1 − 2⁻¹⁵)) ≈ 4.4e-5 bit to rounding
LARGEST_SYMBOL = 2**20  # no image's latents come near; escape-coded garbage does


def minimum_bits(model: EntropyModel) -> torch.Tensor:
    """Return, per CDF of the entropy model, the fewest bits any symbol coded with it can cost."""
    cdf, lengths = model._quantized_cdf, model._cdf_length
    pmf = cdf[:, 1:] - cdf[:, :-1]
    usable = torch.arange(pmf.shape[1])[None] < (lengths[:, None] - 1)
    largest = torch.where(usable, pmf, 0).amax(1).clamp(min=1).double()
    return (model.entropy_coder_precision - torch.log2(largest) - ROUNDING_BITS).clamp(min=0)


def check_length(string: bytes, bits: float, what: str) -> None:
    """Refuse a string shorter than the fewest bits its symbols can cost (defence 1)."""
    if 8 * len(string) + SLACK_BITS < bits:
        raise IdemlabError(f"the .idem file is corrupt: its {what} string ({len(string)} bytes) is too short "
                           f"for the image size its header states (at least {bits / 8:.0f} bytes)")


def padded(string: bytes, n_symbols: int) -> bytes:
    """Return the string followed by enough zeros that decoding n symbols never reads past it (defence 2)."""
    return string + bytes(4 * n_symbols + 16 * len(string) + 64)


def check_range(symbols: torch.Tensor, what: str) -> None:
    """Refuse decoded symbols beyond any image's range (defence 3, first half)."""
    # garbage decodes to escape-coded values near 2³¹, which compressai's encoder cannot re-encode
    if symbols.numel() and symbols.abs().max() >= LARGEST_SYMBOL:
        raise IdemlabError(f"the .idem file is corrupt: its {what} string decodes to impossible values")


def verify(reencoded: bytes, string: bytes, what: str) -> None:
    """Refuse a string that is not what its decoded symbols encode to (defence 3, second half)."""
    if reencoded != string:
        raise IdemlabError(f"the .idem file is corrupt: its {what} string does not decode to valid symbols "
                           "(or it was written by another build of this model)")


def decode_hyperlatent(bottleneck: EntropyBottleneck, string: bytes, shape: tuple[int, int]) -> torch.Tensor:
    """Return ẑ (1, C, h, w) decoded from the z string of a file; IdemlabError if it cannot be one."""
    positions = shape[0] * shape[1]
    check_length(string, positions * minimum_bits(bottleneck).sum().item(), "hyperlatent (z)")
    z_hat = bottleneck.decompress([padded(string, positions * bottleneck.channels)], shape)
    check_range(z_hat - bottleneck.quantiles[:, 0, 1].reshape(1, -1, 1, 1), "hyperlatent (z)")
    verify(bottleneck.compress(z_hat)[0], string, "hyperlatent (z)")
    return z_hat


def decode_latent(conditional: GaussianConditional, string: bytes, indexes: torch.Tensor,
                  means: torch.Tensor) -> torch.Tensor:
    """Return ŷ decoded from the y string of a file with the CDF indexes and means the hyperprior
    chose; IdemlabError if the string cannot be the code of such a ŷ."""
    check_length(string, minimum_bits(conditional)[indexes.long()].sum().item(), "latent (y)")
    y_hat = conditional.decompress([padded(string, indexes.numel())], indexes, torch.float32, means)
    check_range(y_hat - means, "latent (y)")
    verify(conditional.compress(y_hat, indexes, means)[0], string, "latent (y)")
    return y_hat
