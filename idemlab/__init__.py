"""idemlab: the companion package of the book "Idempotence and Perceptual Image Compression".

Part I's exact toy worlds live in :mod:`idemlab.toy`.
"""
__version__ = "0.1.0"
