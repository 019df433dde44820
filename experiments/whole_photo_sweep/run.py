"""The guidance strength ζ on whole photos, chosen on *training* photographs only.

``python experiments/whole_photo_sweep/run.py --wallpapers DIR`` writes results/whole_photo_sweep.json:
a few of the wallpaper photographs the models were trained on (never the held-out ones), shrunk to
the size at which the benchmarks measure whole photos, each coded as one file at the given
qualities and decoded through the code of ``idemlab evaluate`` with the perceptual decoder at each
ζ (100 DDPM steps, or ``--steps``). ``--constraint``, ``--schedule`` and ``--spacing`` choose the
guidance loss, how ζ moves over the steps and where the steps fall in diffusion time
(``PerceptualSettings``; JSONs without a "spacing" were measured with even steps, the default
before quadratic spacing was chosen here) and ``--band`` how far outside the image range x̂₀ still
passes the constraint's gradient (JSONs without a "band" were measured with 1, the plain clip);
``--even-pull-from Q`` divides each pixel's pull by the number of encoder-input pixels it fills,
so that the last row, column and corner that the encoder's edge padding copies pull like any other,
at quality Q and above (``--even-pull``: every quality; ``--no-even-pull``: none; JSONs with
"even_pull" instead of "even_pull_from" say true for every quality, false for none, and those
with neither were measured without it; the side-150 runs at ζ 2, 3 and 4 were made while it was
on by default, so of those only the default's runs name a flag, ``--no-even-pull``);
``--step-rule`` how the correction steps (JSONs without one used Adam) and ``--scaled-steps-from Q``
from which quality it takes scaled steps instead (``--no-scaled-steps``: none; JSONs without one: none);
``--side`` shrinks the training photographs to another longest side (150 pads rows and columns);
``--seed`` the decoder's seed (0);
``--device cuda`` samples on a GPU. Per
(ζ, quality): mean bpp, PSNR of the MSE and the perceptual decoder and their gap (mean and the
worst photo's), the raw sample's PSNR and the correction's mean steps (JSONs from before
12-05 lack both), patch SWD of both, byte-identical and MSE-fallback shares, seconds per image.
``--prior DIR`` measures another prior (e.g. a candidate under ``training/``) and ``--name`` the
JSON it writes; ``--names`` picks the training photographs instead of ``--photos``. The tile
sweep (``guidance_sweep.py``) chose ζ on 32×32 patches; on whole photos the raw sample misses
many more of the file's symbols, so the choice is checked here.
``--held-out`` decodes the held-out photos of ``perceptual_codec.py`` instead (needs
``--wallpapers`` too): a check of a setting chosen on the training photographs, never a place to
choose one.
It runs on the package as of commit 2bcd1f1 (``git worktree add ../idemlab-2bcd1f1 2bcd1f1``): the
options it sets by quality (``even_pull_from``, ``scaled_steps_from``, ``zeta_schedule``) left the
package when the decoder's settings became one object (``idemlab.decoder.settings``).
"""
import argparse
import sys
import tempfile
from pathlib import Path

