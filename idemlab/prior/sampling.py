"""Reverse diffusion with diffusers' schedulers: DDPM (many stochastic steps) or DDIM (few).

One loop serves the unconditional sampler of the prior chapter and the perceptual decoder,
which adds a gradient step on a constraint after each scheduler step (``guidance``).
Book: Part II, chapters "Diffusion models as unconditional priors" and "The idempotent
perceptual decoder".
"""
from __future__ import annotations

from typing import Callable

import torch
from diffusers import DDIMScheduler, DDPMScheduler
from tqdm import tqdm

from idemlab.prior.model import Prior

# guidance(x̂₀ in [-1, 1], step index) → one loss per image; its gradient w.r.t. x_t is subtracted
Guidance = Callable[[torch.Tensor, int], torch.Tensor]


def inference_scheduler(prior: Prior, kind: str, steps: int) -> DDPMScheduler | DDIMScheduler:
    """Return a DDPM or deterministic-DDIM scheduler over ``steps`` of the prior's noise schedule."""
    if kind not in ("ddpm", "ddim"):
        raise ValueError(f"sampler must be 'ddpm' or 'ddim', not {kind!r}")
    config = dict(prior.scheduler.config)
    if "num_train_timesteps" not in config:  # the oldest hub configs call it "timesteps"
        config["num_train_timesteps"] = config.get("timesteps", 1000)
    scheduler = (DDPMScheduler if kind == "ddpm" else DDIMScheduler).from_config(config, timestep_spacing="trailing")
    scheduler.set_timesteps(steps)
    return scheduler


def predicted_clean(scheduler: DDPMScheduler | DDIMScheduler, x_t: torch.Tensor, eps: torch.Tensor, t: int) -> torch.Tensor:
    """Return Tweedie's estimate x̂₀ = (x_t − √(1−ᾱ_t)·ε̂) / √ᾱ_t of the clean image."""
    alpha_bar = scheduler.alphas_cumprod[t].to(x_t)
    return (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()


def reverse_diffusion(prior: Prior, x_T: torch.Tensor, steps: int, kind: str = "ddim",
                      guidance: Guidance | None = None, zeta: Callable[[int], float] | float = 1.0,
                      generator: torch.Generator | None = None, progress: bool = False) -> torch.Tensor:
    """Return x₀ in [-1, 1] reached from noise x_T; with guidance, each step also moves x_t by
    −ζ_i·∇_{x_t} guidance(x̂₀(x_t), i) (diffusion posterior sampling, Chung et al. 2023), or not at
    all for an image whose gradient overflows."""
    scheduler = inference_scheduler(prior, kind, steps)
    x = x_T
    for i, t in enumerate(tqdm(scheduler.timesteps, desc=kind, disable=not progress, leave=False)):
        with torch.enable_grad() if guidance else torch.no_grad():
            x = x.detach().requires_grad_(guidance is not None)
            eps = prior.unet(x, t).sample
            x_prev = scheduler.step(eps, t, x, generator=generator).prev_sample
            if guidance is not None:
                loss = guidance(predicted_clean(scheduler, x, eps, t), i).sum()
                (gradient,) = torch.autograd.grad(loss, x)
                # x̂₀ of the first steps can lie far outside [-1, 1], where a codec may overflow: an
                # image whose gradient is not finite takes this step unguided instead of turning NaN
                finite = torch.isfinite(gradient).flatten(1).all(1).reshape(-1, *[1] * (gradient.dim() - 1))
                gradient = torch.where(finite, gradient, 0.0)
                step_size = zeta(i) if callable(zeta) else zeta
                x_prev = x_prev - step_size * gradient
        x = x_prev.detach()
    return x.clamp(-1, 1)


def sample(prior: Prior, n: int, steps: int = 50, kind: str = "ddim", seed: int = 0,
           progress: bool = False, device: str | torch.device = "cpu") -> torch.Tensor:
    """Return n unconditional samples of the prior as a CPU float tensor (n, 3, H, W) in [0, 1];
    the network runs on ``device`` (moved there), the noise is drawn on the CPU from the seed."""
    generator = torch.Generator().manual_seed(seed)
    size = prior.sample_size
    prior.unet.to(device)
    x_T = torch.randn((n, 3, size, size), generator=generator).to(device)
    return ((reverse_diffusion(prior, x_T, steps, kind, generator=generator, progress=progress) + 1) / 2).cpu()
