"""The sandbox seller backend over real HTTP on loopback.

Requests are signed by ``sign()`` of the suites' own client (tests/integration/sandbox_wire.py),
written from the reference (§2) independently of both the sandbox and the connector, and itself
checked here against the published test vectors.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sandbox_wire import APP_KEY, CIPHER, SECRET, TOKEN, WAREHOUSES, Wire, expect_error, sign

from erpsync.sandbox import SandboxServer
from erpsync.sandbox.signing import compute_sign, verify_sign

pytestmark = pytest.mark.integration

OTHER_CIPHER = "ROW_sandboxCipher0202"
DG_PACKAGE = "115400000000000001"  # WH-DG-01 (active), WS waybill
SZ_PACKAGE = "115400000000000006"  # WH-SZ-01 (pending review since -1h)
SHOPS = "/authorization/202309/shops"
SEARCH = "/fulfillment/202309/packages/search"
ORDERS = "/order/202309/orders"


_FUDIWEI = {
    "app_key": "68xu9ks5p4i8",
    "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK",
    "timestamp": "1696909648",
}
_FUDIWEI_BODY = b'{"event_type":"PACKAGE_UPDATE","address":"https://partner.tiktokshop.com"}'
_FUDIWEI_SWAPPED = b'{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}'
VECTORS = [
    (
        "e59af819cc",
        "/authorization/202309/shops",
        {"app_key": "29a39d", "timestamp": "1623812664"},
        b"",
        "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8",
    ),
    (
        "app_secret",
        "/test-api",
        {"foo": "bar"},
        b"",
        "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f",
    ),
    ("e59af819cc", "/event/202309/webhooks", _FUDIWEI, b"", "ed58e1b5"),
    ("e59af819cc", "/event/202309/webhooks", _FUDIWEI, _FUDIWEI_BODY, "701dd6de"),
    ("e59af819cc", "/event/202309/webhooks", _FUDIWEI, _FUDIWEI_SWAPPED, "cd0d6268"),
]


@pytest.mark.parametrize(("secret", "path", "params", "body", "expected"), VECTORS)
def test_signature_vectors(secret: str, path: str, params: dict[str, str], body: bytes, expected: str) -> None:
    """Both the test helper and the sandbox's verifier reproduce the public vectors."""
    assert sign(secret, path, params, body).startswith(expected)
    assert compute_sign(secret, path, params, body).startswith(expected)
    full = sign(secret, path, params, body)
    assert verify_sign(secret, path, params, full, body)
    assert not verify_sign(secret, path, params, full.upper(), body)
    assert not verify_sign(secret, path, {**params, "x": "1"}, full, body)


class Client(Wire):
    """The suites' signed client (not the product's connector), plus pickup look-ups."""

    def subscription(self, warehouse_id: str) -> dict[str, Any]:
        state = self.admin("GET", "state")
        return next(w for w in state["warehouses"] if w["id"] == warehouse_id)["subscription"]

    def can_pickup(self, package_id: str) -> bool:
        return self.ok("GET", f"/fulfillment/202309/packages/{package_id}/handover_time_slots")["can_pickup"]


@pytest.fixture
def client(server: SandboxServer) -> Client:
    c = Client(server.url)
    c.admin("POST", "reset")
    return c


# -- gateway checks ----------------------------------------------------------------------------


def test_good_call_returns_envelope_with_fresh_request_ids(client: Client) -> None:
    first = client.call("GET", SHOPS, cipher=None).json()
    second = client.call("GET", SHOPS, cipher=None).json()
    assert first["code"] == 0 and first["message"] == "Success"
    assert first["request_id"] != second["request_id"]
    (shop,) = first["data"]["shops"]
    assert shop == {
        "id": "7495000000000000101",
        "name": "Shenzhen Gadgets UK",
        "region": "GB",
        "seller_type": "CROSS_BORDER",
        "cipher": CIPHER,
        "code": "GBLCSB0101",
    }


def test_bad_sign_is_106001(client: Client) -> None:
    expect_error(client.call("GET", WAREHOUSES, bad_sign=True), 401, 106001)


