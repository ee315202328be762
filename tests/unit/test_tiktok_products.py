"""ProductsApi against ``responses``: request shape, signature, paging, errors, validation, bad payloads."""

from __future__ import annotations

import json
from decimal import Decimal
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import urlsplit

import pytest
import requests
import responses
from open_api_fakes import APP_KEY, BASE, CIPHER, NOW, SECRET, TOKEN, Signed, fail, ok
from responses.registries import OrderedRegistry

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.connectors.tiktok.products.models import AuditStatus, NewProduct, NewSku, ProductStatus, SkuError
from erpsync.core.errors import (
    AuthError,
    NotFoundError,
    OutcomeUnknownError,
    PermanentError,
    RecordError,
    TemporaryError,
)
from erpsync.core.http import HttpPolicy

P = f"{BASE}/product/202309"
#: the two product operations documented at newer versions (Partner Center API reference)
SEARCH = f"{BASE}/product/202502/products/search"
EDIT = f"{BASE}/product/202509/products"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def client() -> TikTokClient:
    return TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=lambda: NOW)


@pytest.fixture
def api(client: TikTokClient) -> ProductsApi:
    return ProductsApi(client, CIPHER)


@pytest.fixture
def signed_timestamp() -> int:
    """The client reads a fixed clock: every signed request carries ``NOW``."""
    return NOW


def sent_json(request: requests.PreparedRequest) -> dict:
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.body)


def sku(i: int, **extra: object) -> dict:
    return {
        "id": f"S{i}",
        "seller_sku": f"SKU-{i}",
        "price": {"tax_exclusive_price": "9.90", "sale_price": "11.88", "currency": "GBP"},
        "inventory": [{"warehouse_id": "W1", "quantity": 5}],
        **extra,
    }


def product(i: int | str, **extra: object) -> dict:
    return {
        "id": str(i),
        "title": f"Mug {i}",
        "status": "ACTIVATE",
        "audit": {"status": "APPROVED"},
        "skus": [sku(1)],
        "create_time": NOW,
        "update_time": NOW + 1,
        **extra,
    }


NEW = NewProduct(
    title="Blue mug",
    description="<p>350 ml</p>",
    category_id="600001",
    main_images=["tos-uri-1"],
    skus=[NewSku("MUG-BLUE", Decimal("12.50"), "GBP", {"W1": 10, "W2": 0})],
    package_weight=("0.4", "KILOGRAM"),
)


# -- image upload ------------------------------------------------------------------------------


@responses.activate
def test_upload_image_is_multipart_unsigned_body_and_without_cipher(api: ProductsApi, assert_signed: Signed) -> None:
    reply = {"uri": "tos-uri-1", "url": "https://img/1.png", "width": 800, "height": 600, "use_case": "MAIN_IMAGE"}
    responses.post(f"{P}/images/upload", json=ok(reply))
    image = api.upload_image(PNG, "mug.png")
    assert (image.uri, image.url, image.width, image.height) == ("tos-uri-1", "https://img/1.png", 800, 600)
    request = responses.calls[0].request
    assert request.method == "POST"
    assert_signed(request, cipher=False)
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body
    )
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    assert parts["use_case"].get_content() == "MAIN_IMAGE"
    assert parts["data"].get_filename() == "mug.png"
    assert parts["data"].get_content_type() == "image/png"
    assert parts["data"].get_payload(decode=True) == PNG


@responses.activate
def test_upload_image_refuses_empty_files_and_unknown_use_cases_before_calling(api: ProductsApi) -> None:
    with pytest.raises(RecordError) as empty:
        api.upload_image(b"", "mug.png")
    assert (empty.value.record, empty.value.field) == ("image 'mug.png'", "data")
    with pytest.raises(RecordError, match="unknown use_case"):
        api.upload_image(PNG, "mug.png", use_case="BANNER")
    assert len(responses.calls) == 0


@responses.activate
def test_upload_image_server_rejection_is_permanent(api: ProductsApi) -> None:
    responses.post(f"{P}/images/upload", status=400, json=fail(36009004, "data is not an image"))
    with pytest.raises(PermanentError) as info:
        api.upload_image(b"not an image", "notes.txt", use_case="DESCRIPTION_IMAGE")
    assert info.value.code == 36009004 and "not an image" in str(info.value)


# -- create / edit -----------------------------------------------------------------------------


