"""Which image format some bytes hold, and its size in pixels, read from the bytes themselves.

The upload never trusts a filename or a part's content type: the live API decodes the file, so
the sandbox reads what each format's own specification puts in its first bytes (PNG IHDR, JPEG
SOF marker, RIFF/WEBP VP8/VP8L/VP8X, BMP DIB header, ISO BMFF ``ftyp`` and ``ispe`` boxes, GIF
logical screen). GIF is recognised so that the upload can refuse it by name rather than as noise.
"""

from __future__ import annotations

import struct

#: ``ftyp`` brands of HEIC files (HEVC-coded HEIF). ``mif1``/``msf1`` are generic HEIF brands that
#: AVIF files carry too, so they count as HEIC only without an AVIF brand beside them.
HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
AVIF_BRANDS = frozenset({b"avif", b"avis"})

#: (format, width, height); width and height are None when the format's header does not say them
Sniffed = tuple[str, int | None, int | None]


def image_size(data: bytes) -> Sniffed | None:
    """(format, width, height) of an image, or None if the bytes are no image format known here."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data.startswith(b"BM"):
        return _bmp_size(data)
    if data[4:8] == b"ftyp":
        return _heic_size(data)
    return None


def _webp_size(data: bytes) -> Sniffed | None:
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        return "webp", 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if kind == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return "webp", width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return "webp", 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def _jpeg_size(data: bytes) -> Sniffed | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
            i += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return "jpeg", width, height
        i += 2 + length
    return None


def _bmp_size(data: bytes) -> Sniffed | None:
    """BMP: the DIB header follows the 14-byte file header; a negative height means top-down rows."""
    if len(data) < 26:
        return None
    (header_size,) = struct.unpack("<I", data[14:18])
    if header_size == 12:  # OS/2 BITMAPCOREHEADER: unsigned 16-bit sides
        width, height = struct.unpack("<HH", data[18:22])
        return "bmp", width, height
    if header_size < 40:
        return None
    width, height = struct.unpack("<ii", data[18:26])
    return "bmp", abs(width), abs(height)


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the ISO BMFF boxes between ``start`` and ``end``."""
    found = []
    while start + 8 <= end:
        (size,) = struct.unpack(">I", data[start : start + 4])
        kind, payload = data[start + 4 : start + 8], start + 8
        if size == 1 and start + 16 <= end:
            (size,) = struct.unpack(">Q", data[start + 8 : start + 16])
            payload = start + 16
        elif size == 0:
            size = end - start
        if size < payload - start or start + size > end:
            break
        found.append((kind, payload, start + size))
        start += size
    return found


def _heic_size(data: bytes) -> Sniffed | None:
    """HEIC by its ``ftyp`` brands; its size from the largest ``ispe`` property (meta/iprp/ipco).

    A HEIF file may hold several images (thumbnails, grid tiles), each with its own ``ispe``;
    the primary one is named through ``pitm`` and ``ipma``, which the sandbox does not follow: it
    takes the largest, which is the primary image in ordinary camera files (a guess).
    """
    top = _boxes(data, 0, len(data))
    if not top or top[0][0] != b"ftyp":
        return None
    _, begin, end = top[0]
    brands = {data[begin : begin + 4]} | {data[i : i + 4] for i in range(begin + 8, end - 3, 4)}
    heic = bool(brands & HEIC_BRANDS) or (bool(brands & HEIF_BRANDS) and not brands & AVIF_BRANDS)
    if not heic:
        return None
    sizes: list[tuple[int, int]] = []
    for kind, begin, end in top[1:]:
        if kind != b"meta":
            continue
        for iprp, p_begin, p_end in _boxes(data, begin + 4, end):  # meta is a full box: skip version/flags
            for ipco, c_begin, c_end in _boxes(data, p_begin, p_end) if iprp == b"iprp" else []:
                for prop, s_begin, s_end in _boxes(data, c_begin, c_end) if ipco == b"ipco" else []:
                    if prop == b"ispe" and s_end - s_begin >= 12:
                        sizes.append(struct.unpack(">II", data[s_begin + 4 : s_begin + 12]))
    if not sizes:
        return "heic", None, None
    width, height = max(sizes, key=lambda size: size[0] * size[1])
    return "heic", width, height
