"""Exact toy worlds for Part I: sources, encoders, decoders, constrained samplers, RDP formulas.

Everything here is vectorised numpy/scipy with explicit random generators, so every
theorem of the book can be checked numerically in seconds.
"""
from idemlab.toy.cells import Annulus, Interval
from idemlab.toy.decoders import midpoint_decoder, mmse_decoder, posterior_sampling_decoder
from idemlab.toy.diffusion import (
    VPSchedule,
    dps_sample,
    latent_constraint,
    reconstruction_guidance,
    ste_constraint,
)
from idemlab.toy.encoders import RingQuantizer, TransformQuantizer, UniformQuantizer
from idemlab.toy.idempotence import (
    Generations,
    idempotence_rate,
    recompression_generations,
    same_symbols,
)
from idemlab.toy.rdp import (
    GaussianTestChannel,
    brute_force_rdp_rate,
    mse_distortion,
    perfect_realism_distortion,
    rdp_distortion,
    rdp_rate,
)
from idemlab.toy.samplers import rejection_sample
from idemlab.toy.sources import GaussianMixture1D, OffsetGaussian2D, gaussian
from idemlab.toy.stats import ratio_confidence_interval, w1_to_cdf, w2_squared

__all__ = [
    "Annulus", "Interval", "midpoint_decoder", "mmse_decoder", "posterior_sampling_decoder",
    "VPSchedule", "dps_sample", "latent_constraint", "reconstruction_guidance", "ste_constraint",
    "RingQuantizer", "TransformQuantizer", "UniformQuantizer", "Generations", "idempotence_rate",
    "recompression_generations", "same_symbols", "GaussianTestChannel", "brute_force_rdp_rate",
    "mse_distortion", "perfect_realism_distortion", "rdp_distortion", "rdp_rate",
    "rejection_sample", "GaussianMixture1D", "OffsetGaussian2D", "gaussian",
    "ratio_confidence_interval", "w1_to_cdf", "w2_squared",
]
