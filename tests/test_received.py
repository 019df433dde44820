"""Receiving files once and judging images against them (``idemlab.codec.received``)."""
import sys

import numpy as np
import pytest
import torch

import idemlab.codec.bitstream
import idemlab.codec.entropy
from idemlab.codec.pipeline import decode, encode, symbols
from idemlab.codec.received import SAFETY, judge, receive
from idemlab.data import held_out_patches
from idemlab.decoder import PerceptualSettings, perceptual_decode
from idemlab.errors import IdemlabError


@pytest.fixture(scope="module")
def tiles() -> np.ndarray:
    return held_out_patches()[::19][:3]


def test_receive_keeps_the_symbols_the_files_code(tiles):
    files = [encode(tile, 3) for tile in tiles]
    received = receive(files)
    assert received.y_hat.shape[0] == received.y_symbols.shape[0] == len(files) and received.canvas == (32, 32)
    for tile, y_symbols, z_symbols in zip(tiles, received.y_symbols, received.z_symbols):
        y, z = symbols(tile, 3)
        assert torch.equal(y[0], y_symbols) and torch.equal(z[0], z_symbols)


def test_receive_refuses_an_empty_batch_and_a_mixed_one(tiles):
    with pytest.raises(IdemlabError, match="no files"):
        receive([])
    with pytest.raises(IdemlabError, match="must share codec, quality and image size"):
        receive([encode(tiles[0], 3), encode(tiles[1], 5)])


def test_judge_agrees_with_re_encoding_byte_for_byte(tiles):
    """exact is exactly ``encode(image) == file``; the margin is positive iff exact, and robust
    means a margin of at least SAFETY."""
    files = [encode(tile, 1) for tile in tiles]
    decoded = np.stack([decode(data) for data in files])
    candidates = np.concatenate([decoded, tiles])  # MSE decodes re-encode exactly more often than the originals
    verdict = judge(candidates, receive(files + files))
    identical = np.array([encode(image, 1) == data for image, data in zip(candidates, files + files)])
    assert verdict.exact.tolist() == identical.tolist() and identical.any() and not identical.all()
    assert ((verdict.margin > 0) == verdict.exact).all()
    assert (verdict.robust == (verdict.exact & (verdict.margin >= SAFETY))).all()


def test_judge_refuses_images_that_do_not_match_the_files(tiles):
    with pytest.raises(IdemlabError, match="one per file"):
        judge(tiles[:2, :16], receive([encode(tiles[0], 3), encode(tiles[1], 3)]))


def _counting(monkeypatch, function) -> list:
    """Replace a function wherever an idemlab module holds it, and return the list its calls append to."""
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return function(*args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("idemlab") and getattr(module, function.__name__, None) is function:
            monkeypatch.setattr(module, function.__name__, counted)
    return calls


def test_one_perceptual_decode_unpacks_and_entropy_decodes_each_file_once(tiles, monkeypatch, tiny_prior):
    files = [encode(tile, 3) for tile in tiles]
    unpacked = _counting(monkeypatch, idemlab.codec.bitstream.unpack)
    y_decoded = _counting(monkeypatch, idemlab.codec.entropy.decode_latent)
    z_decoded = _counting(monkeypatch, idemlab.codec.entropy.decode_hyperlatent)
    result = perceptual_decode(files, 0, PerceptualSettings(steps=2), tiny_prior)
    assert result.correction.exact.all()
    assert len(unpacked) == len(y_decoded) == len(z_decoded) == len(files)
