"""The full-scale path: compressai's pre-trained ``bmshj2018-hyperprior`` (MSE, qualities 1–8).

Loading goes through ``compressai.zoo`` itself, which reads torch hub's checkpoint cache and
downloads only what is missing. Offline (``HF_HUB_OFFLINE=1`` or ``IDEMLAB_OFFLINE=1``) a
missing checkpoint fails at once with one sentence that names the fallback. Book: Part II.
"""
from __future__ import annotations

from pathlib import Path
from urllib.error import URLError

import torch
from compressai.models import ScaleHyperprior
from compressai.zoo import bmshj2018_hyperprior
from compressai.zoo.image import model_urls

from idemlab.downloads import offline
from idemlab.errors import IdemlabError

FALLBACK = "use the shipped small codec instead (idemlab.codec.load_shipped_codec)"


def zoo_checkpoint_path(quality: int) -> Path:
    """Return where torch hub caches compressai's bmshj2018-hyperprior MSE checkpoint of a quality."""
    urls = model_urls["bmshj2018-hyperprior"]["mse"]
    if quality not in urls:
        raise IdemlabError(f"bmshj2018-hyperprior has qualities {sorted(urls)}, not {quality}")
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urls[quality]).name


def load_zoo_codec(quality: int) -> ScaleHyperprior:
    """Return compressai's pre-trained bmshj2018-hyperprior (MSE) of a quality, in eval mode."""
    path = zoo_checkpoint_path(quality)
    if not path.is_file() and offline():
        raise IdemlabError(f"the pre-trained bmshj2018-hyperprior quality {quality} is not in {path.parent} "
                           f"and downloads are off; {FALLBACK}")
    try:
        return bmshj2018_hyperprior(quality, metric="mse", pretrained=True, progress=False).eval().requires_grad_(False)
    except (URLError, OSError) as error:
        raise IdemlabError(f"the pre-trained bmshj2018-hyperprior quality {quality} could not be "
                           f"downloaded ({error}); {FALLBACK}") from None