def test_body_is_signed(client: Client) -> None:
    """Signing one body and sending another must fail: the sandbox signs the exact bytes."""
    query = {"app_key": APP_KEY, "timestamp": str(int(time.time())), "shop_cipher": CIPHER, "page_size": "5"}
    query["sign"] = sign(SECRET, SEARCH, query, b"{}")
    response = client.http.post(
        client.base + SEARCH,
        params=query,
        data=b'{"package_status":"X"}',
        headers={"x-tts-access-token": TOKEN, "content-type": "application/json"},
    )
    expect_error(response, 401, 106001)


@pytest.mark.parametrize("skew", [-301, -3600, 31, 600])
def test_timestamp_outside_window_is_rejected(client: Client, skew: int) -> None:
    payload = expect_error(client.call("GET", WAREHOUSES, timestamp=int(time.time()) + skew), 401, 36009004)
    assert "timestamp" in payload["message"].lower()


@pytest.mark.parametrize("skew", [-290, 20])
def test_timestamp_inside_window_is_accepted(client: Client, skew: int) -> None:
    client.ok("GET", WAREHOUSES, timestamp=int(time.time()) + skew)


def test_access_token_checks(client: Client) -> None:
    expect_error(client.call("GET", WAREHOUSES, token=None), 401, 36009004)
    expect_error(client.call("GET", WAREHOUSES, token="no-such-token"), 401, 36009004)
    expect_error(client.call("GET", WAREHOUSES, token="sandbox-expired-token"), 401, 105002)


def test_unknown_app_key(client: Client, server: SandboxServer) -> None:
    query = {"app_key": "nope", "timestamp": str(int(time.time())), "shop_cipher": CIPHER}
    query["sign"] = sign(SECRET, WAREHOUSES, query)
    headers = {"x-tts-access-token": TOKEN, "content-type": "application/json"}
    response = requests.get(server.url + WAREHOUSES, params=query, headers=headers)
    expect_error(response, 401, 36009004)


@pytest.mark.parametrize(("method", "path", "body"), [("GET", WAREHOUSES, None), ("POST", SEARCH, {})])
def test_content_type_is_required_get_included(client: Client, method: str, path: str, body: Any) -> None:
    params = {"page_size": 5} if method == "POST" else None
    payload = expect_error(client.call(method, path, params, body, content_type=None), 400, 36009022)
    assert "content-type" in payload["message"]
    expect_error(client.call(method, path, params, body, content_type="text/plain"), 400, 36009022)
    client.ok(method, path, params=params, body=body)
    client.ok(method, path, params=params, body=body, content_type="application/json; charset=utf-8")


def test_cipher_rules(client: Client) -> None:
    expect_error(client.call("GET", WAREHOUSES, cipher=None), 400, 106013)
    expect_error(client.call("GET", SHOPS, cipher=CIPHER), 400, 36009004)
    expect_error(client.call("GET", WAREHOUSES, cipher=OTHER_CIPHER), 403, 101000)
    expect_error(client.call("GET", WAREHOUSES, cipher="ROW_unknown"), 403, 101000)


def test_unknown_path_and_bad_json(client: Client) -> None:
    expect_error(client.call("GET", "/product/202309/nothing"), 404, 36009009)
    expect_error(client.call("DELETE", WAREHOUSES), 404, 36009009)
    payload = expect_error(client.call("POST", SEARCH, {"page_size": 5}, raw_body=b"{not json"), 400, 36009004)
    assert "JSON" in payload["message"]
    response = client.http.post(client.base + "/_sandbox/clock", data=b"{oops")
    expect_error(response, 400, 36009004)


# -- rate limit and faults ---------------------------------------------------------------------


def test_rate_limit_per_path(client: Client) -> None:
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: client.call("GET", WAREHOUSES), range(70)))
    elapsed = time.monotonic() - start
    limited = [r for r in responses if r.status_code == 429]
    assert limited, f"no 429 in 70 calls over {elapsed:.2f}s"
    assert limited[0].json()["code"] == 36009002
    assert limited[0].headers["Retry-After"] == "1"
    if elapsed < 1.0:
        assert sum(r.status_code == 200 for r in responses) == 50
    # another API of the same shop is not limited
    client.ok("POST", SEARCH, params={"page_size": 5}, body={})
    counts = client.admin("GET", "counts")["paths"][WAREHOUSES]
    assert counts["429"] == len(limited) and counts["calls"] == 70


