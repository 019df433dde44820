"""The ``idemlab`` command: ``encode``, ``decode`` and ``info`` for ``.idem`` files.

Every user error ends in one line ``idemlab: error: …`` on stderr and exit status 1.
Book: Part II, chapters "The MSE codec" and "The idempotent perceptual decoder".
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from idemlab.cli_options import parser
from idemlab.errors import IdemlabError, InexactWarning, report

HEADER_NOTE = "header = everything in the file but the two entropy-coded strings"


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise IdemlabError(f"{path}: no such file") from None
    except OSError as error:
        raise IdemlabError(f"{path} cannot be read ({error.strerror or type(error).__name__})") from None


def _check_output(source: Path, output: Path, suffix: str, force: bool) -> None:
    from idemlab.images import check_writable

    if output.suffix.lower() != suffix:
        raise IdemlabError(f"the output {output} must end in {suffix}")
    if output.exists() and output.resolve() == source.resolve():
        raise IdemlabError(f"the output {output} is the input; choose another name")
    check_writable(output, force)


def encode_command(args: argparse.Namespace) -> None:
    """Encode an image into a .idem file."""
    from idemlab.images import read_image, write_atomic

    _check_output(args.image, args.output, ".idem", args.force)
    image = read_image(args.image, args.max_pixels)
    from idemlab.codec.pipeline import encode  # torch is imported only once the input is known to be good

    data = encode(image, args.quality, args.max_pixels, codec=args.codec)
    write_atomic(args.output, data)
    height, width = image.shape[:2]
    print(f"{args.output}: {len(data)} bytes, {8 * len(data) / (height * width):.4f} bpp "
          f"({width}×{height}, {args.codec} quality {args.quality})")


def decode_command(args: argparse.Namespace) -> None:
    """Decode a .idem file into a PNG image with the MSE or the perceptual decoder."""
    from idemlab.images import png_bytes, write_atomic

    _check_output(args.file, args.output, ".png", args.force)
    data = _read_bytes(args.file)
    if args.mode == "mse":
        from idemlab.codec.pipeline import decode

        write_atomic(args.output, png_bytes(decode(data, args.max_pixels)))
        print(f"{args.output}: decoded with the MSE decoder")
        return
    from idemlab.codec.received import SAFETY, receive
    from idemlab.decoder import PerceptualSettings, perceptual_decode
    from idemlab.devices import resolve_device
    from idemlab.prior import load_prior

    device = resolve_device(args.device)  # a GPU that is not there is refused before anything loads
    received = receive([data], args.max_pixels)
    settings = (PerceptualSettings.paper(*received.size) if args.paper else
                PerceptualSettings.fast() if args.fast else _perceptual_settings(args))
    if args.show_settings:
        print(json.dumps(settings.to_dict()))
    result = perceptual_decode(received, args.seed, settings, load_prior(args.prior), progress=True, device=device)
    correction = result.correction
    if not correction.robust[0] and not args.allow_inexact:
        problem = ("re-encodes to the same file here, but a latent lies within "
                   f"{SAFETY} of its cell's edge, so another machine may re-encode it differently"
                   if correction.exact[0] else "does not re-encode to the same file (the correction did not converge)")
        raise IdemlabError(f"the perceptual reconstruction {problem}; nothing was written; "
                           "pass --allow-inexact to save it anyway")
    write_atomic(args.output, png_bytes(result.images[0]))
    exact = ("yes" if correction.robust[0] else
             "only on this machine (saved with --allow-inexact)" if correction.exact[0] else
             "NO (the correction did not converge; saved with --allow-inexact)")
    if correction.replaced[0] > 0:
        exact += f" ({100 * correction.replaced[0]:.1f} % of pixels taken from the MSE reconstruction)"
    begins = f" from the MSE reconstruction noised to {settings.start:g}·T" if settings.start < 1 else ""
    print(f"{args.output}: decoded with the perceptual decoder ({settings.sampler}, {settings.steps} {settings.spacing} steps"
          f"{begins}, ζ {settings.zeta:g}, seed {args.seed}); re-encodes to the same file: {exact}")


def evaluate_command(args: argparse.Namespace) -> None:
    """Evaluate the MSE and perceptual decoders on every image of a folder at every rate."""
    from idemlab.codec.registry import family
    from idemlab.evaluate_folder import Plan, list_images, run, summary_lines

    qualities = family(args.codec).qualities
    wrong = [q for q in args.quality or () if q not in qualities]
    if wrong:
        raise IdemlabError(f"{args.codec} has qualities {', '.join(map(str, qualities))}, not {wrong[0]}")
    list_images(args.folder)  # a missing or empty folder is refused before anything loads
    if args.inception:
        from idemlab.fid import require_inception

        require_inception()  # before hours of decoding, not after
    settings = _perceptual_settings(args)
    plan = Plan(args.folder, args.out, tuple(args.quality or qualities), args.codec, args.prior, settings, args.seed,
                device=args.device, inception=args.inception)
    summary = run(plan)
    for line in summary_lines(summary):
        print(line)
    if summary:
        print(f"{args.out / 'summary.json'}")


def info_command(args: argparse.Namespace) -> None:
    """Describe a .idem file."""
    from idemlab.codec.bitstream import unpack

    data = _read_bytes(args.file)
    f = unpack(data)
    header = len(data) - len(f.y_string) - len(f.z_string)
    print(f"file        {args.file} ({len(data)} bytes)")
    from idemlab.codec.registry import family

    try:
        name = family(f.family).name
    except IdemlabError:
        name = "unknown to this idemlab"
    print(f"codec       family {f.family} ({name}), quality {f.quality}")
    print(f"image       {f.width}×{f.height} pixels")
    print(f"strings     y {len(f.y_string)} bytes, z {len(f.z_string)} bytes; header {header} bytes ({HEADER_NOTE})")
    print(f"rate        {8 * len(data) / (f.width * f.height):.4f} bpp from the file size")


def realism_command(args: argparse.Namespace) -> None:
    """Print every realism measure of one folder of images against a reference folder."""
    for folder in (args.images, args.reference):
        if not folder.is_dir():
            raise IdemlabError(f"{folder} is not a folder")
    from idemlab.data import read_folder
    from idemlab.realism.report import realism_report

    images, reference = read_folder(args.images), read_folder(args.reference)
    report_ = realism_report(images, reference, seed=args.seed)
    if args.json:
        print(json.dumps(report_, indent=1))
        return
    print(f"{args.images} ({len(images)} images) against {args.reference} ({len(reference)}); larger = less realistic")
    print(f"{'measure':22} {'value':>8} {'95 % interval':>19} {'floor':>8}  validated")
    for name, m in report_.items():
        if m["value"] is None:
            print(f"{name:22} {'—':>8}  {m['note']}")
            continue
        floor = "—" if m["floor"] is None else f"{m['floor']:.3g}"
        verdict = {True: "passes", False: "fails", None: "not yet"}[m["passes_validation"]]
        low, high = m["interval"]
        interval = f"[{low:.3g}, {high:.3g}]"
        print(f"{name:22} {m['value']:8.3g} {interval:>19} {floor:>8}  {verdict}")


def _perceptual_settings(args: argparse.Namespace):
    """Return the perceptual decoder's settings: those of the --settings JSON file (the others at
    the decoder's defaults), with the options the command line set on top."""
    from idemlab.decoder import PerceptualSettings

    values = {}
    if args.settings is not None:
        try:
            values = json.loads(_read_bytes(args.settings))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise IdemlabError(f"{args.settings} is not a JSON file of settings ({error})") from None
    chosen = ("steps", "zeta", "sampler", "spacing", "start")
    return PerceptualSettings.from_dict({**values, **{name: getattr(args, name) for name in chosen
                                                      if getattr(args, name) is not None}})


def terminate(signum: int, frame: object) -> None:
    """End the process on SIGTERM or SIGHUP, leaving no temporary file. It exits here rather than
    raising, since an exception raised where the signal lands (in a ``__del__``, say) may be
    swallowed and the run go on."""
    from idemlab.images import remove_temporaries_in_progress

    remove_temporaries_in_progress()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + signum)


COMMANDS = {"encode": encode_command, "decode": decode_command, "evaluate": evaluate_command,
            "realism": realism_command, "info": info_command}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error already reported in one line
        return int(stop.code or 0)
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notes are not for users
    warnings.filterwarnings("ignore", category=InexactWarning)  # the decode command says it in its own words
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)
        signal.signal(signal.SIGHUP, terminate)
    try:
        COMMANDS[args.command](args)
    except IdemlabError as error:
        return report(error)
    except MemoryError:
        return report(IdemlabError("out of memory; try a smaller image or lower --max-pixels"))
    except KeyboardInterrupt:
        return report(IdemlabError("interrupted; nothing was written"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
