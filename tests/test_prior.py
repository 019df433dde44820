"""The diffusion prior: training lowers the loss, sampling is seeded, weights round-trip through
save_pretrained, hub ids load offline from a locally saved copy, and a missing model fails fast."""

import huggingface_hub
import pytest
import torch
from diffusers import DDPMPipeline

from idemlab.errors import IdemlabError
from idemlab.prior import Prior, load_prior, sample, small_unet, training_scheduler
from idemlab.prior.train import diffusion_loss


def tiny_prior(seed: int = 0) -> Prior:
    torch.manual_seed(seed)
    return Prior(small_unet(sample_size=16, channels=(8, 16)), training_scheduler())


def test_training_steps_lower_the_loss_on_a_fixed_batch():
    prior = tiny_prior()
    clean = torch.rand(8, 3, 16, 16) * 2 - 1
    optimizer = torch.optim.Adam(prior.unet.parameters(), lr=2e-3)

    def loss() -> torch.Tensor:
        return diffusion_loss(prior, clean, torch.Generator().manual_seed(1))  # same noise and t each time

    before = loss().item()
    for _ in range(30):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    assert loss().item() < 0.7 * before


@pytest.mark.parametrize("kind", ["ddim", "ddpm", "dpm++"])
def test_sampling_is_seeded_and_in_range(kind):
    prior = tiny_prior()
    first, again, other = (sample(prior, 2, steps=5, kind=kind, seed=s) for s in (3, 3, 4))
    assert first.shape == (2, 3, 16, 16)
    assert 0 <= first.min() and first.max() <= 1
    assert torch.equal(first, again)
    assert not torch.allclose(first, other)


def test_save_pretrained_round_trip(tmp_path):
    prior = tiny_prior()
    prior.save_pretrained(tmp_path)
    loaded = load_prior(tmp_path)
    assert loaded.scheduler.config.beta_schedule == "squaredcos_cap_v2"
    torch.testing.assert_close(sample(loaded, 2, steps=4, seed=0), sample(prior, 2, steps=4, seed=0))


def test_the_shipped_prior_loads_and_samples():
    prior = load_prior()
    assert prior.sample_size == 32
    x = sample(prior, 1, steps=2, seed=0)
    assert x.shape == (1, 3, 32, 32)


def save_as_pipeline(prior: Prior, folder) -> None:
    """Save a prior as ``DDPMPipeline.save_pretrained`` lays it out: model_index.json, unet/, scheduler/."""
    DDPMPipeline(unet=prior.unet, scheduler=prior.scheduler).save_pretrained(folder)


def test_a_pipeline_folder_loads_its_unet_and_scheduler(tmp_path):
    prior = tiny_prior(seed=3)
    save_as_pipeline(prior, tmp_path)
    assert (tmp_path / "unet" / "config.json").exists() and (tmp_path / "model_index.json").exists()
    loaded = load_prior(tmp_path)
    torch.testing.assert_close(sample(loaded, 2, steps=4, seed=0), sample(prior, 2, steps=4, seed=0))


def fake_hub_cache(root, repo_id: str, prior: Prior, pipeline: bool = False) -> None:
    """Lay out a saved prior as huggingface_hub caches a download of repo_id."""
    repo = root / ("models--" + repo_id.replace("/", "--"))
    commit = "0" * 40
    (save_as_pipeline if pipeline else Prior.save_pretrained)(prior, repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)


@pytest.mark.parametrize("pipeline", [False, True], ids=["flat", "pipeline"])
def test_a_hub_id_loads_offline_from_a_locally_saved_copy(tmp_path, monkeypatch, pipeline):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    prior = tiny_prior(seed=5)
    fake_hub_cache(tmp_path, "google/ddpm-cifar10-32", prior, pipeline)
    loaded = load_prior("google/ddpm-cifar10-32")
    for name, tensor in prior.unet.state_dict().items():
        torch.testing.assert_close(loaded.unet.state_dict()[name], tensor)


def test_a_missing_hub_model_offline_fails_fast_and_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(IdemlabError, match=r"not in the Hugging Face cache and downloads are off; load_prior\(\) without"):
        load_prior("google/ddpm-ema-celebahq-256")


def test_a_file_or_a_codec_folder_is_not_a_prior(tmp_path):
    (tmp_path / "model.pt").write_bytes(b"not a prior")
    with pytest.raises(IdemlabError, match="is a file"):
        load_prior(tmp_path / "model.pt")
    with pytest.raises(IdemlabError, match="holds no diffusers UNet2DModel"):
        load_prior(tmp_path)
