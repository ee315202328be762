"""TikTokSellerConnector: options, registration, warehouses, pickup signals, check()."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pluggy
import pytest
import requests
import responses
from open_api_fakes import fail, ok

from erpsync.connectors import tiktok
from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.connector import ShopContext
from erpsync.core.errors import ConfigError, PermanentError
from erpsync.core.http import HttpPolicy
from erpsync.core.models import Address, HandoverMode, PickupSignals
from erpsync.core.ports import PickupReader, WarehouseReader
from erpsync.plugins import hookspecs

BASE = "https://open-api.test"
SECRET = "app-secret-xyz"
TOKEN = "access-token-xyz"
SHOP_ID = "7495000000000000001"
CIPHER = "ROW_cipher"
NOW = 1_700_000_000
OPTIONS = {"app_key": "key", "app_secret": SECRET, "access_token": TOKEN, "shop_id": SHOP_ID}
SHOP = ShopContext(name="demo", base_dir=Path("."))


@pytest.fixture
def seller() -> TikTokSellerConnector:
    sleeps: list[float] = []
    client = TikTokClient(
        BASE,
        "key",
        SECRET,
        TOKEN,
        policy=HttpPolicy(max_attempts=2, rate_limit_qps=None),
        clock=lambda: NOW,
        sleep=sleeps.append,
    )
    return TikTokSellerConnector({**OPTIONS, "base_url": BASE}, shop=SHOP, client=client)


def add_shops(region: str = "GB") -> None:
    shops = [
        {"id": SHOP_ID, "name": "Demo", "region": region, "seller_type": "CROSS_BORDER", "cipher": CIPHER},
        {"id": "1", "name": "Other", "region": "US", "seller_type": "LOCAL", "cipher": "c1"},
    ]
    responses.get(f"{BASE}/authorization/202309/shops", json=ok({"shops": shops}))


WAREHOUSES = [
    {
        "id": "W1",
        "name": "Shenzhen",
        "type": "SALES_WAREHOUSE",
        "address": {
            "contact_person": "Li Lei",
            "phone_number": "+86 138 0000 0000",
            "region_code": "CN",
            "state": "广东省",
            "city": "深圳市",
            "distict": "宝安区",
            "address_line1": "福永街道",
            "address_line2": "",
            "address_line3": "1号",
            "postal_code": "518000",
            "full_address": "ignored when lines exist",
        },
    },
    {"id": 2, "name": "Returns", "type": "RETURN_WAREHOUSE", "address": {"full_address": "Full street 9"}},
    {"name": "broken"},
]


def test_options_defaults_and_validation() -> None:
    loaded = TikTokSellerConnector.Options().load(OPTIONS)
    assert loaded["base_url"] == "https://open-api.tiktokglobalshop.com"
    assert (loaded["rate_limit_qps"], loaded["timeout_seconds"]) == (45, 30)  # 90 % of the API's 50/s
    assert loaded["max_attempts"] == 5 and loaded["pickup_lookback_days"] is None
    assert TikTokSellerConnector.Options().load({**OPTIONS, "shop_id": 7495})["shop_id"] == "7495"
    assert TikTokSellerConnector.secret_options == ("app_secret", "access_token")
    with pytest.raises(ConfigError) as info:
        TikTokSellerConnector({"app_key": "k"}, shop=SHOP)
    assert "app_secret" in str(info.value) and SECRET not in str(info.value)


def test_class_attributes_and_capabilities(seller: TikTokSellerConnector) -> None:
    assert (TikTokSellerConnector.type, TikTokSellerConnector.role) == ("tiktok", "seller")
    assert isinstance(seller, WarehouseReader) and isinstance(seller, PickupReader)


def test_registers_through_the_hook() -> None:
    pm = pluggy.PluginManager("erpsync")
    pm.add_hookspecs(hookspecs)
    pm.register(tiktok)
    seen: list[type] = []
    pm.hook.register_connectors(register=seen.append)
    assert seen == [TikTokSellerConnector]


@responses.activate
def test_list_warehouses_maps_the_address(seller: TikTokSellerConnector) -> None:
    add_shops()
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": WAREHOUSES}))
    found = seller.list_warehouses()
    w1, w2 = found.items
    assert w1.address == Address(
        contact_person="Li Lei",
        phone="+86 138 0000 0000",
        region_code="CN",
        state="广东省",
        city="深圳市",
        district="宝安区",
        street="福永街道 1号",
        postal_code="518000",
    )
    assert (w1.id, w1.seller_warehouse_id, w1.handover_mode) == ("W1", "W1", None)
    assert (w2.id, w2.address.street) == ("2", "Full street 9")
    (err,) = found.errors
    assert (err.record, err.field) == ("warehouse #2", "id")


@responses.activate
def test_check_reports_the_shop(seller: TikTokSellerConnector) -> None:
    add_shops()
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": WAREHOUSES[:2]}))
    assert seller.check() == f"TikTok Shop: shop {SHOP_ID} 'Demo' (GB, CROSS_BORDER) reachable, 2 warehouses"


@responses.activate
def test_check_fails_for_a_shop_the_token_does_not_cover() -> None:
    add_shops()
    other = TikTokSellerConnector({**OPTIONS, "base_url": BASE, "shop_id": "42"}, shop=SHOP)
    with pytest.raises(PermanentError) as info:
        other.check()
    assert "shop 42" in str(info.value) and SHOP_ID in str(info.value) and "'Other'" in str(info.value)
    other.close()


def summary(pid: str, order: str, t: int) -> dict:
    return {"id": pid, "orders": [{"id": order}], "status": "FULFILLING", "create_time": t}


def detail(pid: str, method: str = "PICKUP", **extra: object) -> dict:
    return {"package_id": pid, "package_status": "FULFILLING", "handover_method": method, "orders": [], **extra}


def orders_reply_for(warehouse_of: dict[str, str]) -> Callable[[requests.PreparedRequest], tuple[int, dict, str]]:
    def reply(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        ids = dict(parse_qsl(urlsplit(request.url).query))["ids"].split(",")
        orders = [
            {"id": i, "status": "AWAITING_COLLECTION", "create_time": NOW, "update_time": NOW, "warehouse_id": w}
            for i in ids
            if (w := warehouse_of.get(i))
        ]
        return 200, {}, json.dumps(ok({"orders": orders}))

    return reply


@responses.activate
def test_read_pickup_signals(seller: TikTokSellerConnector) -> None:
    add_shops()
    search = f"{BASE}/fulfillment/202309/packages/search"
    pages = {
        None: {
            "packages": [summary("P1", "O1", NOW - 500), summary("P2", "O2", NOW - 100)],
            "next_page_token": "p2",
        },
        "p2": {
            "packages": [
                summary("P3", "O3", NOW - 50),
                summary("P5", "O5", NOW - 40),
                summary("P6", "O6", NOW),
                {"orders": []},  # malformed: no id
            ],
            "next_page_token": "",
        },
    }

    def search_reply(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        token = dict(parse_qsl(urlsplit(request.url).query)).get("page_token")
        return 200, {}, json.dumps(ok(pages[token]))

    responses.add_callback(responses.POST, search, callback=search_reply)
    methods = {"P1": "DROP_OFF", "P2": "PICKUP", "P5": "PICKUP", "P6": "PICKUP"}
    for pid, method in methods.items():
        responses.get(
            f"{BASE}/fulfillment/202309/packages/{pid}",
            json=ok(detail(pid, method, tracking_number=f"JT{pid}")),
        )
    responses.get(
        f"{BASE}/fulfillment/202309/packages/P3",
        status=404,
        json=fail(21011028, "not this shop's"),
    )
    warehouse_of = {"O1": "W1", "O2": "W1", "O3": "W2", "O5": "W2", "O6": "WX"}
    responses.add_callback(responses.GET, f"{BASE}/order/202507/orders", callback=orders_reply_for(warehouse_of))
    slots = f"{BASE}/fulfillment/202309/packages/{{}}/handover_time_slots"
    responses.get(slots.format("P2"), json=ok({"can_pickup": True, "can_drop_off": True}))
    responses.get(slots.format("P5"), json=ok({"can_pickup": False, "can_drop_off": True}))

    since = datetime.fromtimestamp(NOW - 86400, tz=UTC)
    found = seller.read_pickup_signals(["W1", "W2", "W3"], since=since)

    body = json.loads(responses.calls[1].request.body)
    assert body == {"create_time_ge": NOW - 86400}
    w1, w2, w3 = found.items
    assert [p.id for p in w1.packages] == ["P2", "P1"]  # newest first
    assert w1.packages[0].handover_method is HandoverMode.PICKUP
    assert w1.packages[1].handover_method is HandoverMode.DROP_OFF
    assert w1.packages[0].tracking_number == "JTP2"
    assert w1.packages[0].created_at == datetime.fromtimestamp(NOW - 100, tz=UTC)
    assert (w1.slots.package_id, w1.slots.can_pickup, w1.slots.can_drop_off) == ("P2", True, True)
    assert [p.id for p in w2.packages] == ["P5"]
    assert (w2.slots.package_id, w2.slots.can_pickup) == ("P5", False)
    assert w3 == PickupSignals("W3", slots=None, packages=())
    records = sorted(str(e.record) for e in found.errors)
    assert records == ["package #3", "package P3"]  # the malformed summary and the vanished package
    vanished = next(e for e in found.errors if e.record == "package P3")
    assert vanished.record_id == "P3"  # the package asked for, named by its whole id
    slot_calls = [c for c in responses.calls if c.request.url.split("?")[0].endswith("handover_time_slots")]
    assert len(slot_calls) == 2  # only the newest package of each requested warehouse


@responses.activate
def test_a_slot_error_names_its_warehouse_and_stays_with_it(seller: TikTokSellerConnector) -> None:
    """The handover slots of one warehouse could not be read: the error says which warehouse, and
    that warehouse's signals carry it, so only its evidence counts as incomplete."""
    add_shops()
    responses.post(
        f"{BASE}/fulfillment/202309/packages/search",
        json=ok({"packages": [summary("P1", "O1", NOW - 10), summary("P2", "O2", NOW)], "next_page_token": ""}),
    )
    for pid in ("P1", "P2"):
        responses.get(f"{BASE}/fulfillment/202309/packages/{pid}", json=ok(detail(pid)))
    responses.add_callback(
        responses.GET, f"{BASE}/order/202507/orders", callback=orders_reply_for({"O1": "W1", "O2": "W2"})
    )
    slots = f"{BASE}/fulfillment/202309/packages/{{}}/handover_time_slots"
    responses.get(slots.format("P1"), json=ok({"can_pickup": True, "can_drop_off": True}))
    responses.get(slots.format("P2"), status=404, json=fail(21011028, "not this shop's"))
    found = seller.read_pickup_signals(["W1", "W2"], since=datetime.fromtimestamp(NOW - 60, tz=UTC))
    w1, w2 = found.items
    (err,) = found.errors
    assert w1.slots is not None and w1.errors == () and w2.slots is None and w2.errors == (err,)
    assert (err.record, err.field) == ("warehouse W2", "handover slots of package P2")
    assert str(err).startswith("TikTok: warehouse W2: handover slots of package P2: ")


