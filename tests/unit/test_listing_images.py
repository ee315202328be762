"""ERP image files in a listing's body: checked, uploaded once per bytes, remembered before the create.

The resolution runs on plain data: an ERP that holds images in a dict, a seller that counts its
uploads, and the real state store's bindings.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from image_bytes import bmp_core_header, bmp_header, heic_header, jpeg_header, png, png_header, webp_header

from erpsync.core.errors import OutcomeUnknownError, PermanentError, RecordError
from erpsync.core.listing_images import (
    IMAGE,
    MAX_IMAGE_BYTES,
    ListingImageSource,
    ListingImageUploader,
    image_format,
    image_problem,
    main_image_names,
    resolve_images,
    with_uris,
)
from erpsync.core.store import Store

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
OTHER_PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


class Erp:
    """Images by name; ``broken`` names raise as a file that cannot be read."""

    def __init__(self, images: dict[str, bytes], broken: dict[str, str] | None = None) -> None:
        self.images, self.broken = images, broken or {}

    def read_listing_image(self, name: str) -> bytes | None:
        if name in self.broken:
            raise RecordError(self.broken[name], source=f"erp/{name}")
        return self.images.get(name)


class Seller:
    """Answers a uri per upload, in order; ``fail`` raises instead."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.uploads: list[tuple[str, bytes]] = []
        self.fail = fail

    def upload_listing_image(self, content: bytes, name: str) -> str:
        if self.fail is not None:
            raise self.fail
        self.uploads.append((name, content))
        return f"tos-uri-{len(self.uploads)}"


def body(*names: str) -> dict:
    return {"title": "Mug", "main_images": [{"uri": n} for n in names], "skus": [{"seller_sku": "MUG"}]}


def uris(sent: dict) -> list[str]:
    return [i["uri"] for i in sent["main_images"]]


def resolve(sent: dict, erp: object, seller: object, store: Store | None, product: str = "P1") -> dict:
    remember = None if store is None else (store.bindings, NOW)
    return resolve_images(sent, product=product, erp=erp, seller=seller, shop="s", remember=remember)


def test_the_ports_are_runtime_checkable():
    assert isinstance(Erp({}), ListingImageSource) and not isinstance(Seller(), ListingImageSource)
    assert isinstance(Seller(), ListingImageUploader) and not isinstance(Erp({}), ListingImageUploader)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PNG, "PNG"),
        (JPEG, "JPEG"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16, "WEBP"),
        (b"BM" + b"\x00" * 40, "BMP"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (b"GIF89a" + b"\x00" * 16, None),  # not among the formats Upload Product Image lists
        (b"<svg/>", None),
        (b"", None),
    ],
)
def test_formats_are_sniffed_from_the_bytes(content, kind):
    assert image_format(content) == kind


def test_what_the_upload_page_refuses_is_said_before_calling():
    assert image_problem(PNG) is None
    assert image_problem(b"") == "the file is empty"
    assert "10 MB" in (image_problem(PNG + b"\x00" * MAX_IMAGE_BYTES) or "")
    assert image_problem(PNG[:-32] + b"\x00" * (MAX_IMAGE_BYTES - 8)) is None  # the limit itself is fine
    assert "not a JPG, PNG, WEBP, HEIC or BMP" in (image_problem(b"GIF89a....") or "")


@pytest.mark.parametrize(
    ("content", "size"),
    [
        (png_header(4032, 3024), "4032x3024"),  # a phone photo as taken
        (jpeg_header(3024, 4032), "3024x4032"),  # the same, stored upright
        (webp_header(299, 500), "299x500"),
        (webp_header(4001, 300, "VP8 "), "4001x300"),
        (webp_header(300, 200, "VP8L"), "300x200"),
        (bmp_header(5000, -400), "5000x400"),  # a top-down bitmap: its height is negative
        (bmp_core_header(5000, 400), "5000x400"),  # OS/2: 16-bit sides
        (webp_header(4400, 300, "VP8 ", scale=1), "4400x300"),  # the scale bits are not the size
        (heic_header([(320, 240), (6000, 4000)]), "6000x4000"),  # no pitm/ipma: the last ispe
    ],
)
def test_a_main_image_outside_300_to_4000_px_is_refused_before_the_upload(content, size):
    assert image_problem(content) == (
        f"{size} px, outside the 300x300 to 4000x4000 px Upload Product Image takes for a main image"
    )


@pytest.mark.parametrize(
    "content",
    [
        png(300, 300),
        png_header(4000, 4000),
        jpeg_header(300, 4000),
        webp_header(1200, 900),
        bmp_header(800, -600),
        bmp_core_header(800, 600),
        webp_header(1200, 900, "VP8 ", scale=3),
        heic_header([(3000, 3000)]),
        heic_header([]),  # no ispe box: the size is not told, the API's answer decides
        PNG,  # a header with no size in it: likewise
    ],
)
def test_a_main_image_within_the_limits_or_of_untold_size_passes(content):
    assert image_problem(content) is None


