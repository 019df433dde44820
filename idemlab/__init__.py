"""idemlab: the companion package of the book "Idempotence and Perceptual Image Compression".

- :mod:`idemlab.toy` — Part I's exact toy worlds (sources, encoders, decoders, samplers, RDP).
- :mod:`idemlab.data` — offline natural-image patches from package-shipped photographs.
- :mod:`idemlab.codec` — the small compressai MSE codec and its training command.
"""
__version__ = "0.1.0"
