"""The full-scale path: compressai's pre-trained MSE models ``bmshj2018-hyperprior`` (Ballé et al.
2018) and ``mbt2018-mean`` (Minnen et al. 2018), qualities 1–8, and ``cheng2020-anchor`` (Cheng et
al. 2020), qualities 1–6.

Loading goes through ``compressai.zoo`` itself, which reads torch hub's checkpoint cache and
downloads only what is missing. Offline (``HF_HUB_OFFLINE=1`` or ``IDEMLAB_OFFLINE=1``) a
missing checkpoint fails at once with one sentence that names the fallback. Book: Part II.
"""
from __future__ import annotations

from pathlib import Path
from urllib.error import URLError

from compressai.models import ScaleHyperprior
from compressai.zoo import image_models
from compressai.zoo.image import model_urls

from idemlab.downloads import hub_checkpoint_path, offline
from idemlab.errors import IdemlabError

FALLBACK = "use the shipped small codec instead (idemlab.codec.load_shipped_codec)"


def zoo_checkpoint_path(quality: int, name: str = "bmshj2018-hyperprior") -> Path:
    """Return where torch hub caches the MSE checkpoint of compressai's zoo model ``name`` at a quality."""
    urls = model_urls[name]["mse"]
    if quality not in urls:
        raise IdemlabError(f"{name} has qualities {sorted(urls)}, not {quality}")
    return hub_checkpoint_path(urls[quality])


def load_zoo_codec(quality: int, name: str = "bmshj2018-hyperprior") -> ScaleHyperprior:
    """Return compressai's pre-trained zoo model ``name`` (MSE) of a quality, in eval mode."""
    path = zoo_checkpoint_path(quality, name)
    if not path.is_file() and offline():
        raise IdemlabError(f"the pre-trained {name} quality {quality} is not in {path.parent} "
                           f"and downloads are off; {FALLBACK}")
    try:
        return image_models[name](quality, metric="mse", pretrained=True, progress=False).eval().requires_grad_(False)
    except (URLError, OSError) as error:
        raise IdemlabError(f"the pre-trained {name} quality {quality} could not be "
                           f"downloaded ({error}); {FALLBACK}") from None
