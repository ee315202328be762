"""The sandbox's Upload Product Image rules, on plain data: formats, size, dimensions per use case.

Each rule comes from the Upload Product Image page (docs/open-api-full.md §2): the code and the
message a refusal answers are the page's, the limits in the 12038014 message are filled in.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from image_bytes import bmp_header, heic_header, jpeg_header, png, png_header, webp_header

from erpsync.sandbox.envelope import SandboxError
from erpsync.sandbox.image_formats import image_size
from erpsync.sandbox.uploads import MAX_BYTES, upload_image

MAIN = "The image dimensions exceed the allowed limits. Allowed dimensions (width x height in pixels): "


def upload(data: bytes | None, use_case: str | None = "MAIN_IMAGE", uploads: dict | None = None) -> dict[str, Any]:
    form = {} if use_case is None else {"use_case": use_case}
    files = {} if data is None else {"data": io.BytesIO(data)}
    return upload_image({} if uploads is None else uploads, "app", form, files)


def refusal(data: bytes | None, use_case: str = "MAIN_IMAGE") -> tuple[int, int, str]:
    with pytest.raises(SandboxError) as info:
        upload(data, use_case)
    return info.value.status, info.value.code, info.value.message


@pytest.mark.parametrize(
    ("data", "kind", "size"),
    [
        (png(), "png", (300, 300)),
        (jpeg_header(640, 480), "jpeg", (640, 480)),
        (bmp_header(800, 600), "bmp", (800, 600)),
        (bmp_header(800, -600), "bmp", (800, 600)),  # a top-down bitmap: negative height
        (webp_header(1000, 900), "webp", (1000, 900)),
        (webp_header(1000, 900, "VP8 "), "webp", (1000, 900)),
        (webp_header(1000, 900, "VP8L"), "webp", (1000, 900)),
        (heic_header([(4000, 3000), (320, 240)]), "heic", (4000, 3000)),  # the largest ispe
        (heic_header([(500, 500)], (b"mif1", b"heic")), "heic", (500, 500)),
    ],
)
def test_every_listed_format_is_accepted_and_sized_from_its_bytes(data: bytes, kind: str, size: tuple) -> None:
    assert image_size(data) == (kind, *size)
    uploads: dict = {}
    answer = upload(data, uploads=uploads)
    assert (answer["width"], answer["height"]) == size and answer["use_case"] == "MAIN_IMAGE"
    assert answer["url"].endswith(f".{kind}") and uploads[answer["uri"]]["app_key"] == "app"


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a" + b"\x2c\x01\x2c\x01" + b"\x00" * 20,  # a 300x300 GIF: a real image, not a listed format
        heic_header([(500, 500)], (b"avif", b"mif1")),  # AVIF shares HEIF's container, not its codec
        b"II*\x00" + b"\x00" * 60,  # TIFF
        b"%PDF-1.7\n" + b"\x00" * 40,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 4,  # a PNG cut before its IHDR
    ],
)
def test_other_formats_and_broken_files_answer_12038004(data: bytes) -> None:
    message = "Failed to process the image. The format or content is not supported."
    assert refusal(data) == (400, 12038004, message)


def test_a_missing_or_empty_file_answers_12038002() -> None:
    message = "Invalid upload file. Please ensure you are passing the correct file data."
    assert refusal(None) == (400, 12038002, message)
    assert refusal(b"") == (400, 12038002, message)


def test_ten_megabytes_pass_and_one_byte_more_answers_12038005() -> None:
    assert MAX_BYTES == 10_000_000
    header = png_header(1000, 1000)
    assert upload(header + b"\x00" * (MAX_BYTES - len(header)))["width"] == 1000
    too_big = header + b"\x00" * (MAX_BYTES + 1 - len(header))
    assert refusal(too_big) == (400, 12038005, "The file size exceeds the maximum allowed size.")


@pytest.mark.parametrize(("width", "height"), [(299, 300), (300, 299), (4001, 4000), (100, 100), (20000, 20000)])
def test_a_main_image_outside_300_to_4000_answers_12038014_naming_the_limits(width: int, height: int) -> None:
    assert refusal(png_header(width, height)) == (400, 12038014, MAIN + "300 x 300 to 4000 x 4000")


@pytest.mark.parametrize("use_case", ["DESCRIPTION_IMAGE", "ATTRIBUTE_IMAGE", "CERTIFICATION_IMAGE"])
def test_other_use_cases_take_100_to_20000(use_case: str) -> None:
    for width, height in [(100, 100), (20000, 20000), (150, 18000)]:
        assert upload(jpeg_header(width, height), use_case)["use_case"] == use_case
    for width, height in [(99, 500), (500, 99), (20001, 500)]:
        assert refusal(jpeg_header(width, height), use_case) == (400, 12038014, MAIN + "100 x 100 to 20000 x 20000")


def test_a_size_chart_needs_1024_on_its_shorter_side() -> None:
    assert upload(png_header(1024, 3000), "SIZE_CHART_IMAGE")["height"] == 3000
    assert refusal(png_header(3000, 1023), "SIZE_CHART_IMAGE") == (400, 12038014, MAIN + "1024 x 1024 to 20000 x 20000")


def test_the_main_image_is_the_default_use_case_and_the_boundaries_pass() -> None:
    for width, height in [(300, 300), (4000, 4000), (300, 400), (4000, 3000)]:
        answer = upload(bmp_header(width, height), None)
        assert (answer["use_case"], answer["width"], answer["height"]) == ("MAIN_IMAGE", width, height)


def test_gallery_images_beyond_3_to_4_are_answered_squared() -> None:
    assert (upload(png_header(300, 401))["width"], upload(png_header(300, 401))["height"]) == (401, 401)
    attribute = upload(png_header(900, 300), "ATTRIBUTE_IMAGE")
    assert (attribute["width"], attribute["height"]) == (900, 900)
    description = upload(png_header(900, 300), "DESCRIPTION_IMAGE")
    assert (description["width"], description["height"]) == (900, 300)


def test_an_heic_without_ispe_is_accepted_unsized_and_a_sized_one_is_checked() -> None:
    answer = upload(heic_header([]))
    assert (answer["width"], answer["height"]) == (0, 0)
    assert refusal(heic_header([(6000, 4000)]))[1] == 12038014


def test_an_unknown_use_case_answers_11050001() -> None:
    status, code, message = refusal(png(), "BANNER")
    assert (status, code) == (400, 11050001) and message.startswith("invalid param") and "MAIN_IMAGE" in message