def test_rate_limit_is_configurable(client: Client) -> None:
    client.admin("POST", "settings", {"rate_limit_qps": 3})
    statuses = [client.call("GET", WAREHOUSES).status_code for _ in range(5)]
    assert statuses.count(200) == 3 and statuses.count(429) == 2


def test_faults(client: Client) -> None:
    client.admin("POST", "faults", {"burst_429": 2})
    assert [client.call("GET", WAREHOUSES).status_code for _ in range(3)] == [429, 429, 200]

    client.admin("POST", "faults", {"error_rate": 1})
    expect_error(client.call("GET", WAREHOUSES), 500, 36009003)

    client.admin("POST", "faults", {"error_rate": 0, "latency_ms": 150})
    start = time.monotonic()
    client.ok("GET", WAREHOUSES)
    assert time.monotonic() - start >= 0.15

    response = client.http.post(client.base + "/_sandbox/faults", json={"error_rate": 2})
    expect_error(response, 400, 36009004)
    client.admin("POST", "reset")
    assert client.admin("GET", "faults") == {
        "error_rate": 0.0, "latency_ms": 0, "burst_429": 0, "fail_after_commit": 0,
        "fail_after_commit_rate": 0.0, "drop_after_commit": 0, "commit_fault_paths": None,
    }  # fmt: skip


def test_counts(client: Client) -> None:
    client.ok("GET", WAREHOUSES)
    client.call("GET", WAREHOUSES, bad_sign=True)
    client.ok("GET", f"/fulfillment/202309/packages/{DG_PACKAGE}")
    client.call("GET", "/fulfillment/202309/packages/999")
    counts = client.admin("GET", "counts")
    assert counts["paths"][WAREHOUSES] == {"calls": 2, "2xx": 1, "4xx": 1, "429": 0, "5xx": 0, "dropped": 0}
    assert counts["paths"]["/fulfillment/202309/packages/{package_id}"]["calls"] == 2
    assert counts["total"]["calls"] == 4
    assert client.admin("DELETE", "counts")["total"]["calls"] == 0


# -- endpoints ---------------------------------------------------------------------------------


def test_warehouses_have_open_api_shape(client: Client) -> None:
    warehouses = {w["id"]: w for w in client.ok("GET", WAREHOUSES)["warehouses"]}
    assert set(warehouses) == {"WH-DG-01", "WH-SZ-01", "WH-FS-01"}
    address = warehouses["WH-DG-01"]["address"]
    assert address["state"] == "广东省" and address["city"] == "东莞市" and "distict" in address
    assert address["contact_person"] and address["phone_number"].startswith("1")


def test_package_detail_and_slots(client: Client) -> None:
    detail = client.ok("GET", f"/fulfillment/202309/packages/{DG_PACKAGE}")
    assert detail["handover_method"] == "PICKUP" and detail["tracking_number"].startswith("WS")
    assert detail["sender_address"]["city"] == "东莞市"
    slots = client.ok("GET", f"/fulfillment/202309/packages/{DG_PACKAGE}/handover_time_slots")
    assert slots["can_pickup"] is True and slots["can_drop_off"] is True
    assert slots["pickup_slots"] and all("avaliable" in s for s in slots["pickup_slots"])
    assert client.can_pickup(SZ_PACKAGE) is False
    expect_error(client.call("GET", "/fulfillment/202309/packages/404404"), 404, 21011028)
    # a package of another shop is invisible
    expect_error(client.call("GET", "/fulfillment/202309/packages/115400000000000010"), 404, 21011028)


