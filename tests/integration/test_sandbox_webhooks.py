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
from sandbox_wire import APP_KEY, SECRET, SHOP_ID, Wire, expect_error, product_body

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


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
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


ENVELOPE = {"type", "tts_notification_id", "shop_id", "timestamp", "data"}
#: The data fields of each type, from the webhook guide pages' field tables.
DATA_FIELDS = {
    1: {"order_id", "order_status", "is_on_hold_order", "update_time"},
    3: {"order_id", "update_time"},
    4: {"sc_type", "role_type", "package_list", "update_time"},
    5: {"product_id", "status", "suspended_reason", "update_time"},
    6: {"message"},
    7: {"message", "expiration_time"},
    11: {"order_id", "cancellations_role", "cancel_status", "cancel_id", "create_time"},
    12: {"order_id", "return_role", "return_type", "return_status", "return_id", "create_time", "update_time"},
    15: {"product_id", "change_source", "changed_fields", "update_time"},
    37: {"product_id", "audit", "integrated_platform_statuses", "update_time"},
}


def test_order_status_change_is_signed_and_spells_cancel(wire: Wire, receiver: Receiver) -> None:
    wire.admin("POST", "orders/576900000000000005/status", {"status": "CANCELLED"})
    (event,) = wait_for(receiver.events)
    assert set(event) == ENVELOPE and set(event["data"]) == DATA_FIELDS[1]
    assert event["type"] == 1 and event["shop_id"] == SHOP_ID and event["tts_notification_id"]
    assert isinstance(event["tts_notification_id"], str) and isinstance(event["timestamp"], int)
    assert event["data"]["order_id"] == "576900000000000005" and event["data"]["order_status"] == "CANCEL"
    assert event["data"]["is_on_hold_order"] is False and isinstance(event["data"]["update_time"], int)
    # the receiver has the body before the sandbox has read its answer: wait for the delivery record
    wait_for(lambda: wire.admin("GET", "webhooks")["deliveries"][0]["state"] == "delivered")
    (delivery,) = wire.admin("GET", "webhooks")["deliveries"]
    assert (delivery["type"], delivery["state"], delivery["attempts"], delivery["last_status"]) == (
        1,
        "delivered",
        1,
        200,
    )


def test_is_on_hold_order_stays_true_once_on_hold(wire: Wire, receiver: Receiver) -> None:
    wire.admin("POST", "orders/576900000000000005/status", {"status": "ON_HOLD"})
    wire.admin("POST", "orders/576900000000000005/status", {"status": "AWAITING_SHIPMENT"})
    events = wait_for(lambda: len(receiver.events()) >= 2 and receiver.events())
    assert [(e["data"]["order_status"], e["data"]["is_on_hold_order"]) for e in events] == [
        ("ON_HOLD", True),
        ("AWAITING_SHIPMENT", True),
    ]


def test_ship_emits_the_order_webhook_only(wire: Wire, receiver: Receiver) -> None:
    # a package the seller ships: only those take a shipping-info update (21011004 otherwise)
    pkg = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01", "shipping_type": "SELLER"})["packages"][0]["id"]
    self_ship = {"tracking_number": "SF1", "shipping_provider_id": "7208502187360519003"}
    wire.ok("POST", f"/fulfillment/202309/packages/{pkg}/ship", body={"handover_method": "DROP_OFF",
                                                                     "self_shipment": self_ship})  # fmt: skip
    (event,) = wait_for(receiver.events)
    assert event["type"] == 1 and event["data"]["order_status"] == "AWAITING_COLLECTION"
    wire.ok("POST", f"/fulfillment/202309/packages/{pkg}/shipping_info/update",
            body={"tracking_number": "JT1", "shipping_provider_id": "7208502187360519002"})  # fmt: skip
    time.sleep(0.3)
    assert [d["type"] for d in wire.admin("GET", "webhooks")["deliveries"]] == [1]  # no type 4: not a combine/split


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
    assert set(by_type[5]) == DATA_FIELDS[5] and set(by_type[37]) == DATA_FIELDS[37]
    assert by_type[5]["product_id"] == int(pid) and by_type[5]["status"] == "PRODUCT_AUDIT_FAILURE"
    assert "replica" in by_type[5]["suspended_reason"].lower()
    assert by_type[37] == {
        "product_id": int(pid),
        "audit": {"status": "FAILED", "pre_approved_reasons": []},
        "integrated_platform_statuses": [],
        "update_time": by_type[5]["update_time"],
    }


def test_approval_sends_first_pass_review_and_approved(wire: Wire, receiver: Receiver) -> None:
    body = product_body(wire, title="Plain mug")
    pid = wire.ok("POST", "/product/202309/products", body=body)["product_id"]
    wire.advance(600)
    events = wait_for(lambda: len(receiver.events()) >= 2 and receiver.events())
    by_type = {e["type"]: e["data"] for e in events}
    assert (by_type[5]["status"], by_type[5]["suspended_reason"]) == ("PRODUCT_FIRST_PASS_REVIEW", "")
    assert by_type[37]["product_id"] == int(pid) and by_type[37]["audit"]["status"] == "APPROVED"


