"""Train the small MSE codec on offline patches: ``python -m idemlab.codec.train --quality 3``.

Loss: compressai's ``RateDistortionLoss`` (bpp + λ·255²·MSE) with the usual auxiliary loss
for the entropy bottleneck's quantiles, then ``update()`` so the model can entropy-code.
Writes ``<out>/model.pt`` (config and state dict, float weights in fp16) and ``<out>/training.json`` (the log).
Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from compressai.losses import RateDistortionLoss
from tqdm import tqdm

from idemlab.codec.model import QUALITY_LAMBDAS, SmallScaleHyperprior, likelihood_bits, load_codec
from idemlab.checkpoint import save_atomically, weights_section
from idemlab.data import PatchSampler, held_out_patches, training_data_note, training_images
from idemlab.devices import machine_name, machine_note, resolve_device, trained_on_gpu
from idemlab.errors import IdemlabError, report
from idemlab.images import to_tensor
from idemlab.wallpapers import TRAIN as TRAIN_WALLPAPERS

COMMAND = ["python", "-m", "idemlab.codec.train"]


def evaluate(model: SmallScaleHyperprior, patches: torch.Tensor) -> dict:
    """Return the mean estimated bpp, real bpp of the entropy-coded strings, and PSNR."""
    model.eval()
    n_pixels = patches.shape[-1] * patches.shape[-2]
    estimated = likelihood_bits(model, patches) / n_pixels
    with torch.no_grad():
        coded = model.compress(patches)
        real = torch.tensor([8.0 * sum(len(s[i]) for s in coded["strings"]) for i in range(len(patches))]) / n_pixels
        x_hat = model.decompress(coded["strings"], coded["shape"])["x_hat"].clamp(0, 1)
        mse = ((x_hat - patches) ** 2).mean((1, 2, 3))
    return {"estimated_bpp": estimated.mean().item(), "strings_bpp": real.mean().item(),
            "psnr_db": (10 * torch.log10(1 / mse)).mean().item()}


def save_codec(model: SmallScaleHyperprior, path: Path) -> None:
    """Save a codec ready to entropy-code as shipped: its learned weights in fp16 (half the bytes;
    they load back into float32), every buffer exact — the entropy coder's integer tables, and the
    likelihood bounds (1e-9, which fp16 would round to 0 and so make a resumed training's rate infinite)."""
    learned = {name for name, _ in model.named_parameters()}
    state = {name: value.half() if name in learned else value for name, value in model.state_dict().items()}
    torch.save({"config": {"N": model.N, "M": model.M}, "state_dict": state}, path)


def current(log: dict, key: str):
    """Return the setting ``key`` of a training log as its last change left it."""
    return next((change[key] for change in reversed(log.get("changes", [])) if key in change), log.get(key))


def train(quality: int, minutes: float, out: Path, batch_size: int = 64, lr: float = 5e-4, seed: int = 0,
          data: Path | None = None, size: int = 32, max_steps: int | None = None, init: Path | None = None,
          resume: bool = False, wallpapers: Path | None = None, checkpoint_minutes: float = 5.0,
          device: str = "cpu") -> dict:
    """Train one rate until ``minutes`` of wall time (summed over resumed runs) or ``max_steps`` on
    size×size crops of the package photos (plus the wallpaper photos, or the images in the folder
    ``data``); start from the codec at ``init`` (warm start) or continue from out/checkpoint.pt
    (``resume``); return the training log written to out. ``device`` is where the network trains
    (crops are cut on the CPU); a checkpoint resumes on either, and the saved codec is the CPU's,
    whose integer tables code every file."""
    out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out / "checkpoint.pt"
    torch.manual_seed(seed)
    lmbda = QUALITY_LAMBDAS[quality]
    device = resolve_device(device)
    model, optimizer, aux_optimizer = _model_and_optimisers(init, lr, device)
    criterion = RateDistortionLoss(lmbda=lmbda)
    sampler = PatchSampler(size=size, seed=seed, images=training_images(data, wallpapers))
    test = to_tensor(held_out_patches())
    fresh_log = {"quality": quality, "lambda": lmbda, "steps": 0, "batch_size": batch_size, "size": size, "lr": lr,
           "seed": seed, "data": None if data is None else str(data),
           "wallpapers": None if wallpapers is None else list(TRAIN_WALLPAPERS),
           "init": None if init is None else str(init), "wall_seconds": 0.0, "command": COMMAND + sys.argv[1:], "history": []}
    log = fresh_log
    if resume and checkpoint_path.exists():
        log = _resumed(checkpoint_path, model, optimizer, aux_optimizer, sampler, fresh_log, device)

    def save_checkpoint() -> None:
        save_atomically({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                         "aux_optimizer": aux_optimizer.state_dict(), "data_rng": sampler.rng.bit_generator.state,
                         "torch_rng": torch.get_rng_state(), "log": log}, checkpoint_path)

    start, last_checkpoint = time.time() - log["wall_seconds"], time.time()
    progress = tqdm(desc=f"codec q{quality}", unit="step", initial=log["steps"])
    while time.time() - start < 60 * minutes and (max_steps is None or log["steps"] < max_steps):
        model.train()
        for group in optimizer.param_groups:  # linear warm-up, which also keeps a warm start's first steps small
            group["lr"] = lr * min(1.0, (log["steps"] + 1) / 500)
        losses, aux = _step(model, criterion, optimizer, aux_optimizer, to_tensor(sampler.sample(batch_size)).to(device))
        log["steps"] += 1
        log["wall_seconds"] = round(time.time() - start, 1)
        if log["steps"] % 200 == 0 or (max_steps is not None and log["steps"] == max_steps):
            log["history"].append({"step": log["steps"], "seconds": log["wall_seconds"],
                                   "loss": losses["loss"].item(), "bpp": losses["bpp_loss"].item(),
                                   "mse": losses["mse_loss"].item(), "aux": aux.item()})
            progress.set_postfix(loss=f"{losses['loss'].item():.3f}", bpp=f"{losses['bpp_loss'].item():.3f}")
        if time.time() - last_checkpoint > 60 * checkpoint_minutes:
            save_checkpoint()
            last_checkpoint = time.time()
        progress.update()
    progress.close()
    save_checkpoint()
    model.cpu().update(force=True)  # the entropy coder's tables, built where files are coded
    save_codec(model, out / "model.pt")
    log |= {"threads": torch.get_num_threads(),  # the test measures the model as saved, fp16 weights and all
            "machine": machine_name(device),
            "test": evaluate(load_codec(out / "model.pt"), test)}
    (out / "training.json").write_text(json.dumps(log, indent=1))
    return log


def _model_and_optimisers(init: Path | None, lr: float, device: torch.device):
    """Return a new codec (with the weights at ``init``, if given) on the device, Adam on its
    transforms at ``lr``, and Adam on its entropy bottleneck's quantiles (the auxiliary loss)."""
    model = SmallScaleHyperprior()
    if init is not None:
        model.load_state_dict(torch.load(init, map_location="cpu", weights_only=True)["state_dict"])
    model.to(device)
    main_params = [p for n, p in model.named_parameters() if not n.endswith(".quantiles")]
    aux_params = [p for n, p in model.named_parameters() if n.endswith(".quantiles")]
    return model, torch.optim.Adam(main_params, lr=lr), torch.optim.Adam(aux_params, lr=1e-3)


def _resumed(checkpoint_path: Path, model: SmallScaleHyperprior, optimizer: torch.optim.Optimizer,
             aux_optimizer: torch.optim.Optimizer, sampler: PatchSampler, fresh_log: dict, device: torch.device) -> dict:
    """Load a checkpoint's model, optimisers and random states in place; return its log, with a
    note of the options this run changes (a resumed run may lower lr or add photos)."""
    state = torch.load(checkpoint_path, weights_only=False, map_location=device)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    aux_optimizer.load_state_dict(state["aux_optimizer"])
    sampler.rng.bit_generator.state = state["data_rng"]
    torch.set_rng_state(state["torch_rng"])
    log = state["log"] | {"command": COMMAND + sys.argv[1:]}
    changed = {key: fresh_log[key] for key in ("lr", "wallpapers") if fresh_log[key] != current(log, key)}
    if changed:
        log.setdefault("changes", []).append({"step": log["steps"]} | changed)
    return log


def _step(model: SmallScaleHyperprior, criterion: RateDistortionLoss, optimizer: torch.optim.Optimizer,
          aux_optimizer: torch.optim.Optimizer, x: torch.Tensor) -> tuple[dict, torch.Tensor]:
    """Take one step on the rate–distortion loss (gradients clipped to norm 1) and one on the
    entropy bottleneck's auxiliary loss; return the losses."""
    optimizer.zero_grad()
    aux_optimizer.zero_grad()
    losses = criterion(model(x), x)
    losses["loss"].backward()
    torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], 1.0)
    optimizer.step()
    aux = model.aux_loss()
    aux.backward()
    aux_optimizer.step()
    return losses, aux


