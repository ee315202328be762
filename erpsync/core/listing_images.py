"""A listing's ERP image files, uploaded to Seller Center once and sent as the uris it gave back.

Seller Center shows only images it hosts: Create Product and Partial Edit Product take
``main_images[].uri`` values that Upload Product Image answered, and refuse any other
(docs/listing-images.md). An ERP that keeps image files names them in its products; the
``[aspects.listings] images`` table maps names to uris uploaded by hand, and a name it does not
map reaches the body as is. When the apply of a create or an edit sends such a name and the ERP
can read a file by it (``ListingImageSource``), the file is checked against the documented
limits (size, format, and a main image's width and height, read from its header by
``imagesize``), uploaded through the seller side (``ListingImageUploader``) and its uri sent
instead.

Each uri is remembered in the bindings (entity ``image``: erp_id the SHA-256 of the bytes,
seller_id the uri, value the ERP name) as soon as its upload answered, before the create or
edit: the same bytes, under any name and for any product of the shop, are uploaded once, and a
run that died between the upload and the create re-uses the uri on its rerun. A name the ERP
cannot read is sent as it is, as before; a file it reads but the API would refuse (too large,
not a format the page lists, too small or too large) fails that product's push alone, naming
product, image and why. A file whose size its header does not tell is left to the API's answer.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from erpsync.core.errors import ConnectorError, PermanentError, RecordError
from erpsync.core.listing_ports import BindingState, ListingBindings

__all__ = [
    "IMAGE",
    "MAIN_IMAGE_PX",
    "MAX_IMAGE_BYTES",
    "ImageMemory",
    "ListingImageSource",
    "ListingImageUploader",
    "image_format",
    "image_problem",
    "main_image_names",
    "resolve_images",
    "with_uris",
]

#: the binding entity of uploaded images (``store.bindings``)
IMAGE = "image"
#: Upload Product Image, ``data``: "Max size: 10MB" (read as MiB: a guess, docs/listing-images.md)
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: Upload Product Image, ``data``: for ``MAIN_IMAGE`` "between 300x300 px and 4000x4000 px" (as
#: Create Product's ``main_images``); a bound on each side, so a photo's EXIF rotation does not matter
MAIN_IMAGE_PX = (300, 4000)
#: Upload Product Image, ``data``: "Supported formats: JPG, JPEG, PNG, WEBP, HEIC, BMP"
_HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


@runtime_checkable
class ListingImageSource(Protocol):
    """An ERP that keeps image files its products name."""

    def read_listing_image(self, name: str) -> bytes | None:
        """The bytes of the image the products call ``name`` (at most ``MAX_IMAGE_BYTES`` + 1 of
        them: more says "too large" all the same), or None when ``name`` is not a file this ERP
        keeps (an uploaded uri, a URL). Raise ``RecordError`` (reason, source) for a name that is
        one of its files but cannot be read: missing, outside its directory, unreadable."""
        ...


@runtime_checkable
class ListingImageUploader(Protocol):
    """A seller side that can host an image for listings."""

    def upload_listing_image(self, content: bytes, name: str) -> str:
        """Upload one main image and return the uri a create or edit sends."""
        ...


@runtime_checkable
class ImageMemory(Protocol):
    """The store's bindings read one row at a time (``store.bindings``): an upload is looked up
    by its bytes' digest, never by reading every image the shop ever uploaded."""

    def get(self, shop: str, entity: str, erp_id: str) -> BindingState | None: ...


def image_format(content: bytes) -> str | None:
    """The format of ``content`` by its magic bytes, among those Upload Product Image takes."""
    if content.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "WEBP"
    if content.startswith(b"BM") and len(content) >= 26:
        return "BMP"
    if content[4:8] == b"ftyp" and content[8:12] in _HEIC_BRANDS:
        return "HEIC"
    return None


def image_problem(content: bytes) -> str | None:
    """Why Upload Product Image would refuse ``content`` (None: nothing the page's limits forbid)."""
    if not content:
        return "the file is empty"
    if len(content) > MAX_IMAGE_BYTES:
        return f"larger than the {MAX_IMAGE_BYTES // (1024 * 1024)} MB Upload Product Image takes"
    if image_format(content) is None:
        return "not a JPG, PNG, WEBP, HEIC or BMP image (the formats Upload Product Image takes)"
    size = _told_size(content)
    low, high = MAIN_IMAGE_PX
    if size is not None and not (low <= min(size) and max(size) <= high):
        width, height = size
        return (
            f"{width}x{height} px, outside the {low}x{low} to {high}x{high} px "
            "Upload Product Image takes for a main image"
        )
    return None


