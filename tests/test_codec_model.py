"""The small scale hyperprior: latent shapes, and entropy coding that reproduces forward's output."""
import json

import pytest
import torch

from idemlab.codec import QUALITY_LAMBDAS, SmallScaleHyperprior, load_shipped_codec
from idemlab.codec.model import WEIGHTS_DIR
from idemlab.codec.train import evaluate
from idemlab.data import held_out_patches
from idemlab.errors import IdemlabError
from idemlab.images import to_tensor


def tiny_model() -> SmallScaleHyperprior:
    torch.manual_seed(0)
    model = SmallScaleHyperprior(N=8, M=12).eval()
    model.update(force=True)
    return model


def test_latents_are_at_one_eighth_and_one_sixteenth():
    model = tiny_model()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        y = model.g_a(x)
        z = model.h_a(torch.abs(y))
        out = model(x)
    assert tuple(y.shape) == (2, 12, 4, 4) and tuple(z.shape) == (2, 8, 2, 2)
    assert tuple(out["x_hat"].shape) == (2, 3, 32, 32)
    assert model.downsampling_factor == 16


def test_compress_decompress_round_trip_matches_quantised_forward():
    model = tiny_model()
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        coded = model.compress(x)
        decoded = model.decompress(coded["strings"], coded["shape"])["x_hat"]
        expected = model.g_s(torch.round(model.g_a(x))).clamp(0, 1)  # codes round(y), clamps x̂
    assert len(coded["strings"]) == 2 and all(len(s) == 3 for s in coded["strings"])
    torch.testing.assert_close(decoded, expected, atol=1e-5, rtol=0)
    again = model.compress(x)
    assert again["strings"] == coded["strings"]  # same image, same bytes


@pytest.mark.parametrize("quality", sorted(QUALITY_LAMBDAS))
def test_shipped_codec_reproduces_the_figures_of_its_training_log(quality):
    log = json.loads((WEIGHTS_DIR / f"codec-q{quality}" / "training.json").read_text())
    measured = evaluate(load_shipped_codec(quality), to_tensor(held_out_patches()))
    for key in ("estimated_bpp", "strings_bpp", "psnr_db"):
        assert measured[key] == pytest.approx(log["test"][key], abs=1e-3), key


def test_unknown_quality_is_refused_with_the_choices():
    with pytest.raises(IdemlabError, match="choose from"):
        load_shipped_codec(2)