@pytest.mark.parametrize("type_", [1, 3, 4, 5, 6, 7, 11, 12, 15, 37])
def test_emit_fills_each_documented_type(wire: Wire, receiver: Receiver, type_: int) -> None:
    emitted = wire.admin("POST", "webhooks/emit", {"type": type_})["emitted"]
    (event,) = wait_for(receiver.events)
    assert event == emitted["body"] and set(event) == ENVELOPE and event["type"] == type_
    data = event["data"]
    assert set(data) == DATA_FIELDS[type_]
    if type_ == 4:
        (package,) = data["package_list"]
        assert set(package) == {"package_id", "order_id_list"} and isinstance(package["order_id_list"], list)
    if type_ == 6:
        assert SHOP_ID in data["message"]
    if type_ == 7:
        assert isinstance(data["expiration_time"], str) and int(data["expiration_time"]) > event["timestamp"]
    if type_ == 15:
        assert isinstance(data["product_id"], str) and isinstance(data["changed_fields"], list)
    if type_ in (5, 37):
        assert isinstance(data["product_id"], int)


def test_emit_keeps_given_fields_and_extras(wire: Wire, receiver: Receiver) -> None:
    data = {"order_id": "1", "cancel_status": "CANCELLATION_REQUEST_SUCCESS", "new_field": 1}
    wire.admin("POST", "webhooks/emit", {"type": 11, "data": data})
    wire.admin("POST", "webhooks/emit", {"type": 99, "data": {"x": 1}})
    first, unknown = wait_for(lambda: len(receiver.events()) == 2 and receiver.events())
    assert first["data"]["order_id"] == "1" and first["data"]["new_field"] == 1
    assert first["data"]["cancellations_role"] == "BUYER" and set(first["data"]) == DATA_FIELDS[11] | {"new_field"}
    assert unknown["type"] == 99 and unknown["data"] == {"x": 1}


def test_omit_notification_id_switch(wire: Wire, receiver: Receiver) -> None:
    settings = wire.admin("POST", "settings", {"webhook_omit_notification_id": True})
    assert settings["webhook_omit_notification_id"] is True
    wire.admin("POST", "orders/576900000000000005/status", {"status": "ON_HOLD"})
    (event,) = wait_for(receiver.events)
    assert set(event) == ENVELOPE - {"tts_notification_id"}
    wait_for(lambda: wire.admin("GET", "webhooks")["deliveries"][0]["state"] == "delivered")
    (delivery,) = wire.admin("GET", "webhooks")["deliveries"]
    assert delivery["tts_notification_id"] is None and delivery["state"] == "delivered"
    wire.admin("POST", "webhooks/redeliver", {"count": 1})
    again = wait_for(lambda: len(receiver.received) == 2 and receiver.events())
    assert again[0] == again[1]  # the redelivery is byte-identical, still without the id
    wire.admin("POST", "settings", {"webhook_omit_notification_id": False})
    wire.admin("POST", "orders/576900000000000005/status", {"status": "AWAITING_SHIPMENT"})
    assert wait_for(lambda: len(receiver.received) == 3 and receiver.events())[-1]["tts_notification_id"]


def test_omit_notification_id_scenario_key() -> None:
    from erpsync.sandbox import SandboxApp
    from erpsync.sandbox.scenario import resolve_source

    scenario = {**resolve_source("default"), "webhook_omit_notification_id": True}
    app = SandboxApp(scenario)
    try:
        assert app.state.world.webhook_omit_notification_id is True
        app.state.notify(6, SHOP_ID, {"message": "m"})
        (delivery,) = app.state.webhooks.snapshot()
        assert "tts_notification_id" not in delivery["body"] and delivery["body"]["data"] == {"message": "m"}
    finally:
        app.close()


def test_only_loopback_targets(wire: Wire) -> None:
    for url in ("http://10.0.0.1/hook", "https://example.com/hook", "ftp://127.0.0.1/x", "http://169.254.1.1/"):
        payload = expect_error(wire.http.post(f"{wire.base}/_sandbox/webhooks", json={"url": url}), 400, 36009004)
        assert "loopback" in payload["message"] or "http(s)" in payload["message"]
    for url in ("http://localhost:1/x", "http://127.0.0.2:9/x", "http://[::1]:9/x"):
        assert wire.admin("POST", "webhooks", {"url": url})["url"] == url
    assert wire.admin("POST", "webhooks", {"url": None})["url"] is None
    wire.admin("POST", "orders/576900000000000005/status", {"status": "ON_HOLD"})
    assert wire.admin("GET", "webhooks")["deliveries"][-1]["state"] == "no_url"


def test_a_401_counts_as_received_and_is_not_retried(wire: Wire, receiver: Receiver) -> None:
    """The platform counts 200 and 401 as received (webhook guide): a refused signature is not retried."""
    receiver.statuses = [401, 200]
    wire.admin("POST", "orders/576900000000000005/status", {"status": "ON_HOLD"})
    wait_for(lambda: wire.admin("GET", "webhooks")["deliveries"][0]["state"] == "rejected")
    time.sleep(0.5)  # longer than the first retry delay: a retry would have come by now
    (delivery,) = wire.admin("GET", "webhooks")["deliveries"]
    assert (delivery["attempts"], delivery["last_status"]) == (1, 401)
    assert len(receiver.received) == 1
