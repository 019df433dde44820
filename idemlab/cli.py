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

from idemlab.errors import IdemlabError, InexactWarning, report
from idemlab.codec.registry import FAMILIES
from idemlab.limits import MAX_PIXELS

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
    settings = PerceptualSettings.paper(*received.size) if args.paper else _perceptual_settings(args)
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
    from idemlab.evaluate_folder import Plan, list_images, run

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
    for quality, rate in summary.get("rates", {}).items():
        webp = "—" if rate["psnr_webp_same_bytes"] is None else f"{rate['psnr_webp_same_bytes']:.2f}"
        print(f"q{quality}: {rate['images']} images, {rate['bpp']:.3f} bpp, PSNR MSE {rate['psnr_mse']:.2f} / perceptual "
              f"{rate['psnr_perceptual']:.2f} / WebP at the same bytes {webp} dB, byte-identical "
              f"{rate['byte_identical_%']:.0f} %")
        for measure, scores in _validated_by_measure(rate.get("validated_realism", {})).items():
            print(f"    {measure} against the originals (validated; lower is more realistic): {', '.join(scores)}")
        defects = rate.get("defects", {})
        if defects:
            casts = [f"{name} {d['colour_cast']:.1f}" for name, d in defects.items() if "colour_cast" in d]
            seams = [f"{name} {d['seam_index']:.2f}" for name, d in defects.items() if "seam_index" in d]
            print(f"    colour cast ΔE: {', '.join(casts)}; seam index: {', '.join(seams)}")
        if "fid_perceptual" in rate:
            sets = [f"{name} {rate[f'fid_{name}']:.1f}" for name in ("mse", "perceptual", "jpeg", "webp") if f"fid_{name}" in rate]
            print(f"    Inception FID to the originals: {', '.join(sets)}")
    for codec, delta in summary.get("bjontegaard", {}).items():
        if delta:
            print(f"MSE codec against {codec.upper()} over {delta['rates']} rates: BD-PSNR {delta['bd_psnr_db']:+.2f} dB, "
                  f"BD-rate {delta['bd_rate_%']:+.1f} %")
    for problem in summary.get("unreadable", []):
        print(f"skipped {problem}")
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


def _validated_by_measure(validated: dict) -> dict[str, list[str]]:
    """Return, per validated realism measure, 'set value [low, high]' for each decoder or baseline."""
    by_measure: dict[str, list[str]] = {}
    for name, measures in validated.items():
        for measure, result in measures.items():
            if result.get("value") is not None:
                low, high = result["interval"]
                by_measure.setdefault(measure, []).append(f"{name} {result['value']:.1f} [{low:.1f}, {high:.1f}]")
    return by_measure


def _seed(text: str) -> int:
    seed = int(text)
    if not 0 <= seed < 2**63:
        raise argparse.ArgumentTypeError(f"a seed is an integer from 0 to 2**63 - 1, not {text}")
    return seed


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


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


def _add_output_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("-f", "--force", "-y", action="store_true", help="replace the output if it exists")
    command.add_argument("--max-pixels", type=_positive, default=None,
                         help=f"largest image accepted, in pixels (default {MAX_PIXELS:,})")


def _add_perceptual_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--seed", type=_seed, default=0, help="perceptual: which of the plausible images (0 to 2⁶³−1)")
    command.add_argument("--steps", type=_positive, default=None,
                         help="perceptual: sampler steps (= network evaluations; default: the decoder's, 100)")
    command.add_argument("--zeta", type=_positive_float, default=None,
                         help="perceptual: the guidance step ζ of each sampler step (default: the decoder's, 4); "
                              "with more --steps, a proportionally smaller ζ keeps the same total pull")
    command.add_argument("--sampler", choices=["ddpm", "ddim", "dpm++"], default=None,
                         help="perceptual: the reverse process (default: the decoder's, ddpm; dpm++ is the "
                              "second-order stochastic DPM-Solver++, made for few steps)")
    command.add_argument("--spacing", choices=["uniform", "quadratic"], default=None,
                         help="perceptual: where the steps fall in diffusion time (default: quadratic, dense near "
                              "the end, for ddpm and dpm++; uniform for ddim, the only one it takes)")
    command.add_argument("--start", type=_positive_float, default=None,
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
    encode.set_defaults(run=encode_command)
    decode = commands.add_parser("decode", help="decompress a .idem file into a PNG")
    decode.add_argument("file", type=Path)
    decode.add_argument("-o", "--output", type=Path, required=True)
    decode.add_argument("--mode", choices=["mse", "perceptual"], default="mse",
                        help="mse: the codec's own decoder; perceptual: the idempotent diffusion decoder")
    _add_perceptual_options(decode)
    decode.add_argument("--paper", action="store_true",
                        help="perceptual: the paper's sampler (1000 evenly spaced DDPM steps and its guidance "
                             "step) instead of --steps, --sampler and --spacing")
    decode.add_argument("--show-settings", action="store_true",
                        help="perceptual: print the decoder's settings as one line of JSON (for --settings)")
    decode.add_argument("--allow-inexact", action="store_true",
                        help="perceptual: save the image even if it does not re-encode to the same file")
    _add_output_options(decode)
    decode.set_defaults(run=decode_command)
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
    evaluate.set_defaults(run=evaluate_command)
    realism = commands.add_parser("realism", help="measure how realistic a folder of images is against a reference "
                                  "folder (every measure, with floors and intervals)")
    realism.add_argument("images", type=Path, help="folder of the images to judge (e.g. decodes)")
    realism.add_argument("reference", type=Path, help="folder of reference images (e.g. the originals; same names "
                         "and count pair them)")
    realism.add_argument("--json", action="store_true", help="print one JSON object with a key per measure")
    realism.add_argument("--seed", type=_seed, default=0, help="seed of the critic, the splits and the bootstraps")
    realism.set_defaults(run=realism_command)
    info = commands.add_parser("info", help="describe a .idem file")
    info.add_argument("file", type=Path)
    info.set_defaults(run=info_command)
    return main


def terminate(signum: int, frame: object) -> None:
    """End the process on SIGTERM or SIGHUP, leaving no temporary file. It exits here rather than
    raising, since an exception raised where the signal lands (in a ``__del__``, say) may be
    swallowed and the run go on."""
    from idemlab.images import remove_temporaries_in_progress

    remove_temporaries_in_progress()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + signum)


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
        args.run(args)
    except IdemlabError as error:
        return report(error)
    except MemoryError:
        return report(IdemlabError("out of memory; try a smaller image or lower --max-pixels"))
    except KeyboardInterrupt:
        return report(IdemlabError("interrupted; nothing was written"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