@responses.activate
def test_no_warehouses_asked_means_no_calls(seller: TikTokSellerConnector) -> None:
    assert seller.read_pickup_signals([], since=datetime.now(UTC)).items == ()
    assert len(responses.calls) == 0


@pytest.mark.parametrize(
    ("status", "code", "message", "error"),
    [
        pytest.param(403, 105005, "apply auth pkg", "missing API scope", id="auth-error-is-not-swallowed"),
        pytest.param(404, 36009014, "no such path", "unknown API path", id="http-404-with-another-code"),
    ],
)
@responses.activate
def test_a_package_detail_error_other_than_not_found_ends_the_read(
    seller: TikTokSellerConnector, status: int, code: int, message: str, error: str
) -> None:
    """Only "not found" (NotFoundError, e.g. 21011028) is a record error: an auth error or an HTTP 404 with another code
    is not swallowed into the read's errors."""
    add_shops()
    responses.post(
        f"{BASE}/fulfillment/202309/packages/search",
        json=ok({"packages": [summary("P1", "O1", NOW)], "next_page_token": ""}),
    )
    responses.get(f"{BASE}/fulfillment/202309/packages/P1", status=status, json=fail(code, message))
    with pytest.raises(PermanentError, match=error):
        seller.read_pickup_signals(["W1"], since=datetime.fromtimestamp(NOW - 60, tz=UTC))


