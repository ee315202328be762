"""The Open API client against ``responses``: request shape, signature, errors, paging, validation."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from erpsync.connectors.tiktok.client import TikTokClient, needs_cipher
from erpsync.connectors.tiktok.signing import TikTokAuth
from erpsync.core.errors import PermanentError, RecordError, TemporaryError
from erpsync.core.http import HttpPolicy

BASE = "https://open-api.test"
APP_KEY = "appkey123"
SECRET = "s3cr3t-app-secret"
TOKEN = "ROW_token-abcdef"
CIPHER = "ROW_cipher"
NOW = 1_700_000_000


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> TikTokClient:
    policy = HttpPolicy(max_attempts=3, rate_limit_qps=50)
    return TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=policy, clock=clock, sleep=clock.sleep, monotonic=clock)


def ok(data: object) -> dict:
    return {"code": 0, "message": "Success", "request_id": "req-1", "data": data}


def fail(code: int, message: str = "nope") -> dict:
    return {"code": code, "message": message, "request_id": "req-9", "data": None}


def query(request: requests.PreparedRequest) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def expected_sign(request: requests.PreparedRequest, secret: str = SECRET) -> str:
    """Recomputed here from the reference, independently of signing.py."""
    params = {k: v for k, v in query(request).items() if k not in ("sign", "access_token")}
    text = urlsplit(request.url).path + "".join(k + params[k] for k in sorted(params))
    body = request.body or b""
    raw = secret.encode() + text.encode() + (body if isinstance(body, bytes) else body.encode()) + secret.encode()
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def assert_signed(request: requests.PreparedRequest, *, cipher: bool) -> dict[str, str]:
    q = query(request)
    assert q["app_key"] == APP_KEY
    assert q["sign"] == expected_sign(request)
    assert ("shop_cipher" in q) is cipher
    assert "access_token" not in q
    assert request.headers["x-tts-access-token"] == TOKEN
    return q


SHOPS = {
    "shops": [
        {
            "id": "7495",
            "name": "Demo GB",
            "region": "GB",
            "seller_type": "CROSS_BORDER",
            "cipher": CIPHER,
            "code": "GB1",
        },
        {"id": 8001, "name": "Other", "region": "US", "seller_type": "LOCAL", "cipher": "c2", "code": "US1"},
    ]
}


@responses.activate
def test_shops_request_shape_without_cipher(client: TikTokClient) -> None:
    responses.get(f"{BASE}/authorization/202309/shops", json=ok(SHOPS))
    shops = client.shops()
    assert [s["id"] for s in shops.items] == ["7495", "8001"]  # a numeric id becomes a string
    request = responses.calls[0].request
    q = assert_signed(request, cipher=False)
    assert q["timestamp"] == str(NOW)
    assert request.body is None


@responses.activate
def test_shop_cipher_is_looked_up_once_and_sent_on_logistics(client: TikTokClient) -> None:
    responses.get(f"{BASE}/authorization/202309/shops", json=ok(SHOPS))
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": []}))
    assert client.shop_cipher("7495") == CIPHER
    assert client.shop_cipher("7495") == CIPHER
    client.warehouses(CIPHER)
    assert len(responses.calls) == 2
    q = assert_signed(responses.calls[1].request, cipher=True)
    assert q["shop_cipher"] == CIPHER


@responses.activate
def test_unknown_shop_names_it_and_lists_the_authorised_ones(client: TikTokClient) -> None:
    responses.get(f"{BASE}/authorization/202309/shops", json=ok(SHOPS))
    with pytest.raises(PermanentError) as info:
        client.shop_cipher("999")
    text = str(info.value)
    assert "shop 999" in text and "7495 'Demo GB' (GB)" in text and "8001" in text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/authorization/202309/shops", False),
        ("/seller/202309/shops", False),
        ("/product/202309/global_products/1", False),
        ("/product/202309/images/upload", False),
        ("/logistics/202309/warehouses", True),
        ("/fulfillment/202309/packages/search", True),
        ("/order/202309/orders", True),
    ],
)
def test_needs_cipher(path: str, expected: bool) -> None:
    assert needs_cipher(path) is expected


@responses.activate
def test_cipher_is_never_sent_to_authorization_paths(client: TikTokClient) -> None:
    responses.get(f"{BASE}/authorization/202309/shops", json=ok(SHOPS))
    client.call("GET", "/authorization/202309/shops", cipher=CIPHER)
    assert_signed(responses.calls[0].request, cipher=False)


def package(i: int) -> dict:
    return {"id": f"P{i}", "orders": [{"id": f"O{i}"}], "status": "PROCESSING", "create_time": NOW + i}


@responses.activate(registry=OrderedRegistry)
def test_search_packages_pages_lazily_and_signs_the_exact_body(client: TikTokClient) -> None:
    url = f"{BASE}/fulfillment/202309/packages/search"
    responses.post(url, json=ok({"packages": [package(1), package(2)], "next_page_token": "t2", "total_count": 3}))
    responses.post(url, json=ok({"packages": [package(3)], "next_page_token": "", "total_count": 3}))
    pages = client.search_packages(CIPHER, NOW - 86400)
    first = next(pages)
    assert [p["id"] for p in first.items] == ["P1", "P2"]
    assert len(responses.calls) == 1  # the second page is not fetched before it is needed
    rest = list(pages)
    assert [p["id"] for page in rest for p in page.items] == ["P3"]
    assert len(responses.calls) == 2
    one, two = (c.request for c in responses.calls)
    q1, q2 = assert_signed(one, cipher=True), assert_signed(two, cipher=True)
    assert q1["page_size"] == "50" and "page_token" not in q1
    assert q2["page_token"] == "t2"
    assert one.headers["Content-Type"] == "application/json"
    assert json.loads(one.body) == {"create_time_ge": NOW - 86400}
    assert one.body == b'{"create_time_ge":1699913600}'


@responses.activate
def test_orders_are_fetched_in_chunks_of_50(client: TikTokClient) -> None:
    def reply(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        ids = query(request)["ids"].split(",")
        orders = [{"id": i, "warehouse_id": "W1", "status": "AWAITING_COLLECTION"} for i in ids]
        return 200, {}, json.dumps(ok({"orders": orders}))

    responses.add_callback(responses.GET, f"{BASE}/order/202309/orders", callback=reply)
    ids = [f"O{i}" for i in range(120)]
    found = client.orders(CIPHER, ids)
    assert [len(query(c.request)["ids"].split(",")) for c in responses.calls] == [50, 50, 20]
    assert [o["id"] for o in found.items] == ids
    for call in responses.calls:
        assert_signed(call.request, cipher=True)


@pytest.mark.parametrize(
    ("status", "code", "error", "hint"),
    [
        (429, 36009002, TemporaryError, "rate limited"),
        (500, 36009003, TemporaryError, "internal"),
        (200, 36009003, TemporaryError, "internal"),
        (401, 106001, PermanentError, "signature rejected: check app_secret"),
        (401, 105002, PermanentError, "token expired"),
        (401, 36009004, PermanentError, "read the server message"),
        (400, 106013, PermanentError, "shop_cipher missing"),
        (403, 101000, PermanentError, "does not match the shop"),
        (403, 105005, PermanentError, "missing API scope"),
        (404, 36009014, PermanentError, "unknown API path"),
        (200, 12345, PermanentError, "request failed"),
    ],
)
@responses.activate
def test_error_codes_map_to_error_types(clock: Clock, status: int, code: int, error: type, hint: str) -> None:
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=clock)
    responses.get(f"{BASE}/logistics/202309/warehouses", status=status, json=fail(code, "server words"))
    with pytest.raises(error) as info:
        client.warehouses(CIPHER)
    exc = info.value
    assert type(exc) is error
    assert (exc.code, exc.status, exc.request_id) == (code, status, "req-9")
    assert hint in str(exc) and "server words" in str(exc)
    assert "list warehouses" in str(exc)


@responses.activate
def test_bare_5xx_without_envelope_is_temporary(clock: Clock) -> None:
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=clock)
    responses.get(f"{BASE}/logistics/202309/warehouses", status=502, body="<html>bad gateway</html>")
    with pytest.raises(TemporaryError):
        client.warehouses(CIPHER)


@responses.activate
def test_200_that_is_not_an_envelope_is_permanent(client: TikTokClient) -> None:
    responses.get(f"{BASE}/logistics/202309/warehouses", body="<html>login</html>")
    with pytest.raises(PermanentError, match="not an Open API envelope"):
        client.warehouses(CIPHER)


@responses.activate(registry=OrderedRegistry)
def test_rate_limited_is_retried_after_retry_after_and_re_signed(client: TikTokClient, clock: Clock) -> None:
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, status=429, json=fail(36009002, "too many"), headers={"Retry-After": "3"})
    responses.get(url, json=ok({"warehouses": []}))
    client.warehouses(CIPHER)
    assert clock.sleeps == [3.0]
    one, two = (c.request for c in responses.calls)
    assert int(query(two)["timestamp"]) == int(query(one)["timestamp"]) + 3  # fresh timestamp
    assert_signed(two, cipher=True)


@responses.activate(registry=OrderedRegistry)
def test_5xx_retried_then_success(client: TikTokClient, clock: Clock) -> None:
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, status=500, json=fail(36009003))
    responses.get(url, json=ok({"warehouses": []}))
    assert client.warehouses(CIPHER).items == ()
    assert len(responses.calls) == 2 and len(clock.sleeps) == 1


@responses.activate(registry=OrderedRegistry)
def test_connection_error_retried(client: TikTokClient) -> None:
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, body=requests.ConnectionError("reset"))
    responses.get(url, json=ok({"warehouses": []}))
    client.warehouses(CIPHER)
    assert len(responses.calls) == 2


@responses.activate(registry=OrderedRegistry)
def test_permanent_error_is_not_retried(client: TikTokClient, clock: Clock) -> None:
    responses.get(f"{BASE}/logistics/202309/warehouses", status=401, json=fail(106001))
    with pytest.raises(PermanentError):
        client.warehouses(CIPHER)
    assert len(responses.calls) == 1 and clock.sleeps == []


@responses.activate(registry=OrderedRegistry)
def test_secrets_never_in_exception_text_or_logs(client: TikTokClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"{BASE}/logistics/202309/warehouses"
    echo = f"token {TOKEN} with secret {SECRET} is invalid"
    responses.get(url, body=requests.ConnectionError(f"{url}?access_token={TOKEN}&app_secret={SECRET}"))
    responses.get(url, status=401, json=fail(36009004, echo))
    with pytest.raises(PermanentError) as info:
        client.warehouses(CIPHER)
    for text in (str(info.value), info.value.message, caplog.text, repr(client.http.auth)):
        assert TOKEN not in text and SECRET not in text
    assert isinstance(client.http.auth, TikTokAuth)


@responses.activate
def test_malformed_records_become_record_errors_and_the_rest_go_on(client: TikTokClient) -> None:
    warehouses = [
        {"id": "W1", "name": "Good", "address": {"city": "Shenzhen", "distict": "Bao'an"}},
        {"name": "No id"},
        {"id": "W3", "name": 42},
        {"id": 7000000000000000004, "name": "Numeric id", "address": None},
        {"id": "W5", "address": {"city": ["not", "text"]}},
        "not even an object",
    ]
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": warehouses}))
    found = client.warehouses(CIPHER)
    assert [w["id"] for w in found.items] == ["W1"]
    texts = [str(e) for e in found.errors]
    by_record = {e.record: e.field for e in found.errors}
    assert by_record["warehouse #1"] == "id"
    assert by_record["warehouse W3"] == "name"
    assert by_record["warehouse 7000000000000000004"] == "address"
    assert by_record["warehouse W5"] == "address.city"
    assert "warehouse #5" in by_record
    assert all(t.startswith("TikTok /logistics/202309/warehouses: warehouse") for t in texts)


@responses.activate
def test_numeric_ids_are_strings_and_nulls_are_empty(client: TikTokClient) -> None:
    raw = {"id": 7000000000000000004, "name": None, "address": {"city": None}}
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": [raw]}))
    (w,) = client.warehouses(CIPHER).items
    assert w["id"] == "7000000000000000004" and w["name"] == "" and w["address"]["city"] == ""


@responses.activate
def test_package_and_slots(client: TikTokClient) -> None:
    responses.get(
        f"{BASE}/fulfillment/202309/packages/P1",
        json=ok({"package_id": "P1", "handover_method": "PICKUP", "tracking_number": "JT1", "orders": [{"id": 5}]}),
    )
    responses.get(
        f"{BASE}/fulfillment/202309/packages/P1/handover_time_slots",
        json=ok({"can_pickup": True, "can_drop_off": False, "pickup_slots": []}),
    )
    responses.get(f"{BASE}/fulfillment/202309/packages/P2", json=ok({"handover_method": "TELEPORT"}))
    responses.get(f"{BASE}/fulfillment/202309/packages/P2/handover_time_slots", json=ok({"can_pickup": "maybe"}))
    detail = client.package(CIPHER, "P1")
    assert (detail["handover_method"], detail["orders"]) == ("PICKUP", [{"id": "5"}])
    assert client.handover_time_slots(CIPHER, "P1")["can_pickup"] is True
    with pytest.raises(RecordError) as bad:
        client.package(CIPHER, "P2")
    assert (bad.value.record, bad.value.field) == ("package P2", "handover_method")
    with pytest.raises(RecordError) as bad_slots:
        client.handover_time_slots(CIPHER, "P2")
    assert bad_slots.value.record == "package P2 handover slots"
    assert bad_slots.value.field in ("can_pickup", "can_drop_off")
