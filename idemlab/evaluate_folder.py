"""``idemlab evaluate``: every image of a folder at every rate, one JSON line each — sharded
across processes with torch.distributed, resumable, summarised from the lines.

Per (image, quality): encode to a real ``.idem`` file, decode it with the MSE and the perceptual
decoders, code it with JPEG and WebP at the same file size, save the four PNGs (the inputs of the
set-level realism measures), and record rates, PSNRs, whether the perceptual PNG re-encodes to
the same file, the correction's report (with the sampler's own PSNR before it, and its steps) and
the time. The summary adds, per rate, each set's
realism, and over the rates the Bjøntegaard deltas of the MSE codec against each baseline.

Under ``torchrun`` each rank takes every ``world``-th pending pair; after each round rank 0
gathers the rows and appends them to ``DIR/images.jsonl``, so a killed run loses at most the
images in flight and a rerun skips what is there. Each image's seed comes from its name and quality, never from the rank, so the rows do
not depend on the number of processes (at the same threads per process).
"""
from __future__ import annotations

import json
import os
import time
import warnings
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from idemlab.errors import IdemlabError, InexactWarning

if TYPE_CHECKING:  # the decoder (and torch) load only when a plan runs
    from idemlab.decoder import PerceptualSettings

IMAGES_FILE, SUMMARY_FILE, FIGURE_FILE, PLAN_FILE = "images.jsonl", "summary.json", "summary.png", "plan.json"
BASELINES = ("jpeg", "webp")  # Pillow's, at the largest quality whose file is no larger than ours


@dataclass(frozen=True)
class Plan:
    """What ``idemlab evaluate`` runs: images × qualities of one codec, with one perceptual setting."""

    folder: Path
    out: Path
    qualities: tuple[int, ...]
    codec: str
    prior: str | None
    settings: PerceptualSettings
    seed: int
    device: str = "cpu"
    inception: bool = False  # FID and KID of each set too (idemlab.fid; the full-scale path)


def list_images(folder: Path) -> list[Path]:
    """Return the image files of a folder (by suffix, sorted), or refuse a missing or empty one."""
    from idemlab.data import IMAGE_SUFFIXES

    if not folder.is_dir():
        raise IdemlabError(f"{folder} is not a folder")
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not images:
        raise IdemlabError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return images


def image_seed(seed: int, name: str, quality: int) -> int:
    """Return the perceptual decoder's seed for one image at one quality (independent of ranks)."""
    return (seed * 1_000_003 + zlib.crc32(f"{name}:{quality}".encode())) % 2**63


def read_rows(out: Path) -> list[dict]:
    """Return the rows recorded so far (a line cut short by a kill is ignored)."""
    path = out / IMAGES_FILE
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def _keep_one_plan(plan: Plan) -> None:
    """Record the codec, prior, seed and decoder settings in DIR/plan.json, or refuse to resume a
    folder whose rows were made with others (its summary would mix two decoders)."""
    recorded = {"codec": plan.codec, "prior": plan.prior, "seed": plan.seed, **plan.settings.to_dict()}
    path = plan.out / PLAN_FILE
    if not path.exists():
        path.write_text(json.dumps(recorded, indent=1))
        return
    before = json.loads(path.read_text())
    changed = [key for key in recorded if before.get(key) != recorded[key]]
    if changed:
        raise IdemlabError(f"{plan.out} holds an evaluation made with another {', '.join(changed)}; "
                           f"resume it with the same options or choose another --out")


def _drop_partial_line(path: Path) -> None:
    """Cut off a last line that a kill left unfinished, so that the next row starts a line."""
    if path.exists():
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with path.open("r+b") as lines:
                lines.truncate(data.rfind(b"\n") + 1)


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


def reconstruction_path(out: Path, image: str, quality: int, name: str) -> Path:
    """Return where ``idemlab evaluate`` saves one reconstruction of an image (decoder or baseline)."""
    folder = out / "reconstructions"
    folder.mkdir(exist_ok=True)
    return folder / f"{Path(image).stem}.q{quality}.{name}.png"


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
        _keep_one_plan(plan)
        _drop_partial_line(plan.out / IMAGES_FILE)
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