@pytest.mark.parametrize("status", [404, 200])
@responses.activate
def test_a_vanished_package_is_a_record_error_whatever_the_http_status(
    seller: TikTokSellerConnector, status: int
) -> None:
    """The API answers "not this shop's" (21011028) with 404 or with 200: the code decides, the read goes on."""
    add_shops()
    responses.post(
        f"{BASE}/fulfillment/202309/packages/search",
        json=ok({"packages": [summary("P1", "O1", NOW - 10), summary("P2", "O2", NOW)], "next_page_token": ""}),
    )
    responses.get(
        f"{BASE}/fulfillment/202309/packages/P1",
        status=status,
        json=fail(21011028, "not this shop's"),
    )
    responses.get(f"{BASE}/fulfillment/202309/packages/P2", json=ok(detail("P2")))
    responses.add_callback(responses.GET, f"{BASE}/order/202507/orders", callback=orders_reply_for({"O2": "W1"}))
    slots = ok({"can_pickup": True, "can_drop_off": True})
    responses.get(f"{BASE}/fulfillment/202309/packages/P2/handover_time_slots", json=slots)
    found = seller.read_pickup_signals(["W1"], since=datetime.fromtimestamp(NOW - 60, tz=UTC))
    (w1,) = found.items
    assert [p.id for p in w1.packages] == ["P2"] and w1.slots.can_pickup
    (err,) = found.errors
    assert err.record == "package P1" and "does not belong to this shop" in str(err)