def test_staged_waybills_are_kept(client: Client) -> None:
    """The scenario's JT pickup waybill after the Wanse switch stays as written (a drift to find)."""
    found = client.ok("POST", SEARCH, params={"page_size": 50}, body={"create_time_ge": int(time.time()) - 14 * 86400})
    by_tracking = {p["tracking_number"]: p for p in found["packages"]}
    assert by_tracking["JT0000000103"]["shipping_provider_name"].startswith("J&T")
    assert by_tracking["WS0000000101"]["shipping_provider_name"].startswith("Wanse")
    assert "JT0000000104" not in by_tracking  # created 2023-09-15: outside the lookback


def test_packages_search_paging(client: Client) -> None:
    since = int(time.time()) - 60
    client.admin("POST", "packages", {"warehouse_id": "WH-DG-01", "count": 23})
    seen: list[str] = []
    token = ""
    sizes = []
    while True:
        params: dict[str, Any] = {"page_size": 10, **({"page_token": token} if token else {})}
        page = client.ok("POST", SEARCH, params=params, body={"create_time_ge": since})
        assert page["total_count"] == 23
        sizes.append(len(page["packages"]))
        seen += [p["id"] for p in page["packages"]]
        token = page["next_page_token"]
        if not token:
            break
    assert sizes == [10, 10, 3] and len(set(seen)) == 23
    none = client.ok("POST", SEARCH, params={"page_size": 10}, body={"create_time_lt": since})
    assert none["total_count"] == 9 and not set(seen) & {p["id"] for p in none["packages"]}
    for size in (0, 51, "x"):
        expect_error(client.call("POST", SEARCH, params={"page_size": size}, body={}), 400, 36009004)
    expect_error(client.call("POST", SEARCH, params={"page_size": 5, "page_token": "%%%"}, body={}), 400, 36009004)
    expect_error(client.call("POST", SEARCH, params={"page_size": 5}, body={"create_time_ge": "x"}), 400, 36009004)


def test_orders_detail_at_most_50_ids(client: Client) -> None:
    added = client.admin("POST", "packages", {"warehouse_id": "WH-SZ-01", "count": 51})["packages"]
    ids = [p["order_ids"][0] for p in added]
    expect_error(client.call("GET", ORDERS, params={"ids": ",".join(ids)}), 400, 36009004)
    orders = client.ok("GET", ORDERS, params={"ids": ",".join(ids[:50])})["orders"]
    assert len(orders) == 50 and orders[0]["warehouse_id"] == "WH-SZ-01"
    assert orders[0]["packages"] == [{"id": added[0]["id"]}]
    expect_error(client.call("GET", ORDERS, params={"ids": ""}), 400, 36009004)
    two = client.ok("GET", ORDERS, params={"ids": "576900000000000002,576900000000000199"})["orders"]
    assert [o["packages"] for o in two] == [[{"id": "115400000000000002"}]] * 2


# -- pickup subscription -----------------------------------------------------------------------


def test_address_save_goes_through_review_to_active(client: Client) -> None:
    assert client.can_pickup(DG_PACKAGE) is True
    sub = client.admin("POST", "warehouses/WH-DG-01/address", {"address_line1": "振安中路 88号 3栋，"})
    assert sub["subscription"]["status"] == "pending_review"
    assert sub["subscription"]["requested_at"] == client.admin("GET", "state")["clock"]["virtual_now"]
    assert sub["address"]["full_address"].endswith("3栋，")
    assert client.can_pickup(DG_PACKAGE) is False

    client.admin("POST", "clock", {"advance_seconds": 4 * 3600 - 120})
    assert client.subscription("WH-DG-01")["status"] == "pending_review"
    client.admin("POST", "clock", {"advance_seconds": 240})
    sub2 = client.subscription("WH-DG-01")
    assert sub2["status"] == "active" and sub2["provider"] == "WS"
    assert client.can_pickup(DG_PACKAGE) is True
    # the address change shows through the API
    address = next(w for w in client.ok("GET", WAREHOUSES)["warehouses"] if w["id"] == "WH-DG-01")["address"]
    assert address["address_line1"].endswith("，")


def test_scenario_pending_review_completes_after_delay(client: Client) -> None:
    assert client.subscription("WH-SZ-01")["status"] == "pending_review"
    client.admin("POST", "clock", {"advance_seconds": 3 * 3600 + 60})
    assert client.can_pickup(SZ_PACKAGE) is True


