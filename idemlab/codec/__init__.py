"""The MSE codec: a small compressai scale-hyperprior for small images, and its training.

Book: Part II, chapter "The MSE codec".
"""
from idemlab.codec.model import QUALITY_LAMBDAS, SmallScaleHyperprior, load_shipped_codec
from idemlab.codec.zoo import load_zoo_codec

__all__ = ["QUALITY_LAMBDAS", "SmallScaleHyperprior", "load_shipped_codec", "load_zoo_codec"]