def write_model_card(out: Path) -> Path:
    """Write out/MODEL_CARD.md from out/training.json; return its path."""
    log = json.loads((out / "training.json").read_text())
    last, test = log["history"][-1], log["test"]
    data_option = f" --data {log['data']}" if log.get("data") else ""
    command = " ".join(log["command"]) if "command" in log else (  # older logs did not record argv
        f"python -m idemlab.codec.train --quality {log['quality']} --minutes {round(log['wall_seconds'] / 60)} --out {out}{data_option}")
    data = training_data_note(log)
    changes = "".join(f"; from step {c['step']}: " + ", ".join(f"{k} {v}" for k, v in c.items() if k != "step")
                      for c in log.get("changes", []))
    card = f"""# Model card: idemlab small scale hyperprior, quality {log['quality']}

- **Architecture:** `idemlab.codec.SmallScaleHyperprior(N=64, M=96)`, compressai's scale hyperprior
  with y at 1/8 and z at 1/16 of the image side; entropy models from compressai.
- **Storage:** `model.pt`, {(out / "model.pt").stat().st_size / 1e6:.1f} MB: float weights in fp16 (they load into float32),
  the entropy coder's integer tables as they are.
- **Objective:** compressai `RateDistortionLoss`, λ = {log['lambda']} (bpp + λ·255²·MSE), plus the aux loss.
- **Data:** {data}.
- **Command:** `{command}` (resumed runs: `--resume`)
- **Training:** {log['steps']} steps of batch {log['batch_size']}, Adam lr {log['lr']}, seed {log['seed']}{changes},
  {log['wall_seconds'] / 60:.1f} min wall on {machine_note(log)}.
- **Final training batch:** loss {last['loss']:.4f}, bpp {last['bpp']:.3f}, MSE {last['mse']:.5f}, aux {last['aux']:.1f}.
- **Test (114 tiles of 32×32 from the held-out photos at 1/2 scale):** estimated {test['estimated_bpp']:.3f} bpp,
  entropy-coded strings {test['strings_bpp']:.3f} bpp (without any file header), PSNR {test['psnr_db']:.2f} dB.
- **Limits:** a small model trained on {"a GPU" if trained_on_gpu(log) else "a CPU"}: a teaching model, not a competitive codec.
"""
    path = out / "MODEL_CARD.md"
    path.write_text(card + weights_section(out / "model.pt"))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", type=int, choices=sorted(QUALITY_LAMBDAS), required=True)
    parser.add_argument("--minutes", type=float, default=10.0, help="total wall-clock budget, resumed runs included")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps in total")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-4, help="Adam's learning rate (a resumed run may lower it)")
    parser.add_argument("--size", type=int, default=32, help="side of the square training crops")
    parser.add_argument("--init", type=Path, default=None, help="warm start from this model.pt (e.g. a neighbouring rate)")
    parser.add_argument("--resume", action="store_true", help="continue from out/checkpoint.pt")
    parser.add_argument("--data", type=Path, default=None, help="a folder of your own images (default: the package photos)")
    parser.add_argument("--wallpapers", type=Path, default=None,
                        help="also train on the wallpaper photos unpacked here (idemlab.wallpapers.fetch)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (a GPU when there is one)")
    args = parser.parse_args()
    log = train(args.quality, args.minutes, args.out, args.batch_size, args.lr, data=args.data, size=args.size,
                max_steps=args.steps, init=args.init, resume=args.resume, wallpapers=args.wallpapers,
                device=args.device)
    write_model_card(args.out)
    print(json.dumps(log["test"]))


if __name__ == "__main__":
    try:
        main()
    except IdemlabError as error:
        sys.exit(report(error))