def write_summary(plan: Plan) -> dict:
    """Rebuild DIR/summary.json and DIR/summary.png from the lines and the saved PNGs: per rate the
    means, and the realism divergences of each decoder's and baseline's set of 32×32 tiles from
    the originals'; over the rates, the Bjøntegaard deltas of the MSE codec against the baselines."""
    rows = read_rows(plan.out)
    good = [r for r in rows if "error" not in r]
    summary = {"images": len({r["image"] for r in rows}),
               "unreadable": sorted({f"{r['image']}: {r['error']}" for r in rows if "error" in r}), "rates": {}}
    window = _window(plan)
    for quality in sorted({r["quality"] for r in good}):
        at = [r for r in good if r["quality"] == quality]
        sets = whole_image_sets(plan, at)
        def mean(key: str) -> float | None:  # None where no image has the measure (JPEG cannot be that small)
            values = [r[key] for r in at if r.get(key) is not None]
            return float(np.mean(values)) if values else None

        summary["rates"][quality] = {
            "images": len(at), "bpp": mean("bpp"), "psnr_mse": mean("psnr_mse"),
            "psnr_perceptual": mean("psnr_perceptual"), "psnr_raw": mean("psnr_raw"),
            **{f"{key}_{codec}_same_bytes": mean(f"{key}_{codec}") for codec in BASELINES for key in ("psnr", "bpp")},
            **{f"{codec}_reached_%": 100 * float(np.mean([r.get(f"psnr_{codec}") is not None for r in at]))
               for codec in BASELINES},
            "byte_identical_%": 100 * mean("byte_identical"), "robust_%": 100 * mean("robust"),
            "with_mse_fallback_%": 100 * float(np.mean([r["mse_fallback_percent"] > 0 for r in at])),
            "seconds_per_image": mean("seconds"), **_set_realism(plan, sets, len(at)),
            "defects": _defects(sets, window)}
    summary["bjontegaard"] = bjontegaard(summary["rates"])
    summary["settings"] = plan.settings.to_dict()
    (plan.out / SUMMARY_FILE).write_text(json.dumps(summary, indent=1))
    _figure(summary, plan.out / FIGURE_FILE)
    return summary


def bjontegaard(rates: dict) -> dict:
    """Return the BD-PSNR (dB, ours better when positive) and BD-rate (%, ours better when
    negative) of the MSE codec against each baseline, over the rates where the baseline reached
    every image (so that both means are over the same images); None with fewer than two."""
    from idemlab.baselines import bd_psnr, bd_rate

    deltas = {}
    for codec in BASELINES:
        points = [r for r in rates.values() if r[f"{codec}_reached_%"] == 100]
        if len(points) < 2:
            deltas[codec] = None
            continue
        ours = np.array([[r["bpp"], r["psnr_mse"]] for r in points])
        theirs = np.array([[r[f"bpp_{codec}_same_bytes"], r[f"psnr_{codec}_same_bytes"]] for r in points])
        deltas[codec] = {"rates": len(points),
                         "bd_psnr_db": bd_psnr(theirs[:, 0], theirs[:, 1], ours[:, 0], ours[:, 1]),
                         "bd_rate_%": bd_rate(theirs[:, 0], theirs[:, 1], ours[:, 0], ours[:, 1])}
    return deltas


