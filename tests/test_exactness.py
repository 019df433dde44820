"""The byte-identical promise at every size and quality, and golden bitstreams.

Like compressai's ``tests/test_codec.py``: the md5 of the bytes and of the decoded pixels of fixed
inputs — and of a few-step seeded perceptual decode — are pinned in ``tests/golden.json``; after an
intended change of the codec or the decoder, regenerate them with
``IDEMLAB_UPDATE_GOLDEN=1 pytest tests/test_exactness.py``.
"""
import base64
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from idemlab.codec.pipeline import SMALL_HYPERPRIOR, codec_for, decode, encode, latents, symbols
from idemlab.codec.registry import family
from idemlab.data import held_out_photos
from idemlab.decoder import PerceptualSettings, make_idempotent, perceptual_decode
from idemlab.codec.geometry import as_encoder_input
from idemlab.codec.received import SAFETY

GOLDEN = Path(__file__).with_name("golden.json")
UPDATE = os.environ.get("IDEMLAB_UPDATE_GOLDEN") == "1"
QUALITIES = family(SMALL_HYPERPRIOR).qualities
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


def check_golden(found: dict) -> None:
    """Assert that ``found`` equals its entries in golden.json (rewritten with them when updating)."""
    golden = json.loads(GOLDEN.read_text())
    if UPDATE:
        golden.update(found)
        GOLDEN.write_text(json.dumps(golden, indent=1) + "\n")
    assert found == {key: golden.get(key) for key in found}


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_golden_bitstreams_and_decoded_pixels(one_thread):
    """Files are pinned as they are; decoded pixels under one thread, because convolutions sum in
    another order under two threads and a pixel near a rounding boundary can move by 1 (the bytes
    do not: re-encoding is checked across thread counts above)."""
    found = {}
    for quality in QUALITIES:
        for height, width in SIZES:
            data = encode(crop(height, width), quality)
            found[f"q{quality}-{height}x{width}"] = {"file": md5(data), "mse_decoded": md5(decode(data).tobytes())}
    one = decode(encode(crop(150, 100), 3)).astype(int)
    torch.set_num_threads(2)
    assert np.abs(decode(encode(crop(150, 100), 3)).astype(int) - one).max() <= 1
    check_golden(found)


@pytest.mark.parametrize("quality", (1, 7))
def test_golden_seeded_perceptual_decode(one_thread, quality):
    """A 10-step seeded perceptual decode (the default sampler) under one thread: the sampler's raw output and the saved,
    corrected image are pinned, so any change of sampler, guidance or correction shows.

    Bit for bit on a CPU whose torch kernels are those the golden was made with (its recorded CPU
    capability, e.g. AVX2). Other kernels (AVX-512, ARM) round convolutions differently: there the
    raw sample must stay within 4 gray levels of the pinned one and within half a level on average
    (AVX-512 against the AVX2 golden: at most 3, 0.32 on average at q7; ζ 3.5 instead of 4 moves it
    by 32, 1.3 on average), and the saved image keeps its promise, since the correction is a
    discrete search that such differences send another way."""
    data = encode(crop(32, 32), quality)
    decoded = perceptual_decode([data], seed=7, settings=PerceptualSettings(steps=10))
    raw = (decoded.raw.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    found = {"raw": md5(raw.tobytes()), "saved": md5(decoded.images.tobytes()),
             "exact": bool(decoded.correction.exact[0]), "cpu": torch.backends.cpu.get_cpu_capability(),
             "raw_pixels": base64.b64encode(raw.tobytes()).decode()}
    key = f"perceptual-q{quality}-32x32-seed7-{PerceptualSettings.sampler}10"
    if UPDATE:
        check_golden({key: found})
    golden = json.loads(GOLDEN.read_text())[key]
    assert found["exact"] and golden["exact"]
    if found["cpu"] == golden["cpu"]:
        assert (found["raw"], found["saved"]) == (golden["raw"], golden["saved"])
    else:
        pinned = np.frombuffer(base64.b64decode(golden["raw_pixels"]), np.uint8).reshape(raw.shape)
        difference = np.abs(raw.astype(int) - pinned)
        assert difference.max() <= 4 and difference.mean() <= 0.5