def test_names_and_uris_are_pure_data():
    sent = body("a.png", "tos-uri-x", "a.png")
    assert main_image_names(sent) == ["a.png", "tos-uri-x"]
    assert main_image_names({"title": "no images"}) == []
    out = with_uris(sent, {"a.png": "U1"})
    assert uris(out) == ["U1", "tos-uri-x", "U1"] and uris(sent) == ["a.png", "tos-uri-x", "a.png"]
    assert out["skus"] is sent["skus"] and with_uris(sent, {}) == sent


def test_readable_names_become_uploaded_uris_and_the_others_are_sent_as_they_are(store):
    seller = Seller()
    sent = resolve(
        body("front.png", "tos-uri-old", "back.jpg"), Erp({"front.png": PNG, "back.jpg": JPEG}), seller, store
    )
    assert uris(sent) == ["tos-uri-1", "tos-uri-old", "tos-uri-2"]
    assert seller.uploads == [("front.png", PNG), ("back.jpg", JPEG)]
    kept = store.bindings.for_entity("s", IMAGE)
    row = kept[hashlib.sha256(PNG).hexdigest()]
    assert (row.seller_id, row.last_pushed_hash) == ("tos-uri-1", "front.png")
    assert kept[hashlib.sha256(JPEG).hexdigest()].seller_id == "tos-uri-2"


def test_the_same_bytes_are_uploaded_once_for_the_shop_under_any_name_and_after_a_crash(store):
    erp = Erp({"front.png": PNG, "copy-of-front.png": PNG, "other.png": OTHER_PNG})
    seller = Seller()
    assert uris(resolve(body("front.png", "copy-of-front.png"), erp, seller, store)) == ["tos-uri-1", "tos-uri-1"]
    # another product, and a rerun whose create never happened: a new process, a new seller
    again = Seller()
    assert uris(resolve(body("copy-of-front.png", "other.png"), erp, again, store, "P2")) == [
        "tos-uri-1",
        "tos-uri-1",
    ]
    assert [name for name, _ in seller.uploads] == ["front.png"]
    assert [name for name, _ in again.uploads] == ["other.png"]
    other_shop = resolve_images(body("front.png"), product="P1", erp=erp, seller=again, shop="t", remember=None)
    assert uris(other_shop) == ["tos-uri-2"]  # nothing remembered without bindings


def test_a_file_the_api_would_refuse_fails_the_product_naming_the_image_and_uploads_nothing(store):
    seller = Seller()
    erp = Erp({"ok.png": PNG, "anim.gif": b"GIF89a" + b"\x00" * 8})
    with pytest.raises(RecordError) as info:
        resolve(body("ok.png", "anim.gif"), erp, seller, store, "P7")
    assert (info.value.record, info.value.field) == ("product 'P7'", "image 'anim.gif'")
    assert "not a JPG, PNG" in str(info.value)
    assert seller.uploads == [] and store.bindings.for_entity("s", IMAGE) == {}


def test_a_phone_photo_too_large_for_a_main_image_fails_the_product_before_any_upload(store):
    seller = Seller()
    erp = Erp({"ok.png": png(), "photo.jpg": jpeg_header(4032, 3024)})
    with pytest.raises(RecordError) as info:
        resolve(body("ok.png", "photo.jpg"), erp, seller, store, "P8")
    assert (info.value.record, info.value.field) == ("product 'P8'", "image 'photo.jpg'")
    assert "4032x3024 px, outside the 300x300 to 4000x4000 px" in str(info.value)
    assert seller.uploads == [] and store.bindings.for_entity("s", IMAGE) == {}


def test_a_file_the_erp_cannot_read_keeps_the_erps_reason_and_source(store):
    erp = Erp({}, broken={"../secret.png": "outside the image directory erp: not read"})
    with pytest.raises(RecordError) as info:
        resolve(body("../secret.png"), erp, Seller(), store)
    assert (
        str(info.value)
        == "erp/../secret.png: product 'P1': image '../secret.png': outside the image directory erp: not read"
    )


def test_an_upload_refused_names_product_and_image_and_keeps_its_kind(store):
    refused = PermanentError("image too small", connector="TikTok", operation="upload image", code=12038014)
    with pytest.raises(PermanentError) as info:
        resolve(body("front.png"), Erp({"front.png": PNG}), Seller(fail=refused), store)
    assert "product 'P1': image 'front.png': image too small" in str(info.value) and info.value.code == 12038014
    lost = OutcomeUnknownError("read timeout", connector="TikTok", operation="upload image")
    with pytest.raises(OutcomeUnknownError):
        resolve(body("front.png"), Erp({"front.png": PNG}), Seller(fail=lost), store)
    assert store.bindings.for_entity("s", IMAGE) == {}


def test_without_an_image_erp_or_files_nothing_changes_and_a_seller_that_cannot_upload_is_said(store):
    sent = body("front.png")
    assert resolve(sent, object(), Seller(), store) == sent
    assert resolve(sent, Erp({}), object(), store) == sent
    with pytest.raises(PermanentError, match="cannot upload"):
        resolve(sent, Erp({"front.png": PNG}), object(), store)
