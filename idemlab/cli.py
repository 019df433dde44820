"""The ``idemlab`` command: ``encode``, ``decode`` and ``info`` for ``.idem`` files.

Every user error ends in one line ``idemlab: error: …`` on stderr and exit status 1.
Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from idemlab.errors import IdemlabError

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
    """Decode a .idem file into a PNG image."""
    from idemlab.codec.pipeline import decode
    from idemlab.images import png_bytes, write_atomic

    _check_output(args.file, args.output, ".png")
    write_atomic(args.output, png_bytes(decode(_read_bytes(args.file))))
    print(f"{args.output}: decoded with the MSE decoder")


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
        print(f"idemlab: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
