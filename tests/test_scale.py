"""The book's scale switch, and the chapter "At full scale" run at full scale on stand-ins: randomly
initialised models of the full-size architectures (and of LPIPS's AlexNet), saved where compressai's
zoo, the Hugging Face cache and torch hub would keep the downloaded ones, loaded through the same paths."""
from pathlib import Path

import nbformat
import pytest
import torch
from compressai.models import ScaleHyperprior

from idemlab.codec.zoo import zoo_checkpoint_path
from idemlab.errors import IdemlabError
from idemlab.scale import SCALES, current_scale

CHAPTER = Path(__file__).parents[1] / "notebooks" / "12_full_scale.ipynb"


def test_the_switch_chooses_the_scale_and_refuses_anything_else(monkeypatch):
    monkeypatch.delenv("IDEMLAB_SCALE", raising=False)
    monkeypatch.delenv("IDEMLAB_STEPS", raising=False)
    assert current_scale() == SCALES["embedded"]
    monkeypatch.setenv("IDEMLAB_SCALE", "full")
    full = current_scale()
    assert (full.codec, full.qualities, full.prior, full.size) == \
        ("bmshj2018-hyperprior", (1, 3, 5), "google/ddpm-ema-celebahq-256", 256)
    assert [(s.steps, s.sampler) for s in full.samplers.values()] == [(1000, "ddpm"), (100, "ddim")]
    assert full.image().shape == (256, 256, 3) and SCALES["embedded"].image().shape == (64, 64, 3)
    monkeypatch.setenv("IDEMLAB_STEPS", "100")
    capped = list(current_scale().samplers.values())
    assert [s.steps for s in capped] == [100, 100] and capped[0].zeta == list(full.samplers.values())[0].zeta
    for name, value in (("IDEMLAB_STEPS", "ten"), ("IDEMLAB_STEPS", "0"), ("IDEMLAB_SCALE", "huge")):
        monkeypatch.setenv(name, value)
        with pytest.raises(IdemlabError, match=name if name == "IDEMLAB_SCALE" else "steps"):
            current_scale()


@pytest.mark.slow
def test_the_full_scale_chapter_runs_on_stand_ins_of_the_full_size_models(tmp_path, monkeypatch):
    from nbclient import NotebookClient
    from test_lpips import save_stand_in_alexnet
    from test_prior import fake_hub_cache

    from idemlab.prior import Prior, small_unet, training_scheduler

    # monkeypatch sets os.environ, which the notebook's kernel inherits
    for name, value in {"IDEMLAB_SCALE": "full", "IDEMLAB_STEPS": "3", "HF_HUB_OFFLINE": "1",
                        "TORCH_HOME": str(tmp_path / "torch"), "HF_HUB_CACHE": str(tmp_path / "hub")}.items():
        monkeypatch.setenv(name, value)
    torch.manual_seed(0)
    for quality in (1, 3, 5):
        codec = ScaleHyperprior(128, 192)  # the architecture of the zoo's qualities 1–5
        codec.update(force=True)
        zoo_checkpoint_path(quality).parent.mkdir(parents=True, exist_ok=True)
        torch.save(codec.state_dict(), zoo_checkpoint_path(quality))
    fake_hub_cache(tmp_path / "hub", "google/ddpm-ema-celebahq-256",
                   Prior(small_unet(sample_size=32, channels=(8, 16)).eval(), training_scheduler()))
    save_stand_in_alexnet()  # LPIPS's backbone

    notebook = nbformat.read(CHAPTER, as_version=4)
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    assert "scale 'full': codec bmshj2018-hyperprior, qualities (1, 3, 5); prior google/ddpm-ema-celebahq-256" in printed
    assert "1000 DDPM steps (the paper's): 3 DDPM steps" in printed
    assert printed.count("\n    re-encodes byte-identically: True") == 6  # three rates, two samplers
    assert "LPIPS to the original (lower is closer):\n  q1: MSE decoder " in printed
