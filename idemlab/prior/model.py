"""The unconditional diffusion prior: a small diffusers ``UNet2DModel`` and its noise schedule.

ε-prediction (the network predicts the noise added to a clean image) is the parametrisation of
DDPM, of the public ``google/ddpm-*`` models and of the DPS papers the decoder follows, so our
small prior and a full-scale hub model plug into the same decoder code.
Book: Part II, chapter "Diffusion models as unconditional priors".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from diffusers import DDPMScheduler, UNet2DModel

PRIOR_DIR = Path(__file__).resolve().parent.parent / "weights" / "prior"


def small_unet(sample_size: int = 32, channels: tuple[int, ...] = (64, 128, 128),
               layers_per_block: int = 1) -> UNet2DModel:
    """Return an untrained UNet2DModel for RGB images, with self-attention at the coarsest scale."""
    n = len(channels)
    return UNet2DModel(
        sample_size=sample_size, in_channels=3, out_channels=3,
        block_out_channels=channels, layers_per_block=layers_per_block,
        down_block_types=("DownBlock2D",) * (n - 1) + ("AttnDownBlock2D",),
        up_block_types=("AttnUpBlock2D",) + ("UpBlock2D",) * (n - 1),
        norm_num_groups=32 if min(channels) >= 32 else min(channels),
    )


def training_scheduler() -> DDPMScheduler:
    """Return the 1000-step DDPM noise schedule the small prior is trained with.

    The cosine schedule ("squaredcos_cap_v2", Nichol & Dhariwal 2021) keeps more signal at
    middle noise levels than DDPM's linear one, which matters at 32×32.
    """
    return DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2",
                         prediction_type="epsilon", clip_sample=True)


@dataclass
class Prior:
    """A trained unconditional prior: ε-network plus the schedule it was trained with.

    Images live in [-1, 1] inside the prior (diffusers' convention); see ``to_model_range``.
    """

    unet: UNet2DModel
    scheduler: DDPMScheduler

    @property
    def sample_size(self) -> int:
        """Return the side of the square images the network was trained on."""
        return int(self.unet.config.sample_size)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write network and schedule to one folder (the flat layout of ``google/ddpm-cifar10-32``)."""
        self.unet.save_pretrained(directory)
        self.scheduler.save_pretrained(directory)
