"""idemlab: the companion package of the book "Idempotence and Perceptual Image Compression".

- :mod:`idemlab.toy` — Part I's exact toy worlds (sources, encoders, decoders, samplers, RDP).
- :mod:`idemlab.data` — offline natural-image patches from package-shipped photographs.
- :mod:`idemlab.codec` — the small compressai MSE codec and its training command.
"""
__version__ = "0.1.0"

import warnings as _warnings

with _warnings.catch_warnings():
    # compressai (through torch_geometric) and diffusers import tqdm.auto, which, in a notebook
    # without ipywidgets, warns — printing the reader's site-packages path — about progress bars
    # this package never shows there. Imported once here, quietly, it has nothing left to say.
    _warnings.filterwarnings("ignore", message="IProgress not found")
    import tqdm.auto  # noqa: F401
