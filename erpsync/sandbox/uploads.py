"""``POST /product/202309/images/upload``: multipart/form-data image upload (docs/open-api-full.md §2).

The gateway has already checked the signature WITHOUT the body (multipart boundaries are random)
and that no ``shop_cipher`` was sent. Here: the ``data`` file field must hold a real PNG, JPEG,
GIF or WEBP (sniffed from its magic bytes, never trusted from the filename or part content type),
``use_case`` must be one of the documented values. The returned ``uri`` is remembered for the
app, because product create only accepts uris that were uploaded.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

from erpsync.sandbox.envelope import BAD_REQUEST, SandboxError

USE_CASES = ("MAIN_IMAGE", "ATTRIBUTE_IMAGE", "DESCRIPTION_IMAGE", "CERTIFICATION_IMAGE", "SIZE_CHART_IMAGE")
MAX_BYTES = 5 * 1024 * 1024


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) of an image, or None if the bytes are not a supported image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        if data[12:16] == b"VP8X" and len(data) >= 30:
            return "webp", 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        return "webp", 0, 0
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return "jpeg", width, height
        i += 2 + length
    return None


def upload_image(uploads: dict[str, dict[str, Any]], app_key: str, form: Any, files: Any) -> dict[str, Any]:
    """Validate the multipart fields, remember the uri for ``app_key`` and answer the API's data."""
    use_case = form.get("use_case", "MAIN_IMAGE")
    if use_case not in USE_CASES:
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: use_case must be one of {', '.join(USE_CASES)}")
    part = files.get("data")
    if part is None:
        raise SandboxError(400, BAD_REQUEST, "Invalid params: multipart file field 'data' is required")
    data = part.read(MAX_BYTES + 1)
    if not data:
        raise SandboxError(400, BAD_REQUEST, "Invalid params: the uploaded file 'data' is empty")
    if len(data) > MAX_BYTES:
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: images are limited to {MAX_BYTES} bytes")
    found = image_size(data)
    if found is None:
        raise SandboxError(400, BAD_REQUEST, "Invalid params: 'data' is not an image (PNG, JPEG, GIF or WEBP)")
    kind, width, height = found
    digest = hashlib.sha256(app_key.encode() + data).hexdigest()[:32]
    uri = f"tos-maliva-i-o3syd03w52-us/{digest}"
    uploads[uri] = {"app_key": app_key, "use_case": use_case, "width": width, "height": height, "size": len(data)}
    return {
        "uri": uri,
        "url": f"https://p16-oec-va.ibyteimg.com/{uri}~tplv-o3syd03w52-origin-{kind}.{kind}",
        "width": width,
        "height": height,
        "use_case": use_case,
    }
