"""Train the small MSE codec on offline patches: ``python -m idemlab.codec.train --quality 3``.

Loss: compressai's ``RateDistortionLoss`` (bpp + λ·255²·MSE) with the usual auxiliary loss
for the entropy bottleneck's quantiles, then ``update()`` so the model can entropy-code.
Writes ``<out>/model.pt`` (state dict and config) and ``<out>/training.json`` (the log).
Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
from compressai.losses import RateDistortionLoss
from tqdm import tqdm

from idemlab.codec.model import QUALITY_LAMBDAS, SmallScaleHyperprior, likelihood_bits
from idemlab.data import PatchSampler, held_out_patches, read_folder, to_tensor, training_data_note
from idemlab.errors import IdemlabError, report


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


def train(quality: int, minutes: float, out: Path, batch_size: int = 64, lr: float = 5e-4, seed: int = 0,
          data: Path | None = None) -> dict:
    """Train one rate for a wall-clock budget on the package photos (or the images in the folder
    ``data``); return the training log written to out."""
    torch.manual_seed(seed)
    lmbda = QUALITY_LAMBDAS[quality]
    model = SmallScaleHyperprior()
    criterion = RateDistortionLoss(lmbda=lmbda)
    main_params = [p for n, p in model.named_parameters() if not n.endswith(".quantiles")]
    aux_params = [p for n, p in model.named_parameters() if n.endswith(".quantiles")]
    optimizer, aux_optimizer = torch.optim.Adam(main_params, lr=lr), torch.optim.Adam(aux_params, lr=1e-3)
    sampler = PatchSampler(seed=seed, images=None if data is None else read_folder(data))
    test = to_tensor(held_out_patches())
    start, step, history = time.time(), 0, []
    progress = tqdm(desc=f"codec q{quality}", unit="step")

    def record() -> None:
        history.append({"step": step, "seconds": round(time.time() - start, 1), "loss": losses["loss"].item(),
                        "bpp": losses["bpp_loss"].item(), "mse": losses["mse_loss"].item(), "aux": aux.item()})

    while time.time() - start < 60 * minutes:
        model.train()
        x = to_tensor(sampler.sample(batch_size))
        optimizer.zero_grad()
        aux_optimizer.zero_grad()
        losses = criterion(model(x), x)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(main_params, 1.0)
        optimizer.step()
        aux = model.aux_loss()
        aux.backward()
        aux_optimizer.step()
        step += 1
        if step % 200 == 0:
            record()
            progress.set_postfix(loss=f"{losses['loss'].item():.3f}", bpp=f"{losses['bpp_loss'].item():.3f}")
        progress.update()
    progress.close()
    if not history or history[-1]["step"] != step:  # the final batch, also for budgets under 200 steps
        record()
    model.update(force=True)
    log = {"quality": quality, "lambda": lmbda, "steps": step, "batch_size": batch_size, "lr": lr, "seed": seed,
           "data": None if data is None else str(data), "wall_seconds": round(time.time() - start, 1),
           "threads": torch.get_num_threads(),
           "machine": f"{platform.machine()} CPU, {platform.processor() or 'unknown'}", "history": history,
           "test": evaluate(model, test)}
    out.mkdir(parents=True, exist_ok=True)
    torch.save({"config": {"N": model.N, "M": model.M}, "state_dict": model.state_dict()}, out / "model.pt")
    (out / "training.json").write_text(json.dumps(log, indent=1))
    return log


def write_model_card(out: Path) -> Path:
    """Write out/MODEL_CARD.md from out/training.json; return its path."""
    log = json.loads((out / "training.json").read_text())
    last, test = log["history"][-1], log["test"]
    data_option = f" --data {log['data']}" if log.get("data") else ""
    card = f"""# Model card: idemlab small scale hyperprior, quality {log['quality']}

- **Architecture:** `idemlab.codec.SmallScaleHyperprior(N=64, M=96)`, compressai's scale hyperprior
  with y at 1/8 and z at 1/16 of the image side; entropy models from compressai.
- **Objective:** compressai `RateDistortionLoss`, λ = {log['lambda']} (bpp + λ·255²·MSE), plus the aux loss.
- **Data:** {training_data_note(log.get('data'))}.
- **Command:** `python -m idemlab.codec.train --quality {log['quality']} --minutes {round(log['wall_seconds'] / 60)} --out {out}{data_option}`
- **Training:** {log['steps']} steps of batch {log['batch_size']}, Adam lr {log['lr']}, seed {log['seed']},
  {log['wall_seconds'] / 60:.1f} min wall on {log['threads']} CPU thread(s) ({log['machine']}).
- **Final training batch:** loss {last['loss']:.4f}, bpp {last['bpp']:.3f}, MSE {last['mse']:.5f}, aux {last['aux']:.1f}.
- **Test (114 tiles of 32×32 from the held-out photos at 1/2 scale):** estimated {test['estimated_bpp']:.3f} bpp,
  entropy-coded strings {test['strings_bpp']:.3f} bpp (without any file header), PSNR {test['psnr_db']:.2f} dB.
- **Limits:** trained for minutes on ten photographs: a teaching model, not a competitive codec.
"""
    path = out / "MODEL_CARD.md"
    path.write_text(card)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", type=int, choices=sorted(QUALITY_LAMBDAS), required=True)
    parser.add_argument("--minutes", type=float, default=10.0, help="wall-clock training budget")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data", type=Path, default=None, help="a folder of your own images (default: the package photos)")
    args = parser.parse_args()
    log = train(args.quality, args.minutes, args.out, args.batch_size, data=args.data)
    write_model_card(args.out)
    print(json.dumps(log["test"]))


if __name__ == "__main__":
    try:
        main()
    except IdemlabError as error:
        sys.exit(report(error))
