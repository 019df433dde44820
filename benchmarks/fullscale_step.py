"""Seconds per step of the paper's setting at 256×256: sampler, guided sampler and correction.

``python benchmarks/fullscale_step.py [--device auto|cpu|cuda]`` writes results/fullscale_step.json
with, on one device, the wall time of one unguided DDPM step (one forward pass of the prior), of
one diffusion-posterior-sampling step (forward pass plus the image constraint's gradient through
the prior and the codec) and of one step of the exact-idempotence correction (codec forward and
backward), each for one 256×256 image. The networks have the architectures of
``google/ddpm-ema-celebahq-256`` (113.7 M parameters) and compressai's ``bmshj2018-hyperprior``
quality 3; their weights are the cached pre-trained ones where present and random otherwise,
which changes what the image looks like, not how long a step takes. Multiplying by the paper's
1000 steps gives the time per image that the book's estimates use. A run keeps the rows that
other devices wrote before it (each row names its machine), so one file holds the CPU and the GPU.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from compressai.models import ScaleHyperprior
from diffusers import DDPMScheduler, UNet2DModel

from common import RESULTS, machine, write
from idemlab.codec.pipeline import latents, to_padded_tensor
from idemlab.codec.zoo import zoo_checkpoint_path
from idemlab.data import held_out_photos
from idemlab.decoder import CorrectionSettings, idempotence_guidance, make_idempotent
from idemlab.devices import resolve_device
from idemlab.prior import Prior
from idemlab.prior.sampling import reverse_diffusion

CELEBAHQ_256 = dict(  # google/ddpm-ema-celebahq-256's unet/config.json
    sample_size=256, in_channels=3, out_channels=3, layers_per_block=2,
    block_out_channels=(128, 128, 256, 256, 512, 512),
    down_block_types=("DownBlock2D",) * 4 + ("AttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "AttnUpBlock2D") + ("UpBlock2D",) * 4,
    act_fn="silu", attention_head_dim=None, center_input_sample=False, downsample_padding=0,
    flip_sin_to_cos=False, freq_shift=1, mid_block_scale_factor=1, norm_eps=1e-6, norm_num_groups=32,
    time_embedding_type="positional")
SIDE = 256


def codec(quality: int = 3) -> tuple[ScaleHyperprior, bool]:
    """Return the zoo codec if its checkpoint is cached, else its architecture with random weights."""
    if zoo_checkpoint_path(quality).is_file():
        from idemlab.codec.zoo import load_zoo_codec

        return load_zoo_codec(quality), True
    model = ScaleHyperprior(128, 192)
    model.update(force=True)
    return model.eval().requires_grad_(False), False


def seconds(run, repeats: int, device: torch.device) -> float:
    """Return the best wall time of ``repeats`` calls (after one warm-up call)."""
    times = []
    for _ in range(repeats + 1):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        run()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--correction-steps", type=int, default=10)
    args = parser.parse_args()
    device = resolve_device(args.device)
    torch.manual_seed(0)
    prior = Prior(UNet2DModel(**CELEBAHQ_256).eval().requires_grad_(False).to(device),
                  DDPMScheduler(beta_schedule="linear", beta_start=1e-4, beta_end=0.02, num_train_timesteps=1000))
    model, pretrained = codec()
    model = model.to(device)
    photo = np.ascontiguousarray(held_out_photos(1.0)[0][:SIDE, :SIDE])
    x = to_padded_tensor(photo, model.downsampling_factor).to(device)
    with torch.no_grad():
        y, z = latents(model, x)
    y_hat, y_symbols, z_symbols = torch.round(y), torch.round(y).int(), torch.round(z).int()
    guidance = idempotence_guidance("image", model, y_hat, SIDE, SIDE)
    x_T = torch.randn(1, 3, SIDE, SIDE, generator=torch.Generator().manual_seed(0)).to(device)
    noisy = (x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1)).to(device)).clamp(0, 1)

    taken = []

    def correct() -> None:  # gradient steps until exact, at most --correction-steps
        result = make_idempotent(model, noisy, y_symbols, z_symbols, settings=CorrectionSettings(
            max_steps=args.correction_steps, fallbacks=0, polish_moves=0))
        taken.append(max(1, int(result.steps[0])))

    row = {"device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
           "threads": torch.get_num_threads(), "prior_parameters_M": round(sum(p.numel() for p in prior.unet.parameters()) / 1e6, 1),
           "machine": machine(), "codec_pretrained": pretrained,
           "unguided_step_s": seconds(lambda: reverse_diffusion(prior, x_T, 1, "ddpm"), args.repeats, device),
           "dps_step_s": seconds(lambda: reverse_diffusion(prior, x_T, 1, "ddpm", guidance, 1.0), args.repeats, device),
           "correction_step_s": seconds(correct, args.repeats, device)}
    row["correction_step_s"] /= taken[-1]
    row["dps_1000_steps_min"] = round(1000 * row["dps_step_s"] / 60, 1)
    for key in ("unguided_step_s", "dps_step_s", "correction_step_s"):
        row[key] = round(row[key], 3)
    print(row)
    previous = RESULTS / "fullscale_step.json"
    rows = json.loads(previous.read_text())["figures"]["rows"] if previous.is_file() else []
    rows = [other for other in rows if other["device"] != row["device"]] + [row]
    print(write("fullscale_step", {"image": f"{SIDE}×{SIDE}, batch 1", "rows": rows}))


if __name__ == "__main__":
    main()
