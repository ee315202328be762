"""Image files for tests that upload them: whole PNGs, and the headers of every format the upload sniffs.

Upload Product Image takes a MAIN_IMAGE of 300x300 to 4000x4000 px, so a product photo here is a
whole, decodable 300x300 PNG of one colour (rows of identical pixels compress to almost nothing).
The ``*_header`` builders give just the bytes a sniffer reads (enough to test the sandbox's limits
up to 20000 px without building megapixel files).
"""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 300, height: int = 300, shade: int = 0) -> bytes:
    """A whole RGB PNG of one grey ``shade``; other shades give other bytes."""
    row = b"\0" + bytes([shade, shade, shade]) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(row * height, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def png_header(width: int, height: int) -> bytes:
    """The PNG signature and IHDR chunk alone."""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))


def jpeg_header(width: int, height: int) -> bytes:
    """SOI, an APP0 segment, then a baseline SOF0 frame header."""
    sof = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + b"\x03" + b"\x01\x22\x00" * 3
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof + b"\xff\xd9"


def bmp_header(width: int, height: int) -> bytes:
    """File header and BITMAPINFOHEADER; a negative ``height`` is a top-down bitmap."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


def bmp_core_header(width: int, height: int) -> bytes:
    """File header and the OS/2 BITMAPCOREHEADER (12 bytes: 16-bit width and height)."""
    info = struct.pack("<IHHHH", 12, width, height, 1, 24)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


def webp_header(width: int, height: int, kind: str = "VP8X", scale: int = 0) -> bytes:
    """RIFF/WEBP with a VP8X (extended), ``VP8 `` (lossy) or VP8L (lossless) first chunk; a lossy
    frame's ``scale`` goes in the top two bits of each side (RFC 6386 section 9.1)."""
    if kind == "VP8X":
        body = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little")
        body += (height - 1).to_bytes(3, "little")
    elif kind == "VP8 ":
        frame = b"\x30\x01\x00\x9d\x01\x2a" + struct.pack("<HH", width | scale << 14, height | scale << 14)
        body = b"VP8 " + struct.pack("<I", len(frame)) + frame
    else:
        bits = (width - 1) | ((height - 1) << 14)
        body = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + bits.to_bytes(4, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def heic_header(sizes: list[tuple[int, int]], brands: tuple[bytes, ...] = (b"heic", b"mif1")) -> bytes:
    """An ``ftyp`` box with ``brands`` (the first is the major one) and a meta box whose
    iprp/ipco holds one ``ispe`` per (width, height) in ``sizes`` (none: no meta box)."""
    ftyp = _box(b"ftyp", brands[0] + b"\0\0\0\0" + b"".join(brands))
    if not sizes:
        return ftyp
    ispes = b"".join(_box(b"ispe", b"\0\0\0\0" + struct.pack(">II", w, h)) for w, h in sizes)
    hdlr = _box(b"hdlr", b"\0" * 8 + b"pict" + b"\0" * 13)
    meta = _box(b"meta", b"\0\0\0\0" + hdlr + _box(b"iprp", _box(b"ipco", ispes)))
    return ftyp + meta + _box(b"mdat", b"\0" * 16)
