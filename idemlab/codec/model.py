"""A scale-hyperprior codec sized for 32×32 images, built from compressai's own parts.

compressai's ``ScaleHyperprior`` downsamples by 16 (y) and 64 (z), which leaves a 32×32
image with no room for a hyperprior. This model keeps its structure, entropy models and
``forward``/``compress``/``decompress``, and changes only the transforms: y at 1/8 of the
resolution, z at 1/16. Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

from pathlib import Path

import torch
from compressai.layers import GDN
from compressai.models import ScaleHyperprior
from compressai.models.utils import conv, deconv
from torch import nn

from idemlab.errors import IdemlabError

# rate parameter λ per quality level: compressai's MSE λ for bmshj2018 qualities 1, 3, 5, 7, and
# below compressai's lowest a quality 0 at λ/9 of quality 1, for rates near 0.05 bpp
QUALITY_LAMBDAS = {0: 0.0002, 1: 0.0018, 3: 0.0067, 5: 0.0250, 7: 0.0932}


class SmallScaleHyperprior(ScaleHyperprior):
    """Return-type of the codec loaders: a scale hyperprior with y at H/8 and z at H/16."""

    def __init__(self, N: int = 64, M: int = 96, **kwargs) -> None:
        super().__init__(N, M, **kwargs)
        self.g_a = nn.Sequential(conv(3, N), GDN(N), conv(N, N), GDN(N), conv(N, M))
        self.g_s = nn.Sequential(
            deconv(M, N), GDN(N, inverse=True), deconv(N, N), GDN(N, inverse=True), deconv(N, 3)
        )
        self.h_a = nn.Sequential(conv(M, N, stride=1, kernel_size=3), nn.ReLU(inplace=True), conv(N, N))
        self.h_s = nn.Sequential(
            deconv(N, N), nn.ReLU(inplace=True), conv(N, M, stride=1, kernel_size=3), nn.ReLU(inplace=True)
        )

    @property
    def downsampling_factor(self) -> int:
        """Return 16: image sides must be multiples of it (the codec pads to them)."""
        return 2 ** (3 + 1)


def likelihood_bits(model: ScaleHyperprior, x: torch.Tensor) -> torch.Tensor:
    """Return, per image of the batch x, the code length −Σ log₂ p that the model estimates."""
    with torch.no_grad():
        likelihoods = model(x)["likelihoods"]
    return sum(-torch.log2(l).sum((1, 2, 3)) for l in likelihoods.values())


WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


def load_shipped_codec(quality: int) -> SmallScaleHyperprior:
    """Return the shipped small codec of a quality level, ready to entropy-code (eval mode, frozen)."""
    if quality not in QUALITY_LAMBDAS:
        raise IdemlabError(f"no shipped codec of quality {quality}; choose from {sorted(QUALITY_LAMBDAS)}")
    path = WEIGHTS_DIR / f"codec-q{quality}" / "model.pt"
    if not path.is_file():
        raise IdemlabError(
            f"the shipped codec weights for quality {quality} are missing ({path}); reinstall idemlab, or "
            f"train them with: python -m idemlab.codec.train --quality {quality} --out {path.parent}"
        )
    return load_codec(path)


def load_codec(path: Path) -> SmallScaleHyperprior:
    """Return the small codec saved at path (a ``model.pt`` as training writes it), ready to entropy-code."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = SmallScaleHyperprior(**checkpoint["config"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval().requires_grad_(False)  # guidance and correction differentiate w.r.t. images only