def _set_realism(plan: Plan, sets: dict[str, list[np.ndarray]], rows: int) -> dict:
    """Return the patch SWD and spectral distance of each decoder's and baseline's reconstructions,
    over the 32×32 tiles of all images (a baseline only where it reached every image), and with
    ``plan.inception`` FID and KID over the whole images; ``swd_data`` is the estimator's floor,
    the originals against themselves (other patches), which no reconstruction can be expected
    to go below; ``validated_realism`` holds, per decoder and baseline, the measures of
    ``idemlab.realism`` that passed their validation, with intervals, over the whole images.
    ``sets``: ``whole_image_sets`` of the rate's ``rows`` rows."""
    from idemlab.data import tiles
    from idemlab.evaluation import realism
    from idemlab.fid import inception_distances
    from idemlab.realism.report import measure_sets, validation_verdicts

    tiled = {name: np.concatenate([tiles(image) for image in images]) for name, images in sets.items()}
    if len(tiled["data"]) < 2:
        return {}
    scores = {}
    validated = [name for name, passes in validation_verdicts().items() if passes]
    if validated:  # the measures that passed their validation, each with its interval
        scores["validated_realism"] = {name: measure_sets(images, sets["data"], measures=validated)
                                       for name, images in sets.items() if name != "data"}
    for name, images in sets.items():
        scores.update({f"{key}_{name}": value for key, value in realism(tiled[name], tiled["data"]).items()})
        if plan.inception and name != "data" and rows >= 2:
            distances = inception_distances(images, sets["data"], plan.device)
            scores.update({f"{key}_{name}": value for key, value in distances.items()})
    return scores


def _window(plan: Plan) -> int:
    """Return the side in pixels of the plan's prior's attention windows (its training size)."""
    from idemlab.prior import load_prior

    return load_prior(plan.prior).sample_size


def _defects(sets: dict[str, list[np.ndarray]], period: int) -> dict:
    """Return, per set of ``whole_image_sets`` (the originals too), the mean seam index on the grid
    of the prior's attention windows (every ``period`` pixels) and on the grid shifted by half a
    window, and each reconstruction's mean colour cast against its original
    (``idemlab.realism.defects``); images no larger than a window are left out of the seam index."""
    from idemlab.realism.defects import colour_cast, seam_index

    keep = [i for i, image in enumerate(sets["data"]) if max(image.shape[:2]) > period]
    figures = {}
    for name, images in sets.items():
        figures[name] = {f"seam_index{suffix}": float(np.mean([seam_index(images[i], period, offset) for i in keep]))
                         for suffix, offset in (("", 0), ("_shifted", period // 2))} if keep else {}
        if name != "data":
            figures[name]["colour_cast"] = float(np.mean([colour_cast(a, b) for a, b in zip(images, sets["data"])]))
    return figures


def whole_image_sets(plan: Plan, rows: list[dict]) -> dict[str, list[np.ndarray]]:
    """Return the rows' original images ("data") and each decoder's and baseline's
    reconstructions of them, for every set that exists for each row."""
    from idemlab.images import read_image

    sets = {"data": [read_image(plan.folder / r["image"]) for r in rows]}
    for name in ("mse", "perceptual", *BASELINES):
        paths = [reconstruction_path(plan.out, r["image"], r["quality"], name) for r in rows]
        if all(p.exists() for p in paths):
            sets[name] = [read_image(p) for p in paths]
    return sets


def _figure(summary: dict, path: Path) -> None:
    """Draw rate–distortion and, where measured, rate–realism of the decoders and the baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = list(summary["rates"].values())
    if not rates:
        return
    fig, (rd, rp) = plt.subplots(1, 2, figsize=(10, 3.6))
    curves = [("bpp", "psnr_mse", "swd_mse", "MSE decoder"), ("bpp", "psnr_perceptual", "swd_perceptual", "perceptual"),
              *((f"bpp_{c}_same_bytes", f"psnr_{c}_same_bytes", f"swd_{c}", f"{c.upper()}, same bytes") for c in BASELINES)]
    for bpp, psnr_key, swd_key, label in curves:
        for axis, key in ((rd, psnr_key), (rp, swd_key)):
            points = [(r[bpp], r[key]) for r in rates if r.get(key) is not None]
            if points:
                axis.plot(*zip(*points), "o-", label=label)
    if rates[0].get("swd_data") is not None:
        rp.axhline(rates[0]["swd_data"], ls=":", color="gray", label="estimator floor (originals)")
    rd.set(xlabel="bits per pixel", ylabel="PSNR (dB)", title="distortion")
    rp.set(xlabel="bits per pixel", ylabel="patch SWD (×10³)", title="realism (lower is better)")
    rd.legend(fontsize=8), rp.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
