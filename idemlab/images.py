"""Reading and writing images for the codec: 8-bit RGB in, 8-bit RGB PNG out, clear refusals.

Input rules (each either applied or refused in one sentence, never silently):

- the size is checked against the pixel limit (``idemlab.limits``) before any pixel is decoded;
- EXIF orientation is applied, so a photo comes out the way a viewer shows it;
- grayscale is replicated to RGB; 16-bit images are scaled to 8 bits (÷257); 32-bit integer
  images are read as 8-bit if their values are ≤ 255, as 16-bit if ≤ 65535, refused otherwise;
  32-bit float images must hold values in [0, 1] (scaled by 255);
- an opaque alpha channel is dropped, transparency is refused; animations and multi-page files
  are refused (save the frame you want).


Outputs are written atomically, with the permissions the umask gives, and never replace an
existing file unless asked. Also here: the conversions every chapter uses (``downscale``, and
``to_tensor``/``to_uint8`` between uint8 arrays and float tensors). Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from idemlab.errors import IdemlabError
from idemlab.limits import check_size

TEMPORARY_SUFFIX = ".idemlab-tmp"
_IN_PROGRESS: set[str] = set()  # temporaries that write_atomic has made and not yet renamed


def _integers_to_8bit(values: np.ndarray, name: str) -> np.ndarray:
    if values.min(initial=0) < 0 or values.max(initial=0) > 65535:
        raise IdemlabError(f"{name} has 32-bit pixel values outside 0–65535; convert it to 8 or 16 bits first")
    top = 65535 if values.max(initial=0) > 255 else 255
    return np.round(values * (255 / top)).astype(np.uint8)


def to_rgb8(image: Image.Image, name: str = "the image") -> np.ndarray:
    """Return a Pillow image as uint8 RGB (H, W, 3) by the rules of this module's docstring."""
    if image.mode.startswith("I;16"):
        image = Image.fromarray(np.round(np.asarray(image, dtype=np.float64) / 257).astype(np.uint8))
    elif image.mode == "I":
        image = Image.fromarray(_integers_to_8bit(np.asarray(image, dtype=np.int64), name))
    elif image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if not np.isfinite(values).all() or values.min(initial=0) < 0 or values.max(initial=0) > 1:
            raise IdemlabError(f"{name} has floating-point pixels outside [0, 1]; convert it to 8 bits first")
        image = Image.fromarray(np.round(values * 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info):
        alpha = np.asarray(image.convert("RGBA"))[..., 3]
        if alpha.min() < 255:
            raise IdemlabError(f"{name} has transparent pixels; flatten it onto a background first")
    try:
        return np.array(image.convert("RGB"))  # a writable copy
    except ValueError:
        raise IdemlabError(f"{name} is in colour mode {image.mode}, which cannot be converted to RGB") from None


def read_image(path: str | os.PathLike, max_pixels: int | None = None) -> np.ndarray:
    """Return the image at path as uint8 RGB (H, W, 3); raise IdemlabError if it is not one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                check_size(*image.size, max_pixels, what=str(path))
                frames = getattr(image, "n_frames", 1)
                if frames > 1:
                    raise IdemlabError(f"{path} has {frames} frames (an animation or a multi-page file); "
                                       "save the frame you want as an image of its own")
                image.load()
                return to_rgb8(ImageOps.exif_transpose(image), str(path))
    except FileNotFoundError:
        raise IdemlabError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise IdemlabError(f"{path} is a folder, not an image") from None
    except Image.DecompressionBombError:
        raise IdemlabError(f"{path} is larger than the pixel limit (a decompression bomb?); "
                           "raise it with --max-pixels if you have the memory") from None
    except MemoryError:
        raise IdemlabError(f"{path} does not fit in memory") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise IdemlabError(f"{path} is not an image that can be read ({type(error).__name__})") from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files that killed runs left beside path (their process is gone);
    return them."""
    stale = []
    for candidate in path.parent.glob(f".{path.name}.*{TEMPORARY_SUFFIX}"):
        pid = candidate.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            candidate.unlink(missing_ok=True)
            stale.append(candidate)
    return stale


def check_writable(path: str | os.PathLike, force: bool = False) -> None:
    """Return None if path can be written; IdemlabError if it is a folder, exists (and not
    ``force``) or its folder is missing."""
    path = Path(path)
    if path.is_dir():
        raise IdemlabError(f"the output {path} is a folder; give a file name")
    if path.exists() and not force:
        raise IdemlabError(f"the output {path} exists; pass --force to replace it")
    if not path.parent.resolve().is_dir():
        raise IdemlabError(f"the folder of {path} does not exist")


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes to path atomically: a temporary file in the same folder (named after this
    process, removed on any error and by ``remove_temporaries_in_progress``), then a rename; the
    file gets the permissions of the umask."""
    path = Path(path)
    remove_stale_temporaries(path)
    umask = os.umask(0)
    os.umask(umask)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                                                 suffix=TEMPORARY_SUFFIX)
    except OSError as error:
        raise IdemlabError(f"{path} cannot be written ({error.strerror or type(error).__name__})") from None
    _IN_PROGRESS.add(temporary)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        raise IdemlabError(f"{path} cannot be written ({error.strerror or type(error).__name__})") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
        _IN_PROGRESS.discard(temporary)


def remove_temporaries_in_progress() -> None:
    """Remove the temporary files of the writes this process has under way (for a signal
    handler that ends the process without unwinding)."""
    for temporary in list(_IN_PROGRESS):
        Path(temporary).unlink(missing_ok=True)


def png_bytes(image: np.ndarray) -> bytes:
    """Return an 8-bit RGB image (H, W, 3) encoded as PNG."""
    from io import BytesIO

    buffer = BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def downscale(image: np.ndarray, factor: float) -> np.ndarray:
    """Return the image shrunk by factor ≥ 1 with an anti-aliasing (Lanczos) filter."""
    if factor == 1:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def to_tensor(patches: np.ndarray):
    """Return uint8 patches (n, H, W, 3) as a float torch tensor (n, 3, H, W) in [0, 1]."""
    import torch

    return torch.from_numpy(np.array(patches)).permute(0, 3, 1, 2).float() / 255.0  # a copy: the input may be read-only


def to_uint8(images) -> np.ndarray:
    """Return float images (n, 3, H, W) in [0, 1] as uint8 (n, H, W, 3), as they would be saved."""
    return (images.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
