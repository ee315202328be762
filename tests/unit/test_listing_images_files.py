"""The files ERP reads image files only from its image directory; the TikTok seller uploads them.

The seller side is the connector's ``ListingPush`` over the real client, answered by ``responses``.
"""

from __future__ import annotations

import os
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest
import responses
from listing_seller import Seller
from open_api_fakes import BASE, fail, ok

from erpsync.connectors.files import FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError, RecordError
from erpsync.core.listing_images import MAX_IMAGE_BYTES, ListingImageSource, ListingImageUploader

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
UPLOAD = f"{BASE}/product/202309/images/upload"


def erp(tmp_path: Path, **options: str) -> FilesErp:
    opts = FilesErpOptions().load({"path": "erp", "products": "catalogue/products.csv", **options})
    return FilesErp(opts, shop=ShopContext(name="s", base_dir=tmp_path))


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """erp/catalogue/ holds the products file and front.png; erp/ itself holds secret.png."""
    (tmp_path / "erp" / "catalogue" / "photos").mkdir(parents=True)
    (tmp_path / "erp" / "catalogue" / "front.png").write_bytes(PNG)
    (tmp_path / "erp" / "catalogue" / "photos" / "side.png").write_bytes(PNG + b"side")
    (tmp_path / "erp" / "secret.png").write_bytes(PNG + b"secret")
    return tmp_path


def test_names_are_files_in_the_products_files_directory(files):
    source = erp(files)
    assert isinstance(source, ListingImageSource)
    assert source.read_listing_image("front.png") == PNG
    assert source.read_listing_image("photos/side.png") == PNG + b"side"
    inside = str(files / "erp" / "catalogue" / "front.png")
    assert source.read_listing_image(inside) == PNG  # an absolute path inside is a file of it too


@pytest.mark.parametrize(
    "name", ["../secret.png", "photos/../../secret.png", "/etc/passwd", "ABSOLUTE_SECRET", "../../../etc/hosts"]
)
def test_a_name_escaping_the_image_directory_is_refused_not_read(files, name):
    name = str(files / "erp" / "secret.png") if name == "ABSOLUTE_SECRET" else name
    with pytest.raises(RecordError, match="outside the image directory"):
        erp(files).read_listing_image(name)


def test_a_symlink_pointing_out_is_refused(files):
    os.symlink(files / "erp" / "secret.png", files / "erp" / "catalogue" / "link.png")
    with pytest.raises(RecordError, match="outside the image directory"):
        erp(files).read_listing_image("link.png")


def test_images_dir_is_the_directory_when_set(files):
    source = erp(files, images_dir="catalogue/photos")
    assert source.read_listing_image("side.png") == PNG + b"side"
    with pytest.raises(RecordError, match="outside the image directory"):
        source.read_listing_image("../front.png")


def test_uris_and_urls_are_not_the_erps_but_a_missing_image_file_is_an_error(files):
    source = erp(files)
    assert source.read_listing_image("tos-maliva-i-o3syd03w52-us/c668cdf70b7f483c94dbe") is None
    assert source.read_listing_image("https://example.com/a.png") is None
    with pytest.raises(RecordError, match="no such file in") as info:
        source.read_listing_image("back.jpg")
    assert info.value.source is not None and info.value.source.endswith("back.jpg")
    with pytest.raises(RecordError, match="not a file"):
        source.read_listing_image("photos")
    with pytest.raises(RecordError, match="not a usable file name"):
        source.read_listing_image("front\x00.png")


def test_a_large_file_is_read_only_one_byte_past_the_limit(files):
    (files / "erp" / "catalogue" / "huge.png").write_bytes(PNG + b"\x00" * (MAX_IMAGE_BYTES + 1000))
    assert len(erp(files).read_listing_image("huge.png") or b"") == MAX_IMAGE_BYTES + 1


@responses.activate
def test_the_seller_uploads_a_main_image_under_its_base_name_and_answers_the_uri():
    reply = {"uri": "tos-uri-1", "url": "https://img/1.png", "width": 800, "height": 800, "use_case": "MAIN_IMAGE"}
    responses.post(UPLOAD, json=ok(reply))
    seller = Seller()
    assert isinstance(seller, ListingImageUploader)
    assert seller.upload_listing_image(PNG, "photos/side.png") == "tos-uri-1"
    request = responses.calls[0].request
    content_type = request.headers["Content-Type"]
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body
    )
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    assert parts["use_case"].get_content() == "MAIN_IMAGE"
    assert parts["data"].get_filename() == "side.png"
    assert parts["data"].get_payload(decode=True) == PNG


@responses.activate
def test_a_refused_upload_is_permanent_with_the_apis_code():
    responses.post(UPLOAD, status=400, json=fail(12038014, "The image dimensions exceed the allowed limits"))
    with pytest.raises(PermanentError) as info:
        Seller().upload_listing_image(PNG, "front.png")
    assert info.value.code == 12038014 and len(responses.calls) == 1
