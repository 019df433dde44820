"""The unconditional diffusion prior: a small diffusers UNet2DModel, its training, loading and sampling.

Book: Part II, chapter "Diffusion models as unconditional priors".
"""
from idemlab.prior.load import load_prior
from idemlab.prior.model import Prior, small_unet, training_scheduler
from idemlab.prior.sampling import predicted_clean, reverse_diffusion, sample

__all__ = ["Prior", "load_prior", "predicted_clean", "reverse_diffusion", "sample", "small_unet", "training_scheduler"]