def test_stuck_review_stays_pending(client: Client) -> None:
    client.admin("POST", "settings", {"review_delay_hours": None})
    client.admin("POST", "warehouses/WH-DG-01/address", {"phone_number": "13800138001"})
    client.admin("POST", "clock", {"advance_seconds": 72 * 3600})
    assert client.subscription("WH-DG-01")["status"] == "pending_review"
    assert client.can_pickup(DG_PACKAGE) is False


def test_out_of_coverage_save_is_ignored(client: Client) -> None:
    moved = client.admin(
        "POST", "warehouses/WH-SZ-01/address", {"state": "江苏省", "city": "苏州市", "distict": "吴中区"}
    )
    assert moved["subscription"]["status"] == "out_of_coverage" and moved["subscription"]["provider"] is None
    client.admin("POST", "clock", {"advance_seconds": 48 * 3600})
    assert client.subscription("WH-SZ-01")["status"] == "out_of_coverage"
    assert client.can_pickup(SZ_PACKAGE) is False
    assert client.admin("POST", "warehouses/WH-FS-01/address", {})["subscription"]["status"] == "out_of_coverage"


def test_cancel_pickup_makes_new_labels_drop_off(client: Client) -> None:
    active = client.admin("POST", "packages", {"warehouse_id": "WH-DG-01"})["packages"][0]
    assert active["handover_method"] == "PICKUP" and active["tracking_number"].startswith("WS")
    cancelled = client.admin("POST", "warehouses/WH-DG-01/cancel_pickup")
    assert cancelled["subscription"]["status"] == "cancelled"
    assert client.can_pickup(DG_PACKAGE) is False
    after = client.admin("POST", "packages", {"warehouse_id": "WH-DG-01"})["packages"][0]
    assert after["handover_method"] == "DROP_OFF" and after["tracking_number"].startswith("SF")
    detail = client.ok("GET", f"/fulfillment/202309/packages/{after['id']}")
    assert detail["handover_method"] == "DROP_OFF"


def test_admin_errors_and_reset(client: Client) -> None:
    expect_error(client.http.post(client.base + "/_sandbox/warehouses/NOPE/address", json={}), 404, 36009004)
    expect_error(
        client.http.post(client.base + "/_sandbox/warehouses/WH-DG-01/address", json={"x": "1"}),
        400,
        36009004,
    )
    expect_error(client.http.post(client.base + "/_sandbox/clock", json={"advance_seconds": -5}), 400, 36009004)
    expect_error(client.http.get(client.base + "/_sandbox/nothing"), 404, 36009009)
    client.admin("POST", "warehouses/WH-DG-01/cancel_pickup")
    client.admin("POST", "clock", {"advance_seconds": 3600})
    client.admin("POST", "reset")
    state = client.admin("GET", "state")
    assert state["clock"]["offset_seconds"] == 0
    assert client.subscription("WH-DG-01")["status"] == "active"


def test_state_shows_subscriptions_and_regions(client: Client) -> None:
    state = client.admin("GET", "state")
    subs = {w["id"]: w["subscription"]["status"] for w in state["warehouses"]}
    assert subs == {
        "WH-DG-01": "active",
        "WH-SZ-01": "pending_review",
        "WH-FS-01": "out_of_coverage",
        "WH-GZ-01": "cancelled",
    }
    assert {r["city"]: r["provider_now"] for r in state["regions"]} == {
        "东莞市": "WS",
        "深圳市": "WS",
        "广州市": "WS",
    }


def test_demo_scenario() -> None:
    with SandboxServer("demo") as demo:
        query = {"app_key": "demo-app-key", "timestamp": str(int(time.time()))}
        query["sign"] = sign("demo-app-secret", SHOPS, query)
        headers = {"x-tts-access-token": "demo-access-token", "content-type": "application/json"}
        shops = requests.get(demo.url + SHOPS, params=query, headers=headers)
        (shop,) = shops.json()["data"]["shops"]
        assert shop["id"] == "7495000000000000001" and shop["name"] == "Dongguan Home Goods UK"
        state = requests.get(demo.url + "/_sandbox/state").json()["data"]
        subs = {w["id"]: w["subscription"]["status"] for w in state["warehouses"]}
        assert subs == {"WH-DG": "not_subscribed", "WH-SZ": "active"}
        recent = time.time() - 14 * 86400
        assert all(p["create_time"] > recent for p in state["packages"])
        by_wh = {(p["warehouse_id"], p["handover_method"], p["tracking_number"][:2]) for p in state["packages"]}
        assert by_wh == {("WH-DG", "DROP_OFF", "SF"), ("WH-SZ", "PICKUP", "WS")}


