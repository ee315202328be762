"""Upload Product Image over loopback: what the page accepts is stored, what it refuses answers its code.

The sandbox's rules are unit-tested on plain data (tests/unit/test_sandbox_uploads.py); here the
multipart wire, the envelope, the uri a create may use, and the real TikTok client's view of a refusal.
"""

from __future__ import annotations

from typing import Any

import pytest
from image_bytes import bmp_header, heic_header, jpeg_header, png, png_header, webp_header
from sandbox_wire import APP_KEY, CIPHER, SECRET, TOKEN, UPLOAD, Wire, expect_error, product_body

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.core.errors import PermanentError
from erpsync.sandbox.server import SandboxServer

pytestmark = pytest.mark.integration

LIMITS = "The image dimensions exceed the allowed limits. Allowed dimensions (width x height in pixels): "


def send(wire: Wire, data: bytes, use_case: str = "MAIN_IMAGE", name: str = "item.png") -> Any:
    """The upload as any client sends it; the part's name and type say PNG whatever the bytes are."""
    files = {"data": (name, data, "image/png")}
    return wire.call("POST", UPLOAD, cipher=None, files=files, form={"use_case": use_case})


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (png(), "png"),
        (jpeg_header(1200, 900), "jpeg"),
        (webp_header(800, 800, "VP8 "), "webp"),
        (heic_header([(3000, 4000), (320, 240)]), "heic"),
        (bmp_header(640, -480), "bmp"),
    ],
)
def test_each_listed_format_uploads_and_its_uri_makes_a_product(wire: Wire, data: bytes, kind: str) -> None:
    image = wire.ok("POST", UPLOAD, cipher=None, files={"data": ("photo.bin", data, "image/png")})
    assert image["use_case"] == "MAIN_IMAGE" and image["url"].endswith(f".{kind}")
    body = product_body(wire, sku=f"UPLOAD-{kind.upper()}")
    body["main_images"] = [{"uri": image["uri"]}]
    assert wire.ok("POST", "/product/202309/products", body=body)["product_id"]


def test_refusals_answer_the_page_codes_and_messages(wire: Wire) -> None:
    gif = expect_error(send(wire, b"GIF89a\x2c\x01\x2c\x01" + b"\x00" * 40), 400, 12038004)
    assert gif["message"] == "Failed to process the image. The format or content is not supported."
    empty = expect_error(send(wire, b""), 400, 12038002)
    assert empty["message"] == "Invalid upload file. Please ensure you are passing the correct file data."
    huge = png_header(1000, 1000)
    big = expect_error(send(wire, huge + b"\x00" * (10_000_001 - len(huge))), 400, 12038005)
    assert big["message"] == "The file size exceeds the maximum allowed size."
    small = expect_error(send(wire, png_header(200, 200)), 400, 12038014)
    assert small["message"] == LIMITS + "300 x 300 to 4000 x 4000"
    wide = expect_error(send(wire, png_header(20001, 200), "DESCRIPTION_IMAGE"), 400, 12038014)
    assert wide["message"] == LIMITS + "100 x 100 to 20000 x 20000"


def test_a_small_image_serves_a_description_but_not_the_gallery(wire: Wire) -> None:
    files, form = {"data": ("a.png", png(200, 150))}, {"use_case": "DESCRIPTION_IMAGE"}
    image = wire.ok("POST", UPLOAD, cipher=None, files=files, form=form)
    assert (image["width"], image["height"], image["use_case"]) == (200, 150, "DESCRIPTION_IMAGE")
    expect_error(send(wire, png(200, 150)), 400, 12038014)


def test_the_client_sees_a_refused_upload_as_a_permanent_error_with_its_code(server: SandboxServer, wire: Wire) -> None:
    api = ProductsApi(TikTokClient(server.url, APP_KEY, SECRET, TOKEN), CIPHER)
    with pytest.raises(PermanentError) as info:
        api.upload_image(png(1, 1), "tiny.png")
    assert info.value.code == 12038014 and "300 x 300 to 4000 x 4000" in str(info.value)
    assert api.upload_image(png(), "photo.png").uri
