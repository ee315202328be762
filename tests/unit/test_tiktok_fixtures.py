"""Every recorded response (``tests/fixtures/tiktok/responses``) parsed by the real client method.

The fixtures copy the documented sample of each operation (see that folder's README): every
documented field, the ones the client ignores included. Each test serves one fixture at its
operation's path (from ``versions.py``, the one table of paths) and asserts that the method's
result has no RecordError and carries the key fields: ids as strings, statuses, times. Then
the tolerance rules: a value the client does not know is kept as UNKNOWN (or, for a handover
method, as no evidence) with a note, never a dropped record.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
from open_api_fakes import APP_KEY, BASE, CIPHER, NOW, SECRET, TOKEN, query

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.fulfillment.models import PackageStatus, PickupSlot, Shipment
from erpsync.connectors.tiktok.orders.api import OrdersApi
from erpsync.connectors.tiktok.orders.models import OrderStatus
from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.connectors.tiktok.products.models import AuditStatus, NewProduct, NewSku, ProductStatus
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.connectors.tiktok.versions import ENDPOINTS
from erpsync.core.aspects.pickup_state import infer_pickup_state
from erpsync.core.connector import ShopContext
from erpsync.core.http import HttpPolicy
from erpsync.core.models import (
    Address,
    HandoverMode,
    PackageSignal,
    PickupSignals,
    ProviderRegion,
    SubscriptionStatus,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tiktok" / "responses"
SHOP_ID = "8100000000000000001"  # the shop of get_authorized_shops.json


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def serve(name: str, body: dict[str, Any] | None = None, **ids: str) -> str:
    """Register operation ``name`` at its documented path, answering its fixture (or ``body``)."""
    endpoint = ENDPOINTS[name]
    url = BASE + endpoint.path(**ids)
    responses.add(endpoint.method, url, json=body if body is not None else fixture(name))
    return url


@pytest.fixture
def client() -> TikTokClient:
    return TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=lambda: NOW)


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# -- one check per operation -------------------------------------------------------------------


def check_get_authorized_shops(client: TikTokClient) -> None:
    serve("get_authorized_shops")
    found = client.shops()
    assert found.errors == ()
    (shop,) = found.items
    assert shop["id"] == SHOP_ID and shop["cipher"] == "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3"
    assert (shop["region"], shop["seller_type"]) == ("GB", "CROSS_BORDER")


def check_get_warehouse_list(client: TikTokClient) -> None:
    serve("get_authorized_shops")
    serve("get_warehouse_list")
    seller = TikTokSellerConnector(
        {"app_key": APP_KEY, "app_secret": SECRET, "access_token": TOKEN, "shop_id": SHOP_ID, "base_url": BASE},
        shop=ShopContext(name="demo", base_dir=Path(".")),
        client=client,
    )
    found = seller.list_warehouses()
    assert found.errors == ()
    (warehouse,) = found.items
    assert warehouse.id == "8100000000000000001"
    assert warehouse.address.district == "HuaDu"  # the API's `distict` (sic)
    assert warehouse.address.city == "GuanZhou" and warehouse.address.postal_code == "510000"
    raw = client.warehouses("GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3").items[0]
    assert (raw["effect_status"], raw["type"], raw["sub_type"]) == ("ENABLED", "SALES_WAREHOUSE", "DOMESTIC_WAREHOUSE")


def check_get_warehouse_delivery_options(client: TikTokClient) -> None:
    serve("get_warehouse_delivery_options", warehouse_id="W1")
    (option,) = FulfillmentApi(client, CIPHER).delivery_options("W1")
    assert (option.id, option.name, option.type) == ("8100000000000000001", "LSV-TTS-STD", "STANDARD")


def check_get_shipping_providers(client: TikTokClient) -> None:
    serve("get_shipping_providers", delivery_option_id="D1")
    (provider,) = FulfillmentApi(client, CIPHER).shipping_providers("W1", "D1")
    assert (provider.id, provider.name, provider.delivery_option_id) == ("8100000000000000001", "USPS", "D1")


def check_upload_product_image(client: TikTokClient) -> None:
    serve("upload_product_image")
    image = ProductsApi(client, CIPHER).upload_image(b"\x89PNG\r\n\x1a\n" + b"0" * 16, "mug.png")
    assert image.uri == "tos-maliva-i-o3syd03w52-us/c668cdf70b7f483c94dbe"
    assert (image.width, image.height, image.use_case) == (720, 720, "MAIN_IMAGE")


def _new_product() -> NewProduct:
    sku = NewSku("Color-Red-XM001", "9.90", "GBP", {"W1": 3})
    return NewProduct("Blue mug, 350 ml", "<p>A mug</p>", "600001", ["tos-1"], [sku])


def check_create_product(client: TikTokClient) -> None:
    serve("create_product")
    created = ProductsApi(client, CIPHER).create_product(_new_product())
    assert created.product_id == "8100000000000000001"
    assert created.skus == {"Color-Red-XM001": "8100000000000000002"}
    assert len(created.warnings) == 1 and "brand_id" in created.warnings[0]


def check_partial_edit_product(client: TikTokClient) -> None:
    serve("partial_edit_product", product_id="8100000000000000001")
    edited = ProductsApi(client, CIPHER).partial_edit("8100000000000000001", {"title": "Blue mug, 350 ml"})
    assert edited.product_id == "8100000000000000001"
    assert edited.skus == {"seller sku xxaa": "8100000000000000002"}
    assert edited.warnings == ()  # 202509 answers `audit`, not `warnings`


def check_get_product(client: TikTokClient) -> None:
    serve("get_product", product_id="8100000000000000001")
    product = ProductsApi(client, CIPHER).get_product("8100000000000000001")
    assert product.id == "8100000000000000001" and product.notes == ()
    assert product.status is ProductStatus.SELLER_DEACTIVATED and product.audit_status is AuditStatus.AUDITING
    assert isinstance(product.create_time, int) and isinstance(product.update_time, int)
    assert product.skus and all(isinstance(s.id, str) for s in product.skus)
    assert product.skus[0].quantities == {"8100000000000000006": 999}
    assert product.main_images and product.audit_failed_reasons


def check_search_products(client: TikTokClient) -> None:
    body = fixture("search_products")
    body["data"]["next_page_token"] = ""  # one page: the documented sample names a next page
    serve("search_products", body)
    (page,) = list(ProductsApi(client, CIPHER).search_products(seller_skus=["Color-Red-XM01"]))
    assert page.errors == ()
    (hit,) = page.items
    assert hit.id == "8100000000000000001" and hit.notes == ()
    assert hit.status is ProductStatus.ACTIVATE and hit.audit_status is AuditStatus.AUDITING
    assert (hit.skus[0].id, hit.skus[0].seller_sku) == ("8100000000000000002", "Color-Red-XM01")
    assert hit.skus[0].price is not None and hit.skus[0].price.currency == "USD"
    assert isinstance(hit.create_time, int) and isinstance(hit.update_time, int)


def check_update_inventory(client: TikTokClient) -> None:
    serve("update_inventory", product_id="P1")
    (error,) = ProductsApi(client, CIPHER).update_inventory("P1", {"8100000000000000001": {"W1": 3}})
    assert (error.sku_id, error.code, error.message) == ("8100000000000000001", 12052990, "Check failed")


def check_update_price(client: TikTokClient) -> None:
    url = serve("update_price", product_id="P1")
    assert ProductsApi(client, CIPHER).update_prices("P1", {"S1": ("9.90", "GBP")}) is None
    assert responses.calls[-1].request.url.startswith(url)


def _order_checks(orders: tuple[Any, ...]) -> None:
    (order,) = orders
    assert order.id == "8100000000000000001" and order.notes == ()
    assert order.status is OrderStatus.UNPAID
    assert (order.create_time, order.update_time) == (1619611561, 1619621355)
    assert (
        isinstance(order.warehouse_id, str) and order.package_ids and all(isinstance(p, str) for p in order.package_ids)
    )
    assert order.payment is not None and order.payment.total_amount == Decimal("5000")
    line = order.line_items[0]
    assert (line.id, line.package_id) == ("8100000000000000007", "8100000000000000012")


def check_get_order_list(client: TikTokClient) -> None:
    body = fixture("get_order_list")
    body["data"]["next_page_token"] = ""  # one page: the documented sample names a next page
    serve("get_order_list", body)
    (page,) = list(OrdersApi(client, CIPHER).search_orders(update_time_ge=NOW - 60, update_time_lt=NOW))
    assert page.errors == ()
    _order_checks(page.items)


def check_get_order_detail(client: TikTokClient) -> None:
    serve("get_order_detail")
    found = OrdersApi(client, CIPHER).get_orders(["8100000000000000001"])
    assert found.errors == ()
    _order_checks(found.items)
    assert query(responses.calls[-1].request)["ids"] == "8100000000000000001"


def check_search_package(client: TikTokClient) -> None:
    body = fixture("search_package")
    body["data"]["next_page_token"] = ""
    serve("search_package", body)
    (page,) = list(FulfillmentApi(client, CIPHER).search_packages(NOW - 86400))
    assert page.errors == ()
    (package,) = page.items
    assert package.id == "8100000000000000001" and package.status is PackageStatus.PROCESSING
    assert package.order_ids == ("8100000000000000001",) and package.notes == ()
    assert package.tracking_number == "6617675021119438849" and package.shipping_provider_id == "8100000000000000003"
    assert package.create_time == at(1635338186)


def check_get_package_detail(client: TikTokClient) -> None:
    serve("get_package_detail", package_id="8100000000000000099")
    package = FulfillmentApi(client, CIPHER).get_package("8100000000000000099")
    assert package.id == "8100000000000000099" and package.status is PackageStatus.PROCESSING
    assert package.handover_method is HandoverMode.PICKUP and package.notes == ()
    assert package.shipping_provider_id == "8100000000000000004" and package.delivery_option_id == "8100000000000000005"
    assert package.order_ids and all(isinstance(o, str) for o in package.order_ids)
    assert package.pickup_slot is not None and package.pickup_slot.start == at(1635338186)
    assert package.create_time == at(1635338186)


def check_get_package_handover_time_slots(client: TikTokClient) -> None:
    serve("get_package_handover_time_slots", package_id="P1")
    slots = FulfillmentApi(client, CIPHER).handover_time_slots("P1")
    assert slots.can_pickup and slots.can_drop_off
    assert slots.pickup_slots == (PickupSlot(at(1623812664), at(1623812664), True),)  # from `avaliable` (sic)


def check_ship_package(client: TikTokClient) -> None:
    url = serve("ship_package", package_id="P1")
    assert FulfillmentApi(client, CIPHER).ship_package("P1", handover_method="DROP_OFF") is None
    assert responses.calls[-1].request.url.startswith(url)


def check_batch_ship_packages(client: TikTokClient) -> None:
    serve("batch_ship_packages")
    shipments = [Shipment("8100000000000000001", HandoverMode.PICKUP), Shipment("P2", HandoverMode.PICKUP)]
    result = FulfillmentApi(client, CIPHER).ship_packages(shipments)
    assert result.shipped == ["P2"] and list(result.failed) == ["8100000000000000001"]
    assert result.failed["8100000000000000001"].code == 10007014


def check_update_package_shipping_info(client: TikTokClient) -> None:
    url = serve("update_package_shipping_info", package_id="P1")
    FulfillmentApi(client, CIPHER).update_shipping_info(package_id="P1", tracking_number="T1", shipping_provider_id="7")
    assert responses.calls[-1].request.url.startswith(url)


def check_update_shipping_info(client: TikTokClient) -> None:
    url = serve("update_shipping_info", order_id="O1")
    FulfillmentApi(client, CIPHER).update_shipping_info(order_id="O1", tracking_number="T1", shipping_provider_id="7")
    assert responses.calls[-1].request.url.startswith(url)


def check_get_tracking(client: TikTokClient) -> None:
    serve("get_tracking", order_id="O1")
    (event,) = FulfillmentApi(client, CIPHER).order_tracking("O1")
    assert event.description.startswith("Your package was delivered")
    assert event.at == datetime.fromtimestamp(1694685539, UTC)


CHECKS: dict[str, Callable[[TikTokClient], None]] = {
    name.removeprefix("check_"): fn for name, fn in dict(globals()).items() if name.startswith("check_")
}


@pytest.mark.parametrize("operation", sorted(CHECKS))
@responses.activate
def test_fixture_parses_with_the_real_client(client: TikTokClient, operation: str) -> None:
    CHECKS[operation](client)
    # the operation's documented path (and so its version) was the one called
    endpoint = ENDPOINTS[operation]
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(endpoint.template))
    called = [(c.request.method, urlsplit(c.request.url).path) for c in responses.calls]
    assert any(m == endpoint.method and re.fullmatch(pattern, p) for m, p in called), called


def test_every_operation_has_a_fixture_and_every_fixture_a_test() -> None:
    files = {p.stem for p in FIXTURES.glob("*.json")}
    assert files == set(ENDPOINTS), f"fixtures without an operation: {files - set(ENDPOINTS)}; " + (
        f"operations without a fixture: {set(ENDPOINTS) - files}"
    )
    assert set(CHECKS) == set(ENDPOINTS), f"untested: {set(ENDPOINTS) - set(CHECKS)}"


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_fixtures_are_success_envelopes_with_string_ids(name: str) -> None:
    body = fixture(name)
    assert (body["code"], body["message"]) == (0, "Success") and "data" in body

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key == "id" or key.endswith("_id"):
            assert isinstance(value, str), f"{name}: {key} is {value!r}"
        elif key.endswith("_time") or key.endswith("_millis"):
            assert isinstance(value, int), f"{name}: {key} is {value!r}"

    walk(body["data"])


# -- documented limits -------------------------------------------------------------------------


@responses.activate
def test_search_by_more_than_10_seller_skus_is_split_into_calls_of_10(client: TikTokClient) -> None:
    url = BASE + ENDPOINTS["search_products"].path()
    hits = fixture("search_products")["data"]["products"]
    responses.post(url, json={"code": 0, "message": "Success", "data": {"products": hits, "next_page_token": ""}})
    skus = [f"SKU-{i}" for i in range(23)]
    pages = list(ProductsApi(client, CIPHER).search_products(seller_skus=[*skus, "SKU-0"], status="ACTIVATE"))
    sent = [json.loads(c.request.body) for c in responses.calls]
    assert [b["seller_skus"] for b in sent] == [skus[:10], skus[10:20], skus[20:]]
    assert all(b["status"] == "ACTIVATE" for b in sent)
    assert [len(p.items) for p in pages] == [1, 0, 0]  # the same product found again is yielded once


@responses.activate
def test_lost_create_answer_looks_the_product_up_10_skus_at_a_time(client: TikTokClient) -> None:
    responses.post(BASE + ENDPOINTS["create_product"].path(), body=requests.ReadTimeout("answer lost"))
    skus = [NewSku(f"SKU-{i}", "9.90", "GBP", {"W1": 1}) for i in range(12)]
    product = NewProduct("Blue mug, 350 ml", "<p>A mug</p>", "600001", ["tos-1"], skus)

    def hit(numbers: range) -> dict[str, Any]:
        skus_ = [{"id": f"S{i}", "seller_sku": f"SKU-{i}"} for i in numbers]
        return {"id": "8100000000000000001", "title": product.title, "status": "PENDING", "skus": skus_}

    search = BASE + ENDPOINTS["search_products"].path()
    # each search answers only the SKUs it matched: the client gathers them across the searches
    for numbers in (range(10), range(10, 12)):
        data = {"products": [hit(numbers)], "next_page_token": ""}
        responses.post(search, json={"code": 0, "message": "Success", "data": data})
    created = ProductsApi(client, CIPHER).create_product(product)
    assert created.product_id == "8100000000000000001" and created.skus == {f"SKU-{i}": f"S{i}" for i in range(12)}
    bodies = [json.loads(c.request.body) for c in responses.calls if urlsplit(c.request.url).path.endswith("search")]
    assert [b["seller_skus"] for b in bodies] == [[f"SKU-{i}" for i in range(10)], ["SKU-10", "SKU-11"]]


def test_documented_page_sizes_and_id_counts() -> None:
    from erpsync.connectors.tiktok.fulfillment.api import PACKAGES_PAGE_SIZE
    from erpsync.connectors.tiktok.orders.api import IDS_PER_CALL
    from erpsync.connectors.tiktok.paging import MAX_PAGE_SIZE
    from erpsync.connectors.tiktok.products.api import SELLER_SKUS_PER_CALL

    assert (IDS_PER_CALL, PACKAGES_PAGE_SIZE, MAX_PAGE_SIZE, SELLER_SKUS_PER_CALL) == (50, 50, 100, 10)
    assert {e.version for e in ENDPOINTS.values()} == {"202309", "202502", "202507", "202509"}
    assert ENDPOINTS["search_products"].version == "202502"
    assert ENDPOINTS["partial_edit_product"].version == "202509"
    assert ENDPOINTS["get_order_detail"].version == "202507"


# -- tolerance: absent and unknown values ------------------------------------------------------


@responses.activate
def test_new_enum_values_are_kept_as_unknown_with_a_note(
    client: TikTokClient, caplog: pytest.LogCaptureFixture
) -> None:
    product = fixture("get_product")
    product["data"]["status"] = "ON_VACATION"
    product["data"]["audit"]["status"] = "SECOND_OPINION"
    serve("get_product", product, product_id="8100000000000000001")
    orders = fixture("get_order_detail")
    orders["data"]["orders"][0]["status"] = "AWAITING_DRONE"
    serve("get_order_detail", orders)
    package = fixture("get_package_detail")
    package["data"]["package_status"] = "TO_FULFILL"
    package["data"]["handover_method"] = "LOCKER"
    serve("get_package_detail", package, package_id="8100000000000000099")
    packages = fixture("search_package")
    packages["data"]["packages"][0]["status"] = "RETURNING"
    packages["data"]["next_page_token"] = ""
    serve("search_package", packages)
    with caplog.at_level(logging.WARNING, logger="erpsync.connectors.tiktok"):
        got = ProductsApi(client, CIPHER).get_product("8100000000000000001")
        found = OrdersApi(client, CIPHER).get_orders(["8100000000000000001"])
        api = FulfillmentApi(client, CIPHER)
        detail = api.get_package("8100000000000000099")
        (page,) = list(api.search_packages(NOW - 60))
    assert (got.status, got.audit_status) == (ProductStatus.UNKNOWN, AuditStatus.UNKNOWN)
    assert any("'ON_VACATION'" in n for n in got.notes) and any("audit.status 'SECOND_OPINION'" in n for n in got.notes)
    assert found.errors == () and found.items[0].status is OrderStatus.UNKNOWN
    assert "'AWAITING_DRONE'" in found.items[0].notes[0]
    assert detail.status is PackageStatus.UNKNOWN and detail.handover_method is None
    assert any("handover_method 'LOCKER'" in n and "no evidence" in n for n in detail.notes)
    assert page.errors == () and page.items[0].status is PackageStatus.UNKNOWN
    logged = caplog.text
    for record, value in (
        ("product 8100000000000000001", "ON_VACATION"),
        ("order 8100000000000000001", "AWAITING_DRONE"),
        ("package 8100000000000000099", "LOCKER"),
        ("package 8100000000000000001", "RETURNING"),
    ):
        assert record in logged and value in logged


@responses.activate
def test_a_product_without_status_is_read(client: TikTokClient) -> None:
    # "For Indonesia sellers, if you did not set the listing platform as TIKTOK_SHOP ... this will
    # be omitted" (Partner Center API reference, Search Products 202502 / Get Product 202309)
    body = copy.deepcopy(fixture("search_products"))
    del body["data"]["products"][0]["status"]
    body["data"]["next_page_token"] = ""
    serve("search_products", body)
    (page,) = list(ProductsApi(client, CIPHER).search_products())
    assert page.errors == () and page.items[0].status is None and page.items[0].notes == ()


def test_unknown_filters_are_refused_before_any_call(client: TikTokClient) -> None:
    with pytest.raises(ValueError):
        OrdersApi(client, CIPHER).search_orders(status="UNKNOWN")
    with pytest.raises(ValueError):
        ProductsApi(client, CIPHER).search_products(status=ProductStatus.UNKNOWN)


def test_an_unknown_handover_method_is_no_evidence_for_the_pickup_inference() -> None:
    """The newest package's method is unknown (None): the inference uses the older, known one."""
    now = datetime(2025, 12, 1, tzinfo=UTC)
    region = ProviderRegion("Guangzhou", ("Guangzhou",), "NEWCO", "NC", now - timedelta(days=30))
    address = Address(region_code="CN", state="GuangDong", city="Guangzhou")
    packages = (
        PackageSignal("P2", "W1", None, "NC123", now - timedelta(hours=1)),  # LOCKER, read as None
        PackageSignal("P1", "W1", HandoverMode.DROP_OFF, None, now - timedelta(days=1)),
    )
    state = infer_pickup_state(PickupSignals("W1", None, packages), address, None, [region], now)
    assert state.status is SubscriptionStatus.NOT_SUBSCRIBED
    assert any("P1" in e for e in state.evidence) and not any("P2" in e for e in state.evidence)