import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "benchmarks"))
from common import THREADS, WALLPAPER_SIDE, add_even_pull_options, held_out_whole_photos, write  # noqa: E402
from idemlab import wallpapers
from idemlab.decoder import PerceptualSettings
from idemlab.decoder.constraints import CONSTRAINTS
from idemlab.decoder.correction import STEP_RULES
from idemlab.decoder.perceptual import ZETA_SCHEDULES
from idemlab.evaluate_folder import Plan, read_rows, run
from idemlab.prior.sampling import SPACINGS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wallpapers", type=Path, required=True, help="the wallpaper photos unpacked here")
    parser.add_argument("--held-out", action="store_true", help="the held-out photos instead (to check a choice)")
    parser.add_argument("--photos", type=int, default=3, help="how many training photographs (spread over the packages)")
    parser.add_argument("--names", nargs="+", choices=wallpapers.TRAIN, help="these training photographs instead")
    parser.add_argument("--zetas", type=float, nargs="+", default=[2.0, 4.0, 8.0])
    parser.add_argument("--qualities", type=int, nargs="+", default=[3, 7])
    parser.add_argument("--constraint", choices=CONSTRAINTS, default="image")
    parser.add_argument("--schedule", choices=ZETA_SCHEDULES, default="constant", help="how ζ moves over the steps")
    parser.add_argument("--steps", type=int, default=PerceptualSettings.steps, help="DDPM steps (network evaluations)")
    parser.add_argument("--spacing", choices=SPACINGS, default=PerceptualSettings().spacing, help="where the steps fall")
    parser.add_argument("--band", type=float, default=PerceptualSettings.band,
                        help="how far outside [-1, 1] a pixel of x̂₀ still passes the constraint's gradient")
    add_even_pull_options(parser)
    parser.add_argument("--step-rule", choices=STEP_RULES, default=PerceptualSettings.step_rule,
                        help="how the correction's gradient steps move the pixels")
    parser.add_argument("--scaled-steps-from", type=int, default=PerceptualSettings.scaled_steps_from, metavar="Q",
                        help="files of quality Q and above take scaled steps (default: %(default)s)")
    parser.add_argument("--no-scaled-steps", dest="scaled_steps_from", action="store_const", const=None,
                        help="--step-rule at every quality (as every run before 2026-12-05 17:20)")
    parser.add_argument("--side", type=int, default=WALLPAPER_SIDE, help="longest side of the training photographs")
    parser.add_argument("--seed", type=int, default=0, help="the decoder's seed (idemlab evaluate --seed)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--prior", default=None, help="a prior folder (default: the shipped prior)")
    parser.add_argument("--name", default="whole_photo_sweep")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    if args.held_out:
        photos = held_out_whole_photos(args.wallpapers)
    else:
        names = args.names or wallpapers.TRAIN[::max(1, len(wallpapers.TRAIN) // args.photos)][:args.photos]
        photos = dict(zip(names, wallpapers.load(args.wallpapers, names, max_side=args.side)))
    rows = []
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "photos"
        folder.mkdir()
        for name, photo in photos.items():
            Image.fromarray(photo).save(folder / f"{name}.png")
        for zeta in args.zetas:
            settings = PerceptualSettings(steps=args.steps, constraint=args.constraint, zeta=zeta, zeta_schedule=args.schedule,
                                          spacing=args.spacing, band=args.band, even_pull_from=args.even_pull_from,
                                          step_rule=args.step_rule, scaled_steps_from=args.scaled_steps_from)
            plan = Plan(folder, Path(root) / f"zeta-{zeta}", tuple(args.qualities), "small-hyperprior", args.prior,
                        settings, args.seed, device=args.device)
            rates = run(plan, progress=False)["rates"]
            per_image = read_rows(plan.out)
            for quality, rate in rates.items():
                at_rate = [r for r in per_image if r["quality"] == int(quality)]
                gaps = [r["psnr_mse"] - r["psnr_perceptual"] for r in at_rate]
                rows.append({"zeta": zeta, "quality": int(quality), "bpp": round(rate["bpp"], 3),
                             "psnr_mse_db": round(rate["psnr_mse"], 2), "psnr_perceptual_db": round(rate["psnr_perceptual"], 2),
                             "psnr_raw_db": round(rate["psnr_raw"], 2),
                             "mean_correction_steps": round(sum(r["correction_steps"] for r in at_rate) / len(at_rate), 1),
                             "psnr_gap_db": round(rate["psnr_mse"] - rate["psnr_perceptual"], 2), "worst_gap_db": round(max(gaps), 2),
                             "swd_mse": round(rate["swd_mse"], 1), "swd_perceptual": round(rate["swd_perceptual"], 1),
                             "byte_identical_%": rate["byte_identical_%"], "with_mse_fallback_%": rate["with_mse_fallback_%"],
                             "seconds_per_image": round(rate["seconds_per_image"], 1)})
                print(rows[-1], flush=True)
            path = write(args.name, {"prior": args.prior or "shipped", "photos": list(photos), "held_out": args.held_out,
                                     "side": WALLPAPER_SIDE if args.held_out else args.side,
                                     "sampler": f"{args.steps} DDPM steps", "constraint": args.constraint,
                                     "schedule": args.schedule, "spacing": args.spacing, "band": args.band,
                                     "even_pull_from": args.even_pull_from, "step_rule": args.step_rule,
                                     "scaled_steps_from": args.scaled_steps_from, "seed": args.seed,
                                     "device": args.device,
                                     "rows": rows}, HERE / "results")  # after each ζ
    print(path)


if __name__ == "__main__":
    main()
