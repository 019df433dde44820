"""The book's scale switch, and chapters 9–12 run at full scale on stand-ins: randomly
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
    assert [(s.steps, s.sampler) for s in full.samplers.values()] == [(1000, "ddpm"), (100, "ddpm")]
    assert full.image().shape == (256, 256, 3) and SCALES["embedded"].image().shape == (64, 64, 3)
    monkeypatch.setenv("IDEMLAB_STEPS", "100")
    capped = list(current_scale().samplers.values())
    assert [s.steps for s in capped] == [100, 100] and capped[0].zeta == list(full.samplers.values())[0].zeta
    for name, value in (("IDEMLAB_STEPS", "ten"), ("IDEMLAB_STEPS", "0"), ("IDEMLAB_SCALE", "huge")):
        monkeypatch.setenv(name, value)
        with pytest.raises(IdemlabError, match=name if name == "IDEMLAB_SCALE" else "steps"):
            current_scale()


@pytest.fixture
def full_scale_stand_ins(tmp_path, monkeypatch, tiny_prior):
    """Switch the book to full scale (three sampler steps) with stand-ins of the full-size models
    saved where the downloads would be kept; offline."""
    from test_lpips import save_stand_in_alexnet
    from test_prior import fake_hub_cache

    # monkeypatch sets os.environ, which a notebook's kernel inherits
    for name, value in {"IDEMLAB_SCALE": "full", "IDEMLAB_STEPS": "3", "HF_HUB_OFFLINE": "1",
                        "TORCH_HOME": str(tmp_path / "torch"), "HF_HUB_CACHE": str(tmp_path / "hub")}.items():
        monkeypatch.setenv(name, value)
    torch.manual_seed(0)
    for quality in (1, 3, 5):
        codec = ScaleHyperprior(128, 192)  # the architecture of the zoo's qualities 1–5
        codec.update(force=True)
        zoo_checkpoint_path(quality).parent.mkdir(parents=True, exist_ok=True)
        torch.save(codec.state_dict(), zoo_checkpoint_path(quality))
    fake_hub_cache(tmp_path / "hub", "google/ddpm-ema-celebahq-256", tiny_prior)
    save_stand_in_alexnet()  # LPIPS's backbone


def printed_by(chapter: Path) -> str:
    """Run a chapter's notebook as the book does and return everything its cells printed."""
    from nbclient import NotebookClient

    notebook = nbformat.read(chapter, as_version=4)
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(chapter.parent)}}).execute()
    return "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))


@pytest.mark.slow
def test_the_full_scale_chapter_runs_on_stand_ins_of_the_full_size_models(full_scale_stand_ins):
    printed = printed_by(CHAPTER)
    assert "scale 'full': codec bmshj2018-hyperprior, qualities (1, 3, 5); prior google/ddpm-ema-celebahq-256" in printed
    assert "1000 DDPM steps (the paper's): 3 uniform DDPM steps" in printed
    assert printed.count("\n    re-encodes byte-identically: True") == 6  # three rates, two samplers
    assert "LPIPS to the original (lower is closer):\n  q1: MSE decoder " in printed


# what each of chapters 9–11 prints only when its model-running cells follow the switch
FOLLOWING_THE_SWITCH = {
    "09_diffusion_prior": ["scale 'full': prior google/ddpm-ema-celebahq-256, 32×32, on cpu",  # the stand-in's size
                           "(the embedded scale only: the training data of google/ddpm-ema-celebahq-256",
                           "loaded from the local Hugging Face cache"],
    "10_perceptual_decoder": ["scale 'full' on cpu: codec bmshj2018-hyperprior; prior google/ddpm-ema-celebahq-256",
                              "q1: byte-identical re-encodes — MSE decoder", "after the correction 1/1",
                              "q5: byte-identical re-encodes", "α = 1.00: MSE", "--codec bmshj2018-hyperprior",
                              "--prior google/ddpm-ema-celebahq-256 --device cpu",
                              "tile.idem and again.idem identical: True"],
    "11_results": ["(the embedded scale only: the live check", "\npaper        3",
                   "perceptual decoder identical files at generation 1: 100 %"],
}


@pytest.mark.slow
@pytest.mark.parametrize("chapter", sorted(FOLLOWING_THE_SWITCH))
def test_chapters_9_to_11_run_the_full_scale_models_when_switched(full_scale_stand_ins, chapter):
    printed = printed_by(CHAPTER.parent / f"{chapter}.ipynb")
    for line in FOLLOWING_THE_SWITCH[chapter]:
        assert line in printed
