"""The .idem container and the MSE codec pipeline: exact round trips, stable bytes, and fuzzing."""
import subprocess
import sys

import numpy as np
import pytest
import torch

from idemlab.codec.bitstream import IdemFile, pack, unpack
from idemlab.codec.pipeline import codec_for, decode, encode, to_image, to_padded_tensor
from idemlab.data import held_out_patches, held_out_photos
from idemlab.errors import IdemlabError

PATCHES = held_out_patches()[:4]


def test_pack_unpack_round_trip_with_a_15_byte_header():
    f = IdemFile(1, 3, 37, 53, b"z" * 20, b"y" * 300)
    data = pack(f)
    assert unpack(data) == f
    assert len(data) - 320 == 15


@pytest.mark.parametrize("quality", [1, 7])
def test_decode_reproduces_the_models_quantised_reconstruction(quality):
    model = codec_for(1, quality)
    for image in PATCHES:
        with torch.no_grad():
            expected = to_image(model.g_s(torch.round(model.g_a(to_padded_tensor(image, 16)))), 32, 32)
        np.testing.assert_array_equal(decode(encode(image, quality)), expected)


def test_odd_sizes_round_trip_and_bpp_counts_every_byte():
    rng = np.random.default_rng(0)
    for height, width in [(1, 1), (37, 53), (16, 80)]:
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        data = encode(image, 1)
        assert decode(data).shape == (height, width, 3)
        f = unpack(data)
        assert len(data) == 15 + len(f.y_string) + len(f.z_string) + (len(f.z_string) >= 128)


def test_the_same_image_gives_the_same_bytes_in_another_process():
    here = encode(PATCHES[0], 1)
    script = ("import sys; from idemlab.data import held_out_patches, held_out_photos; from idemlab.codec.pipeline import encode; "
              "sys.stdout.buffer.write(encode(held_out_patches()[0], 1))")
    there = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True).stdout
    assert here == encode(PATCHES[0], 1) == there


def test_fuzzed_files_raise_only_idemlab_errors():
    rng = np.random.default_rng(1)
    valid = encode(PATCHES[1], 1)
    cases = []
    for _ in range(400):  # one to four random bytes changed
        data = bytearray(valid)
        for position in rng.integers(0, len(data), rng.integers(1, 5)):
            data[position] = (data[position] + rng.integers(1, 256)) % 256
        cases.append(bytes(data))
    cases += [valid[: rng.integers(0, len(valid))] for _ in range(300)]  # truncated
    cases += [bytes(rng.integers(0, 256, rng.integers(0, 200), dtype=np.uint8)) for _ in range(200)]  # random
    cases += [b"IDM" + bytes(rng.integers(0, 256, rng.integers(0, 60), dtype=np.uint8)) for _ in range(200)]
    for data in cases:
        with pytest.raises(IdemlabError):
            decode(data)
    assert len(cases) == 1100


def test_garbage_strings_with_a_valid_checksum_are_refused_not_decoded():
    rng = np.random.default_rng(2)
    for _ in range(50):
        y = bytes(rng.integers(0, 256, rng.integers(0, 80), dtype=np.uint8))
        z = bytes(rng.integers(0, 256, rng.integers(0, 20), dtype=np.uint8))
        with pytest.raises(IdemlabError, match="corrupt"):
            decode(pack(IdemFile(1, 1, 32, 48, z, y)))


@pytest.mark.parametrize("width, height", [(65535, 65535), (59712, 5936), (4096, 4096), (1200, 900)])
def test_a_valid_checksum_over_a_header_that_claims_a_large_image_is_refused(width, height):
    valid = unpack(encode(PATCHES[0], 1))
    crafted = pack(IdemFile(1, 1, height, width, valid.z_string, valid.y_string))
    with pytest.raises(IdemlabError, match="corrupt|limit"):
        decode(crafted)


def test_an_image_above_the_pixel_limit_is_refused_before_any_work():
    image = np.zeros((40, 30, 3), np.uint8)
    with pytest.raises(IdemlabError, match="1,200 pixels, above the limit of 1,000"):
        encode(image, 1, max_pixels=1000)
    data = encode(image, 1)
    with pytest.raises(IdemlabError, match="above the limit"):
        decode(data, max_pixels=1000)
    assert decode(data, max_pixels=1200).shape == (40, 30, 3)


def test_trailing_bytes_after_a_valid_string_are_refused():
    valid = unpack(encode(PATCHES[2], 3))
    crafted = pack(IdemFile(1, 3, 32, 32, valid.z_string, valid.y_string + b"\x00\x00\x00\x00"))
    with pytest.raises(IdemlabError, match="corrupt"):
        decode(crafted)


def test_large_images_coded_in_strips_give_the_bytes_and_pixels_of_the_whole(monkeypatch):
    from idemlab.codec import strips

    image = np.asarray(held_out_photos(4.0)[0])[:, :120]  # a 100×120 photo crop: 13 latent rows
    whole_file, whole_pixels = encode(image, 3), decode(encode(image, 3))
    monkeypatch.setattr(strips, "STRIP_PIXELS", 0)
    monkeypatch.setattr(strips, "STRIP_ROWS", 4)
    assert encode(image, 3) == whole_file
    assert np.abs(decode(whole_file).astype(int) - whole_pixels).max() <= 1


def test_a_file_of_an_unknown_model_is_refused_by_name():
    data = pack(IdemFile(9, 1, 32, 32, b"", b""))
    with pytest.raises(IdemlabError, match="family 9"):
        decode(data)


@pytest.mark.slow
def test_a_quick_fuzz_of_crafted_files_has_no_crash_hang_or_uncaught_exception():
    from idemlab.fuzz import fuzz, mutations

    valid = [encode(PATCHES[0], 1), encode(np.ascontiguousarray(PATCHES[1][:17, :29]), 7)]
    report = fuzz(list(mutations(valid, 330, seed=5)), time_limit=10.0, memory_limit_mb=1024.0)
    assert report.cases == 330 and report.failures == 0, report.examples
    assert report.outcomes["refused"] >= 300
