"""Sandbox webhooks over real HTTP to a receiver on 127.0.0.1: signature, envelope, retries, redelivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sandbox_wire import APP_KEY, SECRET, SHOP_ID, Wire, expect_error

pytestmark = pytest.mark.integration


class Receiver:
    """A webhook endpoint on loopback that records every POST and answers from ``statuses`` (then 200)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tiktok/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        """Bodies whose Authorization verifies (hex HMAC-SHA256, key app_secret, msg app_key + raw body)."""
        out = []
        for headers, body in self.received:
            expected = hmac.new(SECRET.encode(), APP_KEY.encode() + body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers.get("Authorization", ""), expected), "bad webhook signature"
            out.append(json.loads(body))
        return out


def wait_for(predicate: Callable[[], Any], timeout: float = 6.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def wire(wire: Wire, receiver: Receiver) -> Wire:
    """The shared ``wire`` (tests/integration/conftest.py), with webhooks sent to ``receiver``."""
    assert wire.admin("POST", "webhooks", {"url": receiver.url})["url"] == receiver.url
    return wire


def test_order_status_change_is_signed_and_spells_cancel(wire: Wire, receiver: Receiver) -> None:
    wire.admin("POST", "orders/576900000000000005/status", {"status": "CANCELLED"})
    (event,) = wait_for(receiver.events)
    assert set(event) == {"type", "tts_notification_id", "shop_id", "timestamp", "data"}
    assert event["type"] == 1 and event["shop_id"] == SHOP_ID and event["tts_notification_id"]
    assert event["data"]["order_id"] == "576900000000000005" and event["data"]["order_status"] == "CANCEL"
    assert isinstance(event["data"]["update_time"], int)
    (delivery,) = wire.admin("GET", "webhooks")["deliveries"]
    assert (delivery["type"], delivery["state"], delivery["attempts"], delivery["last_status"]) == (
        1,
        "delivered",
        1,
        200,
    )


def test_ship_emits_package_and_order_webhooks(wire: Wire, receiver: Receiver) -> None:
    wire.ok("POST", "/fulfillment/202309/packages/115400000000000005/ship", body={"handover_method": "PICKUP"})
    events = wait_for(lambda: len(receiver.events()) >= 2 and receiver.events())
    by_type = {e["type"]: e["data"] for e in events}
    assert by_type[1]["order_status"] == "AWAITING_COLLECTION"
    assert by_type[4]["package_list"] == [{"package_id": "115400000000000005", "order_id_list": ["576900000000000005"]}]


def test_retries_after_500_keep_the_notification_id(wire: Wire, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    wire.admin("POST", "orders/576900000000000005/status", {"status": "ON_HOLD"})
    wait_for(lambda: wire.admin("GET", "webhooks")["deliveries"][0]["state"] == "delivered")
    (delivery,) = wire.admin("GET", "webhooks")["deliveries"]
    assert delivery["attempts"] == 3 and delivery["last_status"] == 200
    ids = {e["tts_notification_id"] for e in receiver.events()}
    assert len(receiver.received) == 3 and len(ids) == 1


def test_gives_up_after_bounded_retries(wire: Wire, receiver: Receiver) -> None:
    receiver.statuses = [500] * 10
    wire.admin("POST", "orders/576900000000000005/status", {"status": "ON_HOLD"})
    wait_for(lambda: wire.admin("GET", "webhooks")["deliveries"][0]["state"] == "failed")
    assert wire.admin("GET", "webhooks")["deliveries"][0]["attempts"] == 4


def test_redeliver_sends_the_same_notification_again(wire: Wire, receiver: Receiver) -> None:
    wire.admin("POST", "orders/576900000000000005/status", {"status": "ON_HOLD"})
    wire.admin("POST", "orders/576900000000000006/status", {"status": "IN_TRANSIT"})
    wait_for(lambda: len(receiver.received) == 2)
    copies = wire.admin("POST", "webhooks/redeliver", {"count": 2})["redelivered"]
    assert len(copies) == 2
    events = wait_for(lambda: len(receiver.received) == 4 and receiver.events())
    first, again = events[:2], events[2:]
    assert sorted(e["tts_notification_id"] for e in first) == sorted(e["tts_notification_id"] for e in again)


def test_product_audit_results_are_webhooks(wire: Wire, receiver: Receiver) -> None:
    uri = wire.upload()["uri"]
    body = {
        "title": "Replica watch", "description": "d", "category_id": "1", "main_images": [{"uri": uri}],
        "package_weight": {"value": "1", "unit": "KILOGRAM"},
        "skus": [{"seller_sku": "W-1", "price": {"amount": "5", "currency": "GBP"},
                  "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 1}]}],
    }  # fmt: skip
    pid = wire.ok("POST", "/product/202309/products", body=body)["product_id"]
    wire.advance(600)
    events = wait_for(lambda: len(receiver.events()) >= 2 and receiver.events())
    by_type = {e["type"]: e["data"] for e in events}
    assert by_type[5] == {
        "product_id": int(pid),
        "status": "PRODUCT_AUDIT_FAILURE",
        "update_time": by_type[5]["update_time"],
    }
    assert by_type[37]["product_id"] == pid and by_type[37]["status"] == "FAILED" and by_type[37]["suggestions"]


def test_only_loopback_targets(wire: Wire) -> None:
    for url in ("http://10.0.0.1/hook", "https://example.com/hook", "ftp://127.0.0.1/x", "http://169.254.1.1/"):
        payload = expect_error(wire.http.post(f"{wire.base}/_sandbox/webhooks", json={"url": url}), 400, 36009004)
        assert "loopback" in payload["message"] or "http(s)" in payload["message"]
    for url in ("http://localhost:1/x", "http://127.0.0.2:9/x", "http://[::1]:9/x"):
        assert wire.admin("POST", "webhooks", {"url": url})["url"] == url
    assert wire.admin("POST", "webhooks", {"url": None})["url"] is None
    wire.admin("POST", "orders/576900000000000005/status", {"status": "ON_HOLD"})
    assert wire.admin("GET", "webhooks")["deliveries"][-1]["state"] == "no_url"
