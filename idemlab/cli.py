"""The ``idemlab`` command: ``encode``, ``decode`` and ``info`` for ``.idem`` files.

Every user error ends in one line ``idemlab: error: …`` on stderr and exit status 1.
Book: Part II, chapters "The MSE codec" and "The idempotent perceptual decoder".
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from idemlab.errors import IdemlabError, report

HEADER_NOTE = "header = everything in the file but the two entropy-coded strings"


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise IdemlabError(f"{path}: no such file") from None
    except OSError as error:
        raise IdemlabError(f"{path} cannot be read ({error.strerror or type(error).__name__})") from None


def _check_output(source: Path, output: Path, suffix: str) -> None:
    if output.suffix.lower() != suffix:
        raise IdemlabError(f"the output {output} must end in {suffix}")
    if output.exists() and output.resolve() == source.resolve():
        raise IdemlabError(f"the output {output} is the input; choose another name")
    if not output.parent.resolve().is_dir():
        raise IdemlabError(f"the folder of {output} does not exist")


def encode_command(args: argparse.Namespace) -> None:
    """Encode an image into a .idem file."""
    from idemlab.codec.pipeline import encode
    from idemlab.images import read_image, write_atomic

    _check_output(args.image, args.output, ".idem")
    image = read_image(args.image)
    data = encode(image, args.quality)
    write_atomic(args.output, data)
    height, width = image.shape[:2]
    print(f"{args.output}: {len(data)} bytes, {8 * len(data) / (height * width):.4f} bpp ({width}×{height}, quality {args.quality})")


def decode_command(args: argparse.Namespace) -> None:
    """Decode a .idem file into a PNG image with the MSE or the perceptual decoder."""
    from idemlab.images import png_bytes, write_atomic

    _check_output(args.file, args.output, ".png")
    data = _read_bytes(args.file)
    if args.mode == "mse":
        from idemlab.codec.pipeline import decode

        write_atomic(args.output, png_bytes(decode(data)))
        print(f"{args.output}: decoded with the MSE decoder")
        return
    from idemlab.decoder import PerceptualSettings, perceptual_decode
    from idemlab.prior import load_prior

    if args.steps < 1:
        raise IdemlabError(f"--steps must be at least 1, not {args.steps}")
    settings = PerceptualSettings(steps=args.steps, sampler=args.sampler)
    result = perceptual_decode([data], args.seed, settings, load_prior(args.prior), progress=True)
    write_atomic(args.output, png_bytes(result.images[0]))
    correction = result.correction
    exact = "yes" if correction.exact[0] else "NO (the correction did not converge)"
    if correction.replaced[0] > 0:
        exact += f" ({100 * correction.replaced[0]:.1f} % of pixels taken from the MSE reconstruction)"
    print(f"{args.output}: decoded with the perceptual decoder ({args.sampler}, {args.steps} steps, "
          f"seed {args.seed}); re-encodes to the same file: {exact}")


def info_command(args: argparse.Namespace) -> None:
    """Describe a .idem file."""
    from idemlab.codec.bitstream import unpack

    data = _read_bytes(args.file)
    f = unpack(data)
    header = len(data) - len(f.y_string) - len(f.z_string)
    print(f"file        {args.file} ({len(data)} bytes)")
    print(f"codec       family {f.family}, quality {f.quality}")
    print(f"image       {f.width}×{f.height} pixels")
    print(f"strings     y {len(f.y_string)} bytes, z {len(f.z_string)} bytes; header {header} bytes ({HEADER_NOTE})")
    print(f"rate        {8 * len(data) / (f.width * f.height):.4f} bpp from the file size")


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``idemlab`` command."""
    main = argparse.ArgumentParser(prog="idemlab", description="Idempotent perceptual image compression: the book's codec.")
    commands = main.add_subparsers(dest="command", required=True)
    encode = commands.add_parser("encode", help="compress an image into a .idem file")
    encode.add_argument("image", type=Path)
    encode.add_argument("-o", "--output", type=Path, required=True)
    encode.add_argument("--quality", type=int, default=3, choices=[1, 3, 5, 7])
    encode.set_defaults(run=encode_command)
    decode = commands.add_parser("decode", help="decompress a .idem file into a PNG")
    decode.add_argument("file", type=Path)
    decode.add_argument("-o", "--output", type=Path, required=True)
    decode.add_argument("--mode", choices=["mse", "perceptual"], default="mse",
                        help="mse: the codec's own decoder; perceptual: the idempotent diffusion decoder")
    decode.add_argument("--seed", type=int, default=0, help="perceptual: which of the plausible images")
    decode.add_argument("--steps", type=int, default=100, help="perceptual: sampler steps (= network evaluations)")
    decode.add_argument("--sampler", choices=["ddim", "ddpm"], default="ddim", help="perceptual: the reverse process")
    decode.add_argument("--prior", default=None, help="perceptual: a prior folder or hub id (default: the shipped one)")
    decode.set_defaults(run=decode_command)
    info = commands.add_parser("info", help="describe a .idem file")
    info.add_argument("file", type=Path)
    info.set_defaults(run=info_command)
    return main


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = parser().parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notes are not for users
    try:
        args.run(args)
    except IdemlabError as error:
        return report(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