@responses.activate
def test_create_product_sends_the_exact_body_and_maps_skus(api: ProductsApi, assert_signed: Signed) -> None:
    reply = {"product_id": 1729000000000000001, "skus": [{"id": 42, "seller_sku": "MUG-BLUE"}], "warnings": []}
    responses.post(f"{P}/products", json=ok({**reply, "warnings": [{"message": "no brand"}]}))
    created = api.create_product(NEW)
    assert created.product_id == "1729000000000000001"
    assert created.skus == {"MUG-BLUE": "42"} and created.warnings == ("no brand",)
    request = responses.calls[0].request
    assert_signed(request)
    assert request.body == (
        b'{"title":"Blue mug","description":"<p>350 ml</p>","category_id":"600001",'
        b'"main_images":[{"uri":"tos-uri-1"}],"package_weight":{"value":"0.4","unit":"KILOGRAM"},'
        b'"save_mode":"LISTING","skus":[{"seller_sku":"MUG-BLUE","price":{"amount":"12.50","currency":"GBP"},'
        b'"inventory":[{"warehouse_id":"W1","quantity":10},{"warehouse_id":"W2","quantity":0}]}]}'
    )


@responses.activate
def test_create_product_accepts_a_dict_body(api: ProductsApi) -> None:
    responses.post(f"{P}/products", json=ok({"product_id": "P1", "skus": [{"id": "S1", "seller_sku": "A"}]}))
    body = {**NEW.to_body(), "save_mode": "AS_DRAFT"}
    body["skus"] = [{"seller_sku": "A", "price": {"amount": "1E+1", "currency": "GBP"}, "inventory": []}]
    assert api.create_product(body).skus == {"A": "S1"}
    sent = sent_json(responses.calls[0].request)
    assert sent["save_mode"] == "AS_DRAFT" and sent["skus"][0]["price"]["amount"] == "10"


@pytest.fixture
def patient_api() -> ProductsApi:
    """Retries allowed, so a test shows which calls are resent and which are not."""
    policy = HttpPolicy(max_attempts=3, backoff_initial=0, backoff_jitter=0)
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=policy, clock=lambda: NOW, sleep=lambda _: None)
    return ProductsApi(client, CIPHER)


def created_hit(**changes: object) -> dict:
    hit = product("1729000000000000001", title="Blue mug", skus=[{**sku(42), "id": "42", "seller_sku": "MUG-BLUE"}])
    return {**hit, **changes}


@responses.activate
def test_create_product_lost_answer_finds_the_product_by_seller_sku(patient_api: ProductsApi) -> None:
    responses.post(f"{P}/products", status=500, json=fail(36009003, "internal"))
    responses.post(f"{P}/products", json=ok({"product_id": "DUPLICATE", "skus": []}))  # must never be asked
    responses.post(SEARCH, json=ok({"products": [created_hit()], "next_page_token": ""}))
    created = patient_api.create_product(NEW)
    assert created.product_id == "1729000000000000001" and created.skus == {"MUG-BLUE": "42"}
    paths = [urlsplit(c.request.url).path for c in responses.calls]
    assert paths == ["/product/202309/products", "/product/202502/products/search"]  # ONE create call
    assert sent_json(responses.calls[1].request) == {"seller_skus": ["MUG-BLUE"]}


@pytest.mark.parametrize(
    "search",
    [
        ok({"products": [], "next_page_token": ""}),  # not created
        ok({"products": [created_hit(title="Another mug")], "next_page_token": ""}),  # someone else's product
        # two products alike: which one the create made cannot be told, the next run's lookup says so
        ok({"products": [created_hit(), created_hit(id="1729000000000000002")], "next_page_token": ""}),
        fail(106001, "bad sign"),  # the lookup fails too: still unknown
    ],
)
@responses.activate(registry=OrderedRegistry)
def test_create_product_lost_answer_not_found_stays_outcome_unknown(patient_api: ProductsApi, search: dict) -> None:
    responses.post(f"{P}/products", body=requests.ReadTimeout("answer lost"))
    responses.post(SEARCH, status=200, json=search)
    with pytest.raises(OutcomeUnknownError):
        patient_api.create_product(NEW)
    creates = [c for c in responses.calls if urlsplit(c.request.url).path == "/product/202309/products"]
    assert len(creates) == 1


