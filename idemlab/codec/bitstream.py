"""The ``.idem`` container: a small, self-describing, checksummed file for one coded image.

Layout (all integers big-endian)::

    "IDM"  version:u8  family:u8  quality:u8  height:u16  width:u16  len(z):varint  z  y  crc32:u32

The latent shapes are not stored: they follow from the image size and the model (family,
quality). The header is 15 bytes for hyperlatent strings under 128 bytes, because on a 32×32
image every byte costs 0.008 bpp. Book: Part II, chapter "The MSE codec".
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from idemlab.errors import IdemlabError

MAGIC = b"IDM"
VERSION = 1
_FIXED = struct.Struct(">3sBBBHH")  # magic, version, family, quality, height, width
_CRC = struct.Struct(">I")


@dataclass(frozen=True)
class IdemFile:
    """Return-type of :func:`unpack`: what one ``.idem`` file holds."""

    family: int
    quality: int
    height: int
    width: int
    z_string: bytes
    y_string: bytes


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if offset >= len(data) or shift > 28:
            raise IdemlabError("the .idem file is truncated or corrupt: its header ends early")
        byte = data[offset]
        value |= (byte & 0x7F) << shift
        offset, shift = offset + 1, shift + 7
        if not byte & 0x80:
            return value, offset


def pack(f: IdemFile) -> bytes:
    """Return the bytes of a ``.idem`` file."""
    if not (1 <= f.height <= 0xFFFF and 1 <= f.width <= 0xFFFF):
        raise IdemlabError(f"images up to 65535×65535 pixels can be coded, not {f.width}×{f.height}")
    body = _FIXED.pack(MAGIC, VERSION, f.family, f.quality, f.height, f.width)
    body += _varint(len(f.z_string)) + f.z_string + f.y_string
    return body + _CRC.pack(zlib.crc32(body))


def unpack(data: bytes) -> IdemFile:
    """Return the parsed file; raise IdemlabError if it is not an intact ``.idem`` file."""
    if len(data) < 3 or data[:3] != MAGIC:
        raise IdemlabError("this is not an .idem file (it does not start with the IDM signature)")
    if len(data) < _FIXED.size + 1 + _CRC.size:
        raise IdemlabError("the .idem file is truncated: it is shorter than its header")
    _, version, family, quality, height, width = _FIXED.unpack_from(data)
    if version != VERSION:
        raise IdemlabError(f"the .idem file has format version {version}; this idemlab reads version {VERSION}")
    body, (crc,) = data[: -_CRC.size], _CRC.unpack(data[-_CRC.size:])
    if zlib.crc32(body) != crc:
        raise IdemlabError("the .idem file is corrupt or truncated (checksum mismatch)")
    z_length, offset = _read_varint(body, _FIXED.size)
    if offset + z_length > len(body) or height == 0 or width == 0:
        raise IdemlabError("the .idem file is corrupt: its lengths do not fit the file")
    return IdemFile(family, quality, height, width, body[offset: offset + z_length], body[offset + z_length:])
