"""Codec families of the ``.idem`` format: one registry entry per family, like compressai's zoo.

A family has the id written in each file, a name for ``--codec``, its quality levels and a loader;
``codec_for(family, quality)`` returns the (cached, frozen) model. Every family here is a compressai
hyperprior model — y entropy-coded with Gaussians whose scales the hyperprior predicts — so one
pipeline encodes, decodes, corrects and guides them all (a mean-scale hyperprior also predicts
y's means, which the pipeline subtracts before rounding, as compressai does; a context model
predicts them from the hyperprior and the symbols already coded, ``idemlab.codec.autoregressive``):

- ``small-hyperprior`` (id 1): the book's own model for small images, shipped with the package;
- ``bmshj2018-hyperprior`` (id 2): compressai's pre-trained model (Ballé et al. 2018), qualities
  1–8, loaded through ``compressai.zoo`` (downloads once; offline it fails in one sentence);
- ``mbt2018-mean`` (id 3): compressai's pre-trained mean-scale hyperprior (Minnen et al. 2018), the same way;
- ``cheng2020-anchor`` (id 4): compressai's pre-trained context model (Cheng et al. 2020), qualities 1–6.

A new family is one ``register`` call. Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

from idemlab.errors import IdemlabError

if TYPE_CHECKING:  # the registry itself stays light: ``idemlab info`` reads it without torch
    from compressai.models import ScaleHyperprior


@dataclass(frozen=True)
class CodecFamily:
    """Return-type of :func:`family`: what a file's family id stands for."""

    id: int
    name: str
    qualities: tuple[int, ...]
    load: Callable[[int], ScaleHyperprior]
    y_factor: int  # image side / y side


FAMILIES: dict[int, CodecFamily] = {}


def register(id: int, name: str, qualities: tuple[int, ...], y_factor: int):
    """Return a decorator that registers a loader ``quality → model`` as a codec family."""
    def add(load: Callable[[int], ScaleHyperprior]) -> Callable[[int], ScaleHyperprior]:
        FAMILIES[id] = CodecFamily(id, name, qualities, load, y_factor)
        return load
    return add


def family(key: int | str) -> CodecFamily:
    """Return the family of an id (from a file) or a name (from ``--codec``); IdemlabError if unknown."""
    for candidate in FAMILIES.values():
        if key in (candidate.id, candidate.name):
            return candidate
    names = ", ".join(f"{f.name} ({f.id})" for f in FAMILIES.values())
    raise IdemlabError(f"codec family {key!r} is not one this idemlab has; it has {names}")


@lru_cache(maxsize=None)
def codec_for(key: int | str, quality: int, device: str = "cpu") -> ScaleHyperprior:
    """Return the (cached) codec of a family at a quality, on a device (files are always coded by
    the CPU copy); IdemlabError if it does not exist."""
    f = family(key)
    if quality not in f.qualities:
        raise IdemlabError(f"codec {f.name} has no quality {quality}; its qualities are {list(f.qualities)}")
    return f.load(quality).eval().requires_grad_(False).to(device)


@register(1, "small-hyperprior", (0, 1, 3, 5, 7), y_factor=8)
def _small(quality: int) -> ScaleHyperprior:
    from idemlab.codec.model import load_shipped_codec

    return load_shipped_codec(quality)


def _zoo(name: str) -> Callable[[int], ScaleHyperprior]:
    """Return the loader of compressai's pre-trained zoo model ``name`` (MSE) by quality."""
    def load(quality: int) -> ScaleHyperprior:
        from idemlab.codec.zoo import load_zoo_codec

        return load_zoo_codec(quality, name)
    return load


register(2, "bmshj2018-hyperprior", tuple(range(1, 9)), y_factor=16)(_zoo("bmshj2018-hyperprior"))
register(3, "mbt2018-mean", tuple(range(1, 9)), y_factor=16)(_zoo("mbt2018-mean"))
register(4, "cheng2020-anchor", tuple(range(1, 7)), y_factor=16)(_zoo("cheng2020-anchor"))