@responses.activate(registry=OrderedRegistry)
def test_image_upload_is_not_resent(patient_api: ProductsApi) -> None:
    responses.post(f"{P}/images/upload", status=500, json=fail(36009003))
    with pytest.raises(OutcomeUnknownError):
        patient_api.upload_image(PNG, "mug.png")
    assert len(responses.calls) == 1


@responses.activate(registry=OrderedRegistry)
def test_setting_writes_are_resent_after_a_lost_answer(patient_api: ProductsApi) -> None:
    for url, reply in (
        (f"{P}/products/1729/inventory/update", {}),
        (f"{P}/products/1729/prices/update", {}),
        (f"{EDIT}/1729/partial_edit", {"product_id": "1729", "skus": []}),
    ):
        responses.post(url, status=500, json=fail(36009003))
        responses.post(url, json=ok(reply))
    assert patient_api.update_inventory("1729", {"S1": {"W1": 3}}) == []
    patient_api.update_prices("1729", {"S1": ("9.90", "GBP")})
    patient_api.partial_edit("1729", {"title": "Blue mug"})
    assert len(responses.calls) == 6  # each set-to-a-value write: one lost answer, one resend


def _with_sku(**changes: object) -> dict:
    body = NEW.to_body()
    body["skus"] = [{**body["skus"][0], **changes}]
    return body


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({**NEW.to_body(), "title": ""}, "title", "non-empty"),
        ({**NEW.to_body(), "title": "x" * 301}, "title", "at most 300"),
        ({**NEW.to_body(), "title": "x" * 1_000_000}, "title", "at most 300"),
        ({**NEW.to_body(), "main_images": []}, "main_images", "at least one"),
        ({**NEW.to_body(), "main_images": [{"uri": ""}]}, "main_images[0].uri", "non-empty"),
        ({**NEW.to_body(), "skus": []}, "skus", "at least one"),
        (_with_sku(price={"amount": "0", "currency": "GBP"}), "skus[MUG-BLUE].price.amount", "> 0"),
        (_with_sku(price={"amount": "-1", "currency": "GBP"}), "skus[MUG-BLUE].price.amount", "> 0"),
        (_with_sku(price={"amount": "abc", "currency": "GBP"}), "skus[MUG-BLUE].price.amount", "not a decimal"),
        (_with_sku(price={"amount": "NaN", "currency": "GBP"}), "skus[MUG-BLUE].price.amount", "finite"),
        (_with_sku(price={"amount": 1.1, "currency": "GBP"}), "skus[MUG-BLUE].price.amount", "not float"),
        (_with_sku(price={"amount": "1", "currency": ""}), "skus[MUG-BLUE].price.currency", "non-empty"),
        (
            _with_sku(inventory=[{"warehouse_id": "W1", "quantity": 100_000}]),
            "skus[MUG-BLUE].inventory[W1].quantity",
            "outside 0..99,999",
        ),
        (
            _with_sku(inventory=[{"warehouse_id": "W1", "quantity": "5"}]),
            "skus[MUG-BLUE].inventory[W1].quantity",
            "integer",
        ),
        ({**NEW.to_body(), "skus": NEW.to_body()["skus"] * 2}, "skus", "duplicate seller_sku MUG-BLUE"),
    ],
)
@responses.activate
def test_create_product_is_checked_before_any_call(api: ProductsApi, body: dict, field: str, reason: str) -> None:
    with pytest.raises(RecordError) as info:
        api.create_product(body)
    assert info.value.field == field and reason in info.value.reason
    assert info.value.record.startswith("new product")
    assert len(str(info.value)) < 500  # a 1 MB title is not echoed back
    assert len(responses.calls) == 0


@responses.activate
def test_partial_edit_sends_only_the_changes(api: ProductsApi, assert_signed: Signed) -> None:
    responses.post(f"{EDIT}/1729/partial_edit", json=ok({"product_id": "1729", "skus": [], "warnings": []}))
    edited = api.partial_edit("1729", {"title": "Blue mug, 350 ml"})
    assert edited.product_id == "1729" and edited.skus == {}
    request = responses.calls[0].request
    assert_signed(request)
    assert request.body == b'{"title":"Blue mug, 350 ml"}'
    with pytest.raises(RecordError, match="nothing to change"):
        api.partial_edit("1729", {})
    with pytest.raises(RecordError) as info:
        api.partial_edit("1729", {"skus": [{"id": "S1", "price": {"amount": "0", "currency": "GBP"}}]})
    assert (info.value.record, info.value.field) == ("product 1729", "skus[S1].price.amount")
    assert len(responses.calls) == 1


