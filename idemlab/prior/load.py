"""Load a prior: the shipped small one, a local folder, or a public model by Hugging Face hub id.

One path for all three: ``UNet2DModel.from_pretrained`` and ``DDPMScheduler.from_pretrained`` on
the flat layout of ``google/ddpm-cifar10-32`` (also ``google/ddpm-ema-celebahq-256`` …), or on
the ``unet/`` and ``scheduler/`` subfolders of a ``DDPMPipeline`` (how ``save_pretrained`` and
many hub repositories lay a pipeline out). A hub id is looked up in the local Hugging Face cache first; offline (``HF_HUB_OFFLINE=1``) a model
that is not cached fails at once with one sentence. Book: Part II, chapter "Diffusion models as
unconditional priors".
"""
from __future__ import annotations

import warnings
from pathlib import Path

from diffusers import DDPMScheduler, UNet2DModel

from idemlab.downloads import offline
from idemlab.errors import IdemlabError
from idemlab.prior.model import PRIOR_DIR, Prior
from idemlab.prior.windows import use_windowed_attention

FALLBACK = "load_prior() without an argument gives the shipped small prior"
LAYOUTS = ({}, {"unet": "unet", "scheduler": "scheduler"})  # flat, then a DDPMPipeline's subfolders


def _from_pretrained(source: str | Path, local_only: bool) -> tuple[UNet2DModel, DDPMScheduler]:
    """Return the UNet and scheduler of the first layout ``source`` has; the flat layout's error if none."""
    first_error = None
    for layout in LAYOUTS:
        try:
            unet = UNet2DModel.from_pretrained(source, subfolder=layout.get("unet"), local_files_only=local_only,
                                               low_cpu_mem_usage=False)
            return unet, DDPMScheduler.from_pretrained(source, subfolder=layout.get("scheduler"),
                                                       local_files_only=local_only)
        except (OSError, ValueError) as error:
            first_error = first_error or error
    raise first_error


def load_prior(source: str | Path | None = None) -> Prior:
    """Return a prior in eval mode from a folder or hub id; the shipped small prior by default.

    Its attention layers are windowed at their training size (``idemlab.prior.windows``), so it
    runs on any canvas in time linear in the pixels."""
    source = PRIOR_DIR if source is None else source
    is_folder = Path(source).is_dir()
    if not is_folder and Path(source).exists():
        raise IdemlabError(f"{source} is a file; a prior is a folder with config.json and scheduler_config.json "
                           "(or a pipeline's unet/ and scheduler/)")
    local_only = is_folder or offline()
    try:
        with warnings.catch_warnings():  # diffusers still passes an argument huggingface_hub deprecated
            warnings.filterwarnings("ignore", message=".*local_dir_use_symlinks.*")
            unet, scheduler = _from_pretrained(source, local_only)
    except (OSError, ValueError) as error:
        if is_folder:
            problem = f"the folder {source} holds no diffusers UNet2DModel and DDPM scheduler ({type(error).__name__})"
        elif local_only:
            problem = f"{source!r} is not in the Hugging Face cache and downloads are off"
        else:
            problem = f"{source!r} could not be fetched from the Hugging Face hub ({type(error).__name__})"
        raise IdemlabError(f"no diffusion prior: {problem}; {FALLBACK}") from None
    if unet.config.in_channels != 3 or unet.config.out_channels != 3:
        raise IdemlabError(f"{source} is not an unconditional RGB image model "
                           f"(in/out channels {unet.config.in_channels}/{unet.config.out_channels})")
    return Prior(use_windowed_attention(unet).eval(), scheduler)
