"""``POST /product/202309/images/upload``: multipart/form-data image upload (docs/open-api-full.md §2).

The gateway has already checked the signature WITHOUT the body (multipart boundaries are random)
and that no ``shop_cipher`` was sent. Here the rules of the Upload Product Image page, in the
order a caller can fix them: ``use_case`` one of the documented values (11050001), a non-empty
``data`` file field (12038002), at most 10 MB (12038005), one of JPG/JPEG, PNG, WEBP, HEIC or BMP
sniffed from its magic bytes, never trusted from the filename or part content type (12038004),
and its width and height within the use case's limits (12038014, the page's message with the
limits filled in). The returned ``uri`` is remembered for the app, because product create only
accepts uris that were uploaded.

Guesses (no page settles them): "10MB" is read as 10,000,000 bytes, the stricter reading, so a
client that counts in MiB meets the refusal here first; a format the page does not list (GIF,
AVIF, TIFF...) answers 12038004, never 12038015 (whose message lists the formats: which of the two
the live API picks is not documented); an HEIC file without an ``ispe`` box is accepted unchecked
and answered with width and height 0; a MAIN_IMAGE or ATTRIBUTE_IMAGE outside 3:4..4:3, which the
page says is "automatically converted to 1:1", is answered as a square of its longer side.
"""

from __future__ import annotations

import hashlib
from typing import Any

from erpsync.sandbox.envelope import (
    IMAGE_DIMENSIONS,
    IMAGE_FORMAT_UNSUPPORTED,
    IMAGE_TOO_LARGE,
    INVALID_PARAM,
    UPLOAD_FILE_INVALID,
    SandboxError,
)
from erpsync.sandbox.image_formats import image_size

__all__ = ["FORMATS", "LIMITS", "MAX_BYTES", "USE_CASES", "image_size", "upload_image"]

USE_CASES = ("MAIN_IMAGE", "ATTRIBUTE_IMAGE", "DESCRIPTION_IMAGE", "CERTIFICATION_IMAGE", "SIZE_CHART_IMAGE")
#: "Max size: 10MB", read as 10**6-byte megabytes (a guess, see the module docstring)
MAX_BYTES = 10 * 1000 * 1000
#: "Supported formats: JPG, JPEG, PNG, WEBP, HEIC, BMP" (JPG and JPEG are one format)
FORMATS = ("jpeg", "png", "webp", "heic", "bmp")
#: (min width, min height, max width, max height): "Dimensions: [100x100 px, 20000x20000 px]"
DEFAULT_LIMITS = (100, 100, 20000, 20000)
#: "For use_case=MAIN_IMAGE, the dimensions must be between 300x300 px and 4000x4000 px";
#: SIZE_CHART_IMAGE "must be at least 1024 px on the shorter side"
LIMITS = {"MAIN_IMAGE": (300, 300, 4000, 4000), "SIZE_CHART_IMAGE": (1024, 1024, 20000, 20000)}
#: use cases whose images are made 1:1 when outside the 3:4 to 4:3 aspect ratio range
SQUARED = ("MAIN_IMAGE", "ATTRIBUTE_IMAGE")

INVALID_FILE = "Invalid upload file. Please ensure you are passing the correct file data."
NOT_SUPPORTED = "Failed to process the image. The format or content is not supported."
TOO_LARGE = "The file size exceeds the maximum allowed size."
DIMENSIONS = (
    "The image dimensions exceed the allowed limits. Allowed dimensions (width x height in pixels): "
    "{min_width} x {min_height} to {max_width} x {max_height}"
)


def check_dimensions(use_case: str, width: int, height: int) -> None:
    """Refuse (12038014) an image outside the use case's limits, naming the limits."""
    min_width, min_height, max_width, max_height = LIMITS.get(use_case, DEFAULT_LIMITS)
    if min_width <= width <= max_width and min_height <= height <= max_height:
        return
    message = DIMENSIONS.format(min_width=min_width, min_height=min_height, max_width=max_width, max_height=max_height)
    raise SandboxError(400, IMAGE_DIMENSIONS, message)


def answered_size(use_case: str, width: int, height: int) -> tuple[int, int]:
    """Width and height "after aspect ratio adjustment": 1:1 outside 3:4..4:3 for gallery images."""
    if use_case in SQUARED and height and not 3 / 4 <= width / height <= 4 / 3:
        side = max(width, height)
        return side, side
    return width, height


def upload_image(uploads: dict[str, dict[str, Any]], app_key: str, form: Any, files: Any) -> dict[str, Any]:
    """Validate the multipart fields, remember the uri for ``app_key`` and answer the API's data."""
    use_case = form.get("use_case", "MAIN_IMAGE")
    if use_case not in USE_CASES:
        raise SandboxError(400, INVALID_PARAM, f"invalid param: use_case must be one of {', '.join(USE_CASES)}")
    part = files.get("data")
    data = part.read(MAX_BYTES + 1) if part is not None else b""
    if not data:
        raise SandboxError(400, UPLOAD_FILE_INVALID, INVALID_FILE)
    if len(data) > MAX_BYTES:
        raise SandboxError(400, IMAGE_TOO_LARGE, TOO_LARGE)
    found = image_size(data)
    if found is None or found[0] not in FORMATS:
        raise SandboxError(400, IMAGE_FORMAT_UNSUPPORTED, NOT_SUPPORTED)
    kind, width, height = found
    if width is None or height is None:
        width = height = 0
    else:
        check_dimensions(use_case, width, height)
        width, height = answered_size(use_case, width, height)
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
