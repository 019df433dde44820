"""Where the perceptual decoder runs: the CPU, or a GPU when one is asked for (or ``auto``).

Only the diffusion sampler and the correction's gradient steps move to the device. Entropy
coding, and the final verdict on every saved image (re-encode to the same file, with the safety
margin), always run on the CPU in float32, as the encoder that writes files does.
Under ``torchrun`` each rank takes the GPU of its ``LOCAL_RANK``.
"""
from __future__ import annotations

import os
import platform

import torch

from idemlab.errors import IdemlabError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """Return the device that ``name`` ("auto", "cpu", "cuda" or "cuda:N") stands for: "auto" is
    a GPU when this machine has one, else the CPU; "cuda" under torchrun is the rank's own GPU."""
    if isinstance(name, torch.device):
        return name
    name = name or "auto"
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    kind = name.split(":")[0]
    if kind not in ("cpu", "cuda"):
        raise IdemlabError(f"a device is one of {', '.join(DEVICES)} or cuda:N, not {name!r}")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise IdemlabError(f"device {name!r} asked for, but torch sees no CUDA GPU here; use --device cpu")
        if name == "cuda":
            name = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
        index = name.split(":")[1]
        if not index.isdigit() or int(index) >= torch.cuda.device_count():
            raise IdemlabError(f"device {name!r} asked for, but this machine has {torch.cuda.device_count()} GPU(s)")
    return torch.device(name)


def distributed_backend(device: torch.device) -> str:
    """Return torch.distributed's backend for ranks on this kind of device: nccl on GPUs, gloo on CPUs."""
    return "nccl" if device.type == "cuda" else "gloo"


def machine_name(device: torch.device) -> str:
    """Return the name a training log records for where it ran: the GPU's, or the CPU's."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.machine()} CPU, {platform.processor() or 'unknown'}"


def trained_on_gpu(log: dict) -> bool:
    """Return whether a training log (``machine``, as ``machine_name`` writes it) names a GPU."""
    return "CPU" not in log.get("machine", "CPU")


def machine_note(log: dict) -> str:
    """Return where a training run ran, from its log: CPU threads, or the GPU's name."""
    if trained_on_gpu(log):
        return f"one {log['machine']}"
    return f"{log.get('threads', '?')} CPU threads ({log.get('machine', 'unknown')})"