@responses.activate
def test_partial_edit_of_an_unknown_product_is_permanent(api: ProductsApi) -> None:
    responses.post(f"{EDIT}/404/partial_edit", status=404, json=fail(12052260, "product not exist"))
    with pytest.raises(NotFoundError) as info:
        api.partial_edit("404", {"title": "x"})
    assert info.value.code == 12052260 and "product does not exist" in str(info.value)


# -- read --------------------------------------------------------------------------------------


@responses.activate
def test_get_product_is_typed(api: ProductsApi, assert_signed: Signed) -> None:
    raw = product(
        1729000000000000001,
        id=1729000000000000001,  # a JSON number
        status="FAILED",
        audit={"status": "FAILED"},
        description="<p>d</p>",
        main_images=[{"uri": "tos-1", "urls": ["https://img/1"]}],
        audit_failed_reasons=[{"position": "title", "reasons": ["banned word"], "suggestions": ["remove it"]}],
        skus=[sku(1, id=77, inventory=[{"warehouse_id": 9001, "quantity": 3}, {"warehouse_id": "W2", "quantity": 0}])],
        unknown_new_field={"ignored": True},
    )
    responses.get(f"{P}/products/1729000000000000001", json=ok(raw))
    got = api.get_product("1729000000000000001")
    assert got.id == "1729000000000000001" and got.title == "Mug 1729000000000000001"
    assert got.status is ProductStatus.FAILED and got.audit_status is AuditStatus.FAILED
    assert got.status == "FAILED"  # str enums compare to the wire value
    (reason,) = got.audit_failed_reasons
    assert (reason.position, reason.reasons, reason.suggestions) == ("title", ("banned word",), ("remove it",))
    assert got.main_images == ("tos-1",)
    (s,) = got.skus
    assert (s.id, s.seller_sku) == ("77", "SKU-1")
    assert s.price.amount == Decimal("9.90") and s.price.currency == "GBP" and s.price.sale_price == Decimal("11.88")
    assert s.quantities == {"9001": 3, "W2": 0}
    assert (got.create_time, got.update_time) == (NOW, NOW + 1)
    request = responses.calls[0].request
    assert_signed(request)
    assert request.method == "GET" and request.body is None


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (404, 12052032, NotFoundError),
        (200, 12019150, NotFoundError),
        (400, 12052048, NotFoundError),
        (400, 12052700, PermanentError),
        (403, 105005, AuthError),
        (429, 36009002, TemporaryError),
        (500, 36009003, TemporaryError),
        (503, 0, TemporaryError),
    ],
)
@responses.activate
def test_get_product_errors(api: ProductsApi, status: int, code: int, error: type) -> None:
    payload = fail(code) if code else {"message": "unavailable"}
    responses.get(f"{P}/products/9", status=status, json=payload)
    with pytest.raises(error) as info:
        api.get_product("9")
    assert type(info.value) is error and info.value.status == status
    assert "get product" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"title": "no id", "status": "ACTIVATE"}, "id"),
        (product(1, status=7), "status"),
        (product(1, audit={"status": ["APPROVED"]}), "audit.status"),
        (product(1, title=["not", "text"]), "title"),
        (product(1, skus=[sku(1, price={"tax_exclusive_price": "cheap", "currency": "GBP"})]), "skus.0.price"),
        (product(1, skus=[sku(1, inventory=[{"warehouse_id": "W1", "quantity": "many"}])]), "skus.0.inventory"),
        (product(1, update_time="yesterday"), "update_time"),
    ],
)
@responses.activate
def test_get_product_malformed_is_a_record_error(api: ProductsApi, raw: dict, field: str) -> None:
    responses.get(f"{P}/products/1", json=ok(raw))
    with pytest.raises(RecordError) as info:
        api.get_product("1")
    assert info.value.record == "product 1"
    assert info.value.record_id == "1"  # the product asked for, whatever the answer holds
    assert info.value.field.startswith(field)


@responses.activate
def test_a_1mb_title_is_read_as_sent(api: ProductsApi) -> None:
    responses.get(f"{P}/products/1", json=ok(product(1, title="é" * 1_000_000)))
    assert len(api.get_product("1").title) == 1_000_000


# -- search ------------------------------------------------------------------------------------


