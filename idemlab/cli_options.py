"""The options of the ``idemlab`` command: its subcommands, their arguments and their checks.

Kept apart from the commands (``idemlab.cli``), and light: building the parser imports no torch.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from idemlab.codec.registry import FAMILIES
from idemlab.limits import MAX_PIXELS


def seed(text: str) -> int:
    """Return a seed from 0 to 2⁶³ − 1."""
    seed = int(text)
    if not 0 <= seed < 2**63:
        raise argparse.ArgumentTypeError(f"a seed is an integer from 0 to 2**63 - 1, not {text}")
    return seed


def positive_float(text: str) -> float:
    """Return a number above 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def positive(text: str) -> int:
    """Return an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _add_output_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("-f", "--force", "-y", action="store_true", help="replace the output if it exists")
    command.add_argument("--max-pixels", type=positive, default=None,
                         help=f"largest image accepted, in pixels (default {MAX_PIXELS:,})")


def _add_perceptual_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--seed", type=seed, default=0, help="perceptual: which of the plausible images (0 to 2⁶³−1)")
    command.add_argument("--steps", type=positive, default=None,
                         help="perceptual: sampler steps (= network evaluations; default: the decoder's, 100)")
    command.add_argument("--zeta", type=positive_float, default=None,
                         help="perceptual: the guidance step ζ of each sampler step (default: the decoder's, 4); "
                              "with more --steps, a proportionally smaller ζ keeps the same total pull")
    command.add_argument("--sampler", choices=["ddpm", "ddim", "dpm++"], default=None,
                         help="perceptual: the reverse process (default: the decoder's, ddpm; dpm++ is the "
                              "second-order stochastic DPM-Solver++, made for few steps)")
    command.add_argument("--spacing", choices=["uniform", "quadratic"], default=None,
                         help="perceptual: where the steps fall in diffusion time (default: quadratic, dense near "
                              "the end, for ddpm and dpm++; uniform for ddim, the only one it takes)")
    command.add_argument("--start", type=positive_float, default=None,
                         help="perceptual: the fraction of diffusion time the sampler begins at, from the noised MSE "
                              "reconstruction (1: from pure noise, as the paper; default: the decoder's)")
    command.add_argument("--settings", type=Path, default=None,
                         help="perceptual: a JSON file of decoder settings, as --show-settings prints them "
                              "(the options above override it)")
    command.add_argument("--prior", default=None, help="perceptual: a prior folder or hub id (default: the shipped one)")
    command.add_argument("--device", default="auto",
                         help="perceptual: where the sampler runs: auto (a GPU if there is one), cpu, cuda or cuda:N; "
                              "the re-encoding verdict is always the CPU's")


def _add_codec_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--codec", default="small-hyperprior", choices=[f.name for f in FAMILIES.values()],
                         help="codec family (default: the shipped small codec; the others load compressai's zoo)")


class _Parser(argparse.ArgumentParser):
    """argparse with the package's one-line error format and exit status 1."""

    def error(self, message: str) -> None:
        self.exit(1, f"idemlab: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``idemlab`` command."""
    main = _Parser(prog="idemlab", description="Idempotent perceptual image compression: the book's codec.")
    commands = main.add_subparsers(dest="command", required=True, parser_class=_Parser)
    encode = commands.add_parser("encode", help="compress an image into a .idem file")
    encode.add_argument("image", type=Path)
    encode.add_argument("-o", "--output", type=Path, required=True)
    _add_codec_option(encode)
    encode.add_argument("--quality", type=int, default=3, help="quality level of the codec (small: 0, 1, 3, 5, 7; zoo: 1–8)")
    _add_output_options(encode)
    decode = commands.add_parser("decode", help="decompress a .idem file into a PNG")
    decode.add_argument("file", type=Path)
    decode.add_argument("-o", "--output", type=Path, required=True)
    decode.add_argument("--mode", choices=["mse", "perceptual"], default="mse",
                        help="mse: the codec's own decoder; perceptual: the idempotent diffusion decoder")
    _add_perceptual_options(decode)
    preset = decode.add_mutually_exclusive_group()
    preset.add_argument("--paper", action="store_true",
                        help="perceptual: the paper's sampler (1000 evenly spaced DDPM steps and its guidance "
                             "step) instead of --steps, --sampler and --spacing")
    preset.add_argument("--fast", action="store_true",
                        help="perceptual: the fast decoder (10 DPM-Solver++ steps, a short correction; less "
                             "realistic) instead of --steps, --sampler and --spacing")
    decode.add_argument("--show-settings", action="store_true",
                        help="perceptual: print the decoder's settings as one line of JSON (for --settings)")
    decode.add_argument("--allow-inexact", action="store_true",
                        help="perceptual: save the image even if it does not re-encode to the same file")
    _add_output_options(decode)
    evaluate = commands.add_parser("evaluate", help="evaluate both decoders on a folder of images at every rate "
                                   "(resumable; shard across processes with torchrun)")
    evaluate.add_argument("folder", type=Path)
    evaluate.add_argument("--out", type=Path, required=True, help="folder for images.jsonl, summary.json, summary.png")
    evaluate.add_argument("--quality", type=int, nargs="+", default=None, help="qualities (default: all of the codec's)")
    evaluate.add_argument("--inception", action="store_true",
                          help='FID and KID of each set too (pip install "idemlab[full]"; Inception-v3 weights '
                               "from torch hub; meaningful from hundreds of images)")
    _add_codec_option(evaluate)
    _add_perceptual_options(evaluate)
    realism = commands.add_parser("realism", help="measure how realistic a folder of images is against a reference "
                                  "folder (every measure, with floors and intervals)")
    realism.add_argument("images", type=Path, help="folder of the images to judge (e.g. decodes)")
    realism.add_argument("reference", type=Path, help="folder of reference images (e.g. the originals; same names "
                         "and count pair them)")
    realism.add_argument("--json", action="store_true", help="print one JSON object with a key per measure")
    realism.add_argument("--seed", type=seed, default=0, help="seed of the critic, the splits and the bootstraps")
    info = commands.add_parser("info", help="describe a .idem file")
    info.add_argument("file", type=Path)
    return main
