"""Reverse diffusion with diffusers' schedulers: DDPM (many stochastic steps), DDIM (few,
deterministic) or DPM-Solver++ (few, stochastic: its second-order SDE solver, Lu et al. 2022).

One loop serves the unconditional sampler of the prior chapter and the perceptual decoder,
which adds a gradient step on a constraint after each scheduler step (``guidance``).
Book: Part II, chapters "Diffusion models as unconditional priors" and "The idempotent
perceptual decoder".
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from tqdm import tqdm

from idemlab.prior.model import Prior
from idemlab.prior.windows import shift_windows

# guidance(x̂₀ in [-1, 1], step index) → one loss per image; its gradient w.r.t. x_t is subtracted
Guidance = Callable[[torch.Tensor, int], torch.Tensor]
SPACINGS = ("uniform", "quadratic")
SAMPLERS = ("ddpm", "ddim", "dpm++")
Scheduler = DDPMScheduler | DDIMScheduler | DPMSolverMultistepScheduler


def quadratic_timesteps(steps: int, num_train_timesteps: int, start: float = 1.0) -> list[int]:
    """Return ``steps`` distinct timesteps from s·T − 1 down to 0 at t ≈ s·T·(i/steps)² − 1 (s =
    ``start``): far apart at high noise, dense near t = 0 where the sample's detail forms (the
    quadratic spacing of the DDIM paper, Song et al. 2021), at least one apart."""
    t = np.round(start * num_train_timesteps * (np.arange(1, steps + 1) / steps) ** 2).astype(int)
    t = np.maximum(t - 1, 0)
    for i in range(1, steps):
        t[i] = max(t[i], t[i - 1] + 1)
    return t[::-1].tolist()


def inference_scheduler(prior: Prior, kind: str, steps: int, spacing: str = "uniform",
                        start: float = 1.0) -> Scheduler:
    """Return a DDPM, deterministic-DDIM or stochastic DPM-Solver++ scheduler over ``steps`` of the
    prior's noise schedule, spaced evenly (diffusers' "trailing") or quadratically (not DDIM:
    diffusers' DDIM steps are even); with quadratic spacing, ``start`` < 1 begins at that fraction
    of the diffusion time."""
    if kind not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, not {kind!r}")
    if spacing not in SPACINGS or (spacing == "quadratic" and kind == "ddim"):
        raise ValueError(f"spacing must be one of {SPACINGS} ('quadratic' not with DDIM), not {spacing!r} with {kind}")
    if not 0 < start <= 1 or (start < 1 and spacing != "quadratic"):
        raise ValueError(f"start must lie in (0, 1], and below 1 needs quadratic spacing; not {start!r} with {spacing}")
    config = dict(prior.scheduler.config)
    if "num_train_timesteps" not in config:  # the oldest hub configs call it "timesteps"
        config["num_train_timesteps"] = config.get("timesteps", 1000)
    if kind == "dpm++":
        scheduler = DPMSolverMultistepScheduler.from_config(config, timestep_spacing="trailing", solver_order=2,
                                                            algorithm_type="sde-dpmsolver++", final_sigmas_type="zero")
    else:
        scheduler = (DDPMScheduler if kind == "ddpm" else DDIMScheduler).from_config(config, timestep_spacing="trailing")
    if spacing == "quadratic":
        scheduler.set_timesteps(timesteps=quadratic_timesteps(steps, config["num_train_timesteps"], start))
    else:
        scheduler.set_timesteps(steps)
    return scheduler


def pull_weights(scheduler: Scheduler, spacing: str) -> list[float]:
    """Return how strongly each step pulls, relative to ζ: 1 for even steps; with uneven steps,
    each step's span of diffusion time over the mean span, so that the pull per unit of time, and
    the total pull, are those of even steps."""
    t = scheduler.timesteps.tolist()
    if spacing == "uniform":
        return [1.0] * len(t)
    spans = [a - b for a, b in zip(t, t[1:])] + [t[-1] + 1]
    return [span * len(t) / sum(spans) for span in spans]


def predicted_clean(scheduler: Scheduler, x_t: torch.Tensor, eps: torch.Tensor, t: int) -> torch.Tensor:
    """Return Tweedie's estimate x̂₀ = (x_t − √(1−ᾱ_t)·ε̂) / √ᾱ_t of the clean image."""
    alpha_bar = scheduler.alphas_cumprod[t].to(x_t)
    return (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()


def reverse_diffusion(prior: Prior, x_T: torch.Tensor, steps: int, kind: str = "ddim",
                      guidance: Guidance | None = None, zeta: float = 1.0,
                      generator: torch.Generator | None = None, progress: bool = False,
                      spacing: str = "uniform", start: float = 1.0, init: torch.Tensor | None = None,
                      through_prior: bool = True, precision: str = "float32") -> torch.Tensor:
    """Return x₀ in [-1, 1] reached from noise x_T; with guidance, each step also moves x_t by
    −ζ_i·w_i·∇_{x_t} guidance(x̂₀(x_t), i) (diffusion posterior sampling, Chung et al. 2023; w_i from
    ``pull_weights``), or not at all for an image whose gradient overflows. A prior with windowed
    attention shifts its windows at every other step (``windows.shift_windows``). With ``start`` < 1
    and a clean image ``init`` in [−1, 1], the sampler begins at ``init`` noised with x_T to the
    first timestep (s·T − 1) instead of at pure noise (Chung et al. 2022, "come closer, diffuse
    faster"): the picture's layout and colours come from ``init``, and the steps refine it. With
    ``through_prior`` False the guidance's gradient skips the network: x̂₀ = (x_t − √(1−ᾱ)·ε)/√ᾱ
    is differentiated with ε held fixed, so the gradient is ∇_{x̂₀}/√ᾱ and no backward pass runs
    through the prior (manifold-preserving guidance's shortcut, He et al. 2024). With ``precision``
    "bfloat16" the network runs under ``torch.autocast`` in bfloat16 and its ε comes back in float32;
    the steps and the guidance stay in float32."""
    scheduler = inference_scheduler(prior, kind, steps, spacing, start)
    weights = pull_weights(scheduler, spacing)
    x = x_T if init is None else scheduler.add_noise(init, x_T, scheduler.timesteps[:1])
    for i, t in enumerate(tqdm(scheduler.timesteps, desc=kind, disable=not progress, leave=False)):
        with torch.enable_grad() if guidance else torch.no_grad():
            x = x.detach().requires_grad_(guidance is not None)
            shift_windows(prior.unet, i)
            with torch.enable_grad() if guidance and through_prior else torch.no_grad():
                # channels-last inside the network only: on this CPU a 512×512 pass takes a fifth less time
                with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16"):
                    eps = prior.unet(x.contiguous(memory_format=torch.channels_last), t).sample
                eps = eps.float().contiguous()
            x_prev = scheduler.step(eps, t, x, generator=generator).prev_sample
            if guidance is not None:
                loss = guidance(predicted_clean(scheduler, x, eps, t), i).sum()
                (gradient,) = torch.autograd.grad(loss, x)
                # x̂₀ of the first steps can lie far outside [-1, 1], where a codec may overflow: an
                # image whose gradient is not finite takes this step unguided instead of turning NaN
                finite = torch.isfinite(gradient).flatten(1).all(1).reshape(-1, *[1] * (gradient.dim() - 1))
                gradient = torch.where(finite, gradient, 0.0)
                x_prev = x_prev - zeta * weights[i] * gradient
        x = x_prev.detach()
    shift_windows(prior.unet, 0)
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