def _told_size(content: bytes) -> tuple[int, int] | None:
    """The image's width and height as its header tells them; None when it does not, or cannot
    be read (the API's answer then decides).

    ``imagesize`` reads each format's size fields, but two layouts wrongly: the OS/2 bitmap
    header (12 bytes, 16-bit sides, which it reads as 32-bit) is read here, and a lossy WEBP
    frame's sides lose the two scale bits above their 14 (RFC 6386 section 9.1).
    """
    if content.startswith(b"BM") and content[14:18] == b"\x0c\0\0\0" and len(content) >= 22:
        width, height = struct.unpack_from("<HH", content, 18)
    else:
        import imagesize  # here: it imports urllib.request, which a run without image files never needs

        width, height = imagesize.get(io.BytesIO(content), exif_rotation=False)  # (-1, -1): not told
        if width > 0 and content.startswith(b"RIFF") and content[12:16] == b"VP8 ":
            width, height = width & 0x3FFF, height & 0x3FFF
    return (width, height) if width > 0 and height > 0 else None


def main_image_names(body: Mapping[str, Any]) -> list[str]:
    """The ``main_images`` uris of a create or edit body, each once, in order."""
    names = [i.get("uri") for i in body.get("main_images") or () if isinstance(i, Mapping)]
    return list(dict.fromkeys(n for n in names if isinstance(n, str) and n))


def with_uris(body: Mapping[str, Any], uris: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``body`` whose main images named in ``uris`` carry the uri given for them."""
    out = dict(body)
    if uris and body.get("main_images"):
        out["main_images"] = [
            {**i, "uri": uris[i["uri"]]} if isinstance(i, Mapping) and i.get("uri") in uris else i
            for i in body["main_images"]
        ]
    return out


def _readable(names: Sequence[str], erp: ListingImageSource, record: str) -> dict[str, bytes]:
    """The names the ERP reads, with their bytes; the first file the API would refuse raises."""
    found: dict[str, bytes] = {}
    for name in names:
        try:
            content = erp.read_listing_image(name)
        except RecordError as exc:
            raise RecordError(exc.reason, record=record, field=f"image {name!r}", source=exc.source) from None
        if content is None:
            continue
        why = image_problem(content)
        if why is not None:
            raise RecordError(why, record=record, field=f"image {name!r}")
        found[name] = content
    return found


def resolve_images(
    body: Mapping[str, Any],
    *,
    product: str,
    erp: object,
    seller: object,
    shop: str,
    remember: tuple[ListingBindings, datetime] | None,
) -> dict[str, Any]:
    """The body to send for ERP product ``product``: its readable image files as uploaded uris.

    ``remember`` is the shop's bindings and the run's time (None: nothing is remembered, and
    each apply uploads again). Every file is read and checked before anything is uploaded, so a
    product with one bad file uploads nothing.
    """
    bindings, now = remember if remember is not None else (None, None)
    names = main_image_names(body)
    if not names or not isinstance(erp, ListingImageSource):
        return dict(body)
    record = f"product {product!r}"
    files = _readable(names, erp, record)
    if not files:
        return dict(body)
    if not isinstance(seller, ListingImageUploader):
        raise PermanentError(f"{record}: the seller side cannot upload the ERP's image files", operation="upload image")
    uris: dict[str, str] = {}
    for name, content in files.items():
        digest = hashlib.sha256(content).hexdigest()
        known = _remembered(bindings, shop, digest)
        if known is None:
            try:
                known = seller.upload_listing_image(content, name)
            except ConnectorError as exc:
                raise type(exc)(f"{record}: image {name!r}: {exc.message}", **exc.context) from exc
            if bindings is not None and now is not None:  # before the create: a rerun after a crash re-uses it
                bindings.put(shop, IMAGE, digest, seller_id=known, last_pushed_hash=name, now=now)
        uris[name] = known
    return with_uris(body, uris)


def _remembered(bindings: ListingBindings | None, shop: str, digest: str) -> str | None:
    if bindings is None:
        return None
    row = (
        bindings.get(shop, IMAGE, digest)
        if isinstance(bindings, ImageMemory)
        else bindings.for_entity(shop, IMAGE).get(digest)
    )
    return row.seller_id if row is not None and row.seller_id else None
