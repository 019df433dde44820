"""The MSE codec: a small compressai scale-hyperprior for small images, and its training.

The names below load lazily (torch is imported on first use), so that ``idemlab info`` and the
container module ``idemlab.codec.bitstream`` stay light. Book: Part II, chapter "The MSE codec".
"""
from importlib import import_module

_EXPORTS = {"QUALITY_LAMBDAS": "idemlab.codec.model", "SmallScaleHyperprior": "idemlab.codec.model",
            "load_codec": "idemlab.codec.model", "load_shipped_codec": "idemlab.codec.model",
            "load_zoo_codec": "idemlab.codec.zoo"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'idemlab.codec' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
