"""Run a plan: each pending (image, quality) once, sharded over torchrun's processes, appended
to the output folder's lines as each round ends."""
from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import replace
from pathlib import Path

from idemlab.errors import IdemlabError, InexactWarning
from idemlab.evaluate_folder.plan import (BASELINES, IMAGES_FILE, Plan, drop_partial_line, image_seed, keep_one_plan,
                                          list_images, read_rows, reconstruction_path)
from idemlab.evaluate_folder.summary import write_summary


def evaluate_image(path: Path, quality: int, plan: Plan, prior) -> dict:
    """Return the row of one image at one quality; an unreadable image gives a row with ``error``."""
    from idemlab.baselines import at_most
    from idemlab.codec.pipeline import decode, encode
    from idemlab.decoder import perceptual_decode
    from idemlab.images import png_bytes, read_image, to_uint8
    from idemlab.metrics import psnr

    row = {"image": path.name, "quality": quality, "codec": plan.codec}
    try:
        image = read_image(path)
    except IdemlabError as error:
        return {**row, "error": str(error)}
    start = time.perf_counter()
    data = encode(image, quality, codec=plan.codec)
    mse_image = decode(data)
    seed = image_seed(plan.seed, path.name, quality)
    with warnings.catch_warnings():  # the row records what the warning would say
        warnings.simplefilter("ignore", InexactWarning)
        result = perceptual_decode([data], seed, plan.settings, prior, device=plan.device)
    perceptual = result.images[0]
    pixels = image.shape[0] * image.shape[1]
    row.update(height=image.shape[0], width=image.shape[1], bytes=len(data), bpp=8 * len(data) / pixels,
               seed=seed, psnr_mse=psnr(mse_image, image), psnr_perceptual=psnr(perceptual, image),
               byte_identical=bool(result.correction.exact[0]),  # judged by the file-writing encoder
               robust=bool(result.correction.robust[0]),
               mse_fallback_percent=round(100 * float(result.correction.replaced[0]), 2),
               psnr_raw=psnr(to_uint8(result.raw)[0], image), correction_steps=int(result.correction.steps[0]),
               seconds=round(time.perf_counter() - start, 2))
    decoded = {"mse": mse_image, "perceptual": perceptual}
    for codec in BASELINES:
        matched = at_most(image, len(data), codec)
        row[f"psnr_{codec}"] = None if matched is None else psnr(matched[1], image)
        row[f"bpp_{codec}"] = None if matched is None else 8 * matched[0] / pixels
        if matched is not None:
            decoded[codec] = matched[1]
    for name, reconstruction in decoded.items():
        reconstruction_path(plan.out, path.name, quality, name).write_bytes(png_bytes(reconstruction))
    return row


class _Ranks:
    """This process's place among torchrun's processes (one process without torchrun): gloo
    between CPU processes, nccl between GPUs, one GPU per rank."""

    def __init__(self, device: str) -> None:
        import torch
        import torch.distributed as dist

        from idemlab.devices import distributed_backend, resolve_device

        self.dist = dist
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.device = resolve_device(device)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group(distributed_backend(self.device))
        self.rank = dist.get_rank() if self.world > 1 else 0

    def gather(self, row: dict | None) -> list[dict]:
        """Return every rank's row of this round on rank 0 (an empty list elsewhere)."""
        if self.world == 1:
            return [row] if row else []
        rows = [None] * self.world if self.rank == 0 else None
        self.dist.gather_object(row, rows, dst=0)
        return [r for r in rows or [] if r]

    def barrier(self) -> None:
        if self.world > 1:
            self.dist.barrier()

    def close(self) -> None:
        if self.world > 1:
            self.dist.destroy_process_group()


def run(plan: Plan, progress: bool = True) -> dict:
    """Evaluate every pending (image, quality) of the plan, then rebuild and return the summary."""
    from tqdm.auto import tqdm

    from idemlab.prior import load_prior

    images = list_images(plan.folder)
    plan.out.mkdir(parents=True, exist_ok=True)
    ranks = _Ranks(plan.device)
    if ranks.rank == 0:
        keep_one_plan(plan)
        drop_partial_line(plan.out / IMAGES_FILE)
    done = {(r["image"], r["quality"]) for r in read_rows(plan.out)}
    ranks.barrier()  # every rank has read the lines before rank 0 appends to them
    pending = [(p, q) for p in images for q in plan.qualities if (p.name, q) not in done]
    prior = load_prior(plan.prior)
    plan = replace(plan, device=str(ranks.device))  # "auto" and "cuda" made this rank's own device
    rounds = -(-len(pending) // ranks.world)
    if ranks.rank == 0:
        print(f"{len(images)} images × {len(plan.qualities)} rates × {plan.settings.steps} {plan.settings.sampler} steps: "
              f"{len(pending)} to evaluate ({len(done)} already in {plan.out / IMAGES_FILE}) on {ranks.world} "
              f"process{'es' if ranks.world > 1 else ''} ({ranks.device.type})", flush=True)
    bar, estimated = tqdm(total=rounds, disable=not progress or ranks.rank != 0, unit="round"), False
    for first in range(0, len(pending), ranks.world):
        mine = first + ranks.rank
        row = evaluate_image(*pending[mine], plan, prior) if mine < len(pending) else None
        rows = ranks.gather(row)
        if ranks.rank == 0:
            with (plan.out / IMAGES_FILE).open("a") as lines:
                lines.writelines(json.dumps(r) + "\n" for r in rows)
            seconds = [r["seconds"] for r in rows if "seconds" in r]
            if seconds and not estimated:
                estimated = True
                remaining = rounds - first // ranks.world - 1
                bar.write(f"estimated time: {max(seconds) * remaining / 60:.1f} more minutes (from the first images)")
        bar.update()
    bar.close()
    ranks.barrier()
    summary = write_summary(plan) if ranks.rank == 0 else {}
    ranks.close()
    return summary
