"""The byte-identical promise at every size and quality, and golden bitstreams.

Like compressai's ``tests/test_codec.py``: the md5 of the bytes and of the decoded pixels of fixed
inputs are pinned in ``tests/golden.json``; after an intended change of the codec, regenerate
them with ``IDEMLAB_UPDATE_GOLDEN=1 pytest tests/test_exactness.py``.
"""
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from idemlab.codec.pipeline import SMALL_HYPERPRIOR, codec_for, decode, encode, latents, symbols
from idemlab.data import held_out_photos
from idemlab.decoder import make_idempotent
from idemlab.decoder.constraints import as_encoder_input
from idemlab.decoder.correction import SAFETY

GOLDEN = Path(__file__).with_name("golden.json")
UPDATE = os.environ.get("IDEMLAB_UPDATE_GOLDEN") == "1"
QUALITIES = (1, 3, 5, 7)
SIZES = ((1, 1), (37, 53), (50, 75), (150, 100))


def crop(height: int, width: int) -> np.ndarray:
    return np.ascontiguousarray(held_out_photos(2.0)[0][40:40 + height, 60:60 + width])


@pytest.mark.slow
@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("height, width", SIZES)
def test_the_correction_is_exact_with_a_margin_or_says_it_is_not(height, width, quality):
    image = crop(height, width)
    data = encode(image, quality)
    model = codec_for(SMALL_HYPERPRIOR, quality)
    y_symbols, z_symbols = symbols(image, quality)
    start = torch.tensor(decode(data)).permute(2, 0, 1)[None].float() / 255  # the MSE decoder's drifting output
    corrected = make_idempotent(model, start, y_symbols, z_symbols)
    assert (encode(corrected.images[0], quality) == data) == corrected.exact[0]
    if not corrected.robust[0]:  # reported, and the command line refuses to write such an image
        pytest.xfail("not exact" if not corrected.exact[0] else f"exact, but a latent stays within {SAFETY} of an edge")
    x = torch.tensor(corrected.images[0]).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        y, z = latents(model, as_encoder_input(x, height, width, model.downsampling_factor))
    assert (y - y_symbols).abs().max() <= 0.5 - SAFETY + 1e-6
    assert (z - z_symbols).abs().max() <= 0.5 - SAFETY + 1e-6


def test_re_encoding_gives_the_same_bytes_under_one_and_two_threads():
    image = crop(150, 100)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = [encode(image, q) for q in QUALITIES]
        torch.set_num_threads(2)
        two = [encode(image, q) for q in QUALITIES]
    finally:
        torch.set_num_threads(threads)
    assert one == two


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_golden_bitstreams_and_decoded_pixels():
    """Files are pinned as they are; decoded pixels under one thread, because convolutions sum in
    another order under two threads and a pixel near a rounding boundary can move by 1 (the bytes
    do not: re-encoding is checked across thread counts above)."""
    found, threads = {}, torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        for quality in QUALITIES:
            for height, width in SIZES:
                data = encode(crop(height, width), quality)
                found[f"q{quality}-{height}x{width}"] = {"file": md5(data), "mse_decoded": md5(decode(data).tobytes())}
        one_thread = decode(encode(crop(150, 100), 3)).astype(int)
        torch.set_num_threads(2)
        assert np.abs(decode(encode(crop(150, 100), 3)).astype(int) - one_thread).max() <= 1
    finally:
        torch.set_num_threads(threads)
    if UPDATE:
        GOLDEN.write_text(json.dumps(found, indent=1) + "\n")
    assert found == json.loads(GOLDEN.read_text())