@responses.activate(registry=OrderedRegistry)
def test_search_products_pages_lazily(api: ProductsApi, assert_signed: Signed) -> None:
    url = SEARCH
    responses.post(url, json=ok({"products": [product(1), product(2)], "next_page_token": "t2", "total_count": 5}))
    responses.post(url, json=ok({"products": [product(3), product(4)], "next_page_token": "t3", "total_count": 5}))
    responses.post(url, json=ok({"products": [product(5)], "next_page_token": "", "total_count": 5}))
    pages = api.search_products(seller_skus=["SKU-1"], status=ProductStatus.ACTIVATE, update_time_ge=NOW - 60)
    assert len(responses.calls) == 0  # nothing is sent before the first page is asked for
    first = next(pages)
    assert [p.id for p in first.items] == ["1", "2"] and first.errors == ()
    assert len(responses.calls) == 1  # page 2 is not requested before page 1 is consumed
    second = next(pages)
    assert [p.id for p in second.items] == ["3", "4"] and len(responses.calls) == 2
    assert [p.id for page in pages for p in page.items] == ["5"]
    assert len(responses.calls) == 3
    queries = [assert_signed(c.request) for c in responses.calls]
    assert [q["page_size"] for q in queries] == ["100"] * 3
    assert [q.get("page_token") for q in queries] == [None, "t2", "t3"]
    for call in responses.calls:
        assert call.request.body == (
            b'{"status":"ACTIVATE","seller_skus":["SKU-1"],"update_time_ge":' + str(NOW - 60).encode() + b"}"
        )
    summary = first.items[0]
    assert summary.status is ProductStatus.ACTIVATE and summary.audit_status is AuditStatus.APPROVED
    assert summary.skus[0].quantities == {"W1": 5}


@responses.activate
def test_search_products_keeps_good_records_and_names_the_bad_ones(api: ProductsApi) -> None:
    page = [
        product(1),
        product(1729000000000000002, status=False),
        {"title": "no id"},
        product(7000000000000000004, id=7000000000000000004),
        product(5, title="t" * 1_000_000),
        "not an object",
        product("x" * 10_000, skus="nope"),
    ]
    responses.post(SEARCH, json=ok({"products": page, "next_page_token": ""}))
    (found,) = list(api.search_products(page_size=10))
    assert [p.id for p in found.items] == ["1", "7000000000000000004", "5"]
    labels = {e.record: e.field for e in found.errors}
    assert labels["product 1729000000000000002"] == "status"  # not text: malformed, unlike a new value
    assert labels["product #2"] == "id"
    assert "product #5" in labels
    long_label = next(r for r in labels if r.startswith("product xxx"))
    assert len(long_label) < 100 and labels[long_label] == "skus"
    assert all(str(e).startswith("TikTok /product/202502/products/search: product") for e in found.errors)


@responses.activate
def test_a_bad_search_hit_carries_its_whole_id_for_matching(api: ProductsApi) -> None:
    """The label people read may be cut short; ``record_id`` is the id as the hit gives it, as its
    loaded value would hold it, and None for a hit with no readable id."""
    long_id = "7" * 100
    page = [
        product(long_id, status=False),
        product(" 1729000000000000002 ", status=False),
        product(1729000000000000003, id=1729000000000000003, status=False),
        {"title": "no id"},
        "not an object",
    ]
    responses.post(SEARCH, json=ok({"products": page, "next_page_token": ""}))
    (found,) = list(api.search_products(page_size=10))
    assert found.items == ()
    assert [(e.record_id, e.record) for e in found.errors] == [
        (long_id, "product " + "7" * 64 + "…"),
        ("1729000000000000002", "product 1729000000000000002"),
        ("1729000000000000003", "product 1729000000000000003"),
        (None, "product #3"),
        (None, "product #4"),
    ]


@responses.activate(registry=OrderedRegistry)
def test_search_products_refuses_a_repeated_page_token(api: ProductsApi) -> None:
    url = SEARCH
    responses.post(url, json=ok({"products": [product(1)], "next_page_token": "same"}))
    responses.post(url, json=ok({"products": [product(2)], "next_page_token": "same"}))
    pages = api.search_products()
    next(pages)
    next(pages)
    with pytest.raises(PermanentError, match="page_token 'same' twice"):
        next(pages)
    assert len(responses.calls) == 2