def _access_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "erpsync.sandbox.access"]


def _wait_for_line(caplog, text: str) -> list[str]:
    """The server thread logs a request after the answer went out: wait for its line."""
    deadline = time.monotonic() + 30
    while not any(text in line for line in _access_lines(caplog)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return _access_lines(caplog)


def test_access_log_never_shows_query_strings(caplog):
    """Token endpoints carry app_secret in the query, as the real API does: keep it out of logs.

    werkzeug's own logger is set to INFO by the first line werkzeug writes in a process (any other
    werkzeug server in it does): the sandbox's DEBUG access lines must not depend on it.
    """
    import logging

    from werkzeug._internal import _log

    from erpsync.sandbox import SandboxServer

    _log("info", "a line werkzeug writes first, as another server in the process would")
    with caplog.at_level(logging.DEBUG), SandboxServer(scenario="demo") as server:
        requests.get(f"{server.url}/api/v2/token/get?app_key=k&app_secret=s3cret-in-query&auth_code=c", timeout=5)
        lines = _wait_for_line(caplog, "/api/v2/token/get")
    assert any("/api/v2/token/get" in line for line in lines)
    assert not any("s3cret-in-query" in line for line in lines)


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /api/v2/token/get?app_secret=s3cret-in-query HTTP/1.1 extra",
        b"GET /api/v2/token/get?app_secret=ab's3cret-in-query HTTP/1.1 extra",  # a quote in the query
        b'GET /api/v2/token/get?app_secret=ab"x s3cret-in-query HTTP/1.1',  # and a space
        "GET /api/v2/token/get?s=ab\xa0s3cret-in-query HTTP/1.1".encode("latin-1"),  # a space to http.server
    ],
)
def test_a_bad_request_line_is_logged_without_its_query(caplog, request_line):
    """A request line the server cannot parse is written whole by http.server: its query is cut,
    to the end of the line, whatever the query holds."""
    import logging
    import socket

    from erpsync.sandbox import SandboxServer

    with caplog.at_level(logging.DEBUG), SandboxServer(scenario="demo") as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(request_line + b"\r\n\r\n")
            answer = conn.recv(4096)
        lines = _wait_for_line(caplog, " 400")
    # a line whose version was not read is answered as HTTP/0.9: no status line, the error page
    assert answer.startswith(b"HTTP/1.1 400 ") or b"Error code: 400" in answer
    assert any("/api/v2/token/get" in line and line.endswith(" 400") for line in lines), lines
    assert not any("s3cret-in-query" in line for line in lines), lines


def test_a_bad_line_after_a_good_request_on_one_connection_is_logged_as_itself(caplog):
    """One handler serves a kept-alive connection: a bad line must not be logged with the path of
    the request before it, and a control character in it is escaped, not written raw."""
    import logging
    import socket

    from erpsync.sandbox import SandboxServer

    with caplog.at_level(logging.DEBUG), SandboxServer(scenario="demo") as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(b"GET /api/v2/token/get?app_secret=s3cret-in-query HTTP/1.1\r\nHost: x\r\n\r\n")
            _wait_for_line(caplog, "GET /api/v2/token/get")
            conn.sendall(b"GET /\x1b[31mred HTTP/1.1 extra\r\n\r\n")
            lines = _wait_for_line(caplog, " 400")
    bad = [line for line in lines if line.endswith(" 400")]
    assert bad == ["GET /\\x1b[31mred HTTP/1.1 extra 400"], lines
    assert not any("\x1b" in line or "s3cret-in-query" in line for line in lines), lines