@responses.activate
def test_search_products_page_size_is_checked_and_a_server_refusal_is_permanent(api: ProductsApi) -> None:
    for bad in (0, 101, True):
        with pytest.raises(ValueError, match="page_size"):
            api.search_products(page_size=bad)
    assert len(responses.calls) == 0
    responses.post(SEARCH, status=400, json=fail(36009004, "page_size must be in [1, 100]"))
    with pytest.raises(PermanentError) as info:
        next(api.search_products(page_size=100))
    assert info.value.code == 36009004 and "page_size" in str(info.value)


@responses.activate
def test_search_products_broken_page_is_permanent(api: ProductsApi) -> None:
    responses.post(SEARCH, json=ok({"products": {"1": product(1)}}))
    with pytest.raises(PermanentError, match="products is not a list"):
        next(api.search_products())


# -- inventory and prices ----------------------------------------------------------------------


@responses.activate
def test_update_inventory_body_and_per_sku_errors_are_returned(api: ProductsApi, assert_signed: Signed) -> None:
    errors = [
        {"code": 12052217, "message": "sku not found", "detail": {"sku_id": 404}},
        "garbage",
    ]
    responses.post(f"{P}/products/1729/inventory/update", json=ok({"errors": errors}))
    result = api.update_inventory("1729", {"S1": {"W1": 0, "W2": 99_999}, "404": {"W1": 1}})
    assert result[0] == SkuError("404", 12052217, "sku not found")
    assert result[1].sku_id is None and "unreadable" in result[1].message
    request = responses.calls[0].request
    assert_signed(request)
    assert request.body == (
        b'{"skus":[{"id":"S1","inventory":[{"warehouse_id":"W1","quantity":0},'
        b'{"warehouse_id":"W2","quantity":99999}]},{"id":"404","inventory":[{"warehouse_id":"W1","quantity":1}]}]}'
    )


@responses.activate
def test_update_inventory_without_errors_returns_an_empty_list(api: ProductsApi) -> None:
    responses.post(f"{P}/products/1729/inventory/update", json=ok({}))
    assert api.update_inventory("1729", {"S1": {"W1": 3}}) == []
    assert api.update_inventory("1729", {}) == []
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("value", "reason"), [(-1, "outside"), (100_000, "outside"), (2.0, "integer"), (True, "integer")]
)
@responses.activate
def test_update_inventory_checks_quantities_before_any_call(api: ProductsApi, value: object, reason: str) -> None:
    with pytest.raises(RecordError) as info:
        api.update_inventory("1729", {"S1": {"W1": 1}, "S2": {"W1": 1, "W7": value}})
    assert info.value.record == "product 1729 sku S2" and info.value.field == "warehouse W7 quantity"
    assert reason in info.value.reason
    with pytest.raises(RecordError, match="every warehouse"):
        api.update_inventory("1729", {"S1": {}})
    assert len(responses.calls) == 0


@responses.activate
def test_update_prices_sends_decimal_strings(api: ProductsApi, assert_signed: Signed) -> None:
    responses.post(f"{P}/products/1729/prices/update", json=ok({}))
    assert api.update_prices("1729", {"S1": (Decimal("12.50"), "GBP"), "S2": ("7", "GBP")}) is None
    request = responses.calls[0].request
    assert_signed(request)
    assert request.body == (
        b'{"skus":[{"id":"S1","price":{"amount":"12.50","currency":"GBP"}},'
        b'{"id":"S2","price":{"amount":"7","currency":"GBP"}}]}'
    )


@pytest.mark.parametrize("amount", [Decimal(0), "-3", "free", 9.99, Decimal("Infinity")])
@responses.activate
def test_update_prices_refuses_bad_amounts_before_any_call(api: ProductsApi, amount: object) -> None:
    with pytest.raises(RecordError) as info:
        api.update_prices("1729", {"S1": (amount, "GBP")})
    assert (info.value.record, info.value.field) == ("product 1729 sku S1", "price.amount")
    assert len(responses.calls) == 0


@responses.activate
def test_update_prices_on_a_product_that_is_not_active_is_permanent(api: ProductsApi) -> None:
    responses.post(
        f"{P}/products/1729/prices/update",
        status=400,
        json=fail(12052901, "product status does not allow price update"),
    )
    with pytest.raises(PermanentError) as info:
        api.update_prices("1729", {"S1": ("5.00", "GBP")})
    assert info.value.code == 12052901 and "current status is not available" in str(info.value)
