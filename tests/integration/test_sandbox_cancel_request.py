"""The sandbox's buyer cancellation requests over real HTTP: the order's flag, the search filter, webhook 11."""

from __future__ import annotations

import pytest
from sandbox_wire import Wire, expect_error

pytestmark = pytest.mark.integration

ORDERS = "/order/202507/orders"
SEARCH = "/order/202309/orders/search"


def test_a_buyers_request_is_flagged_filtered_on_reported_and_decided(wire: Wire) -> None:
    asked = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01"})
    other = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01", "is_buyer_request_cancel": True})
    assert asked["is_buyer_request_cancel"] is False and other["is_buyer_request_cancel"] is True

    flagged = wire.admin("POST", f"orders/{asked['id']}/cancel_request", {})
    assert flagged["is_buyer_request_cancel"] is True and flagged["update_time"] == asked["update_time"]
    (detail,) = wire.ok("GET", ORDERS, params={"ids": asked["id"]})["orders"]
    assert detail["is_buyer_request_cancel"] is True
    (sent,) = [d["body"]["data"] for d in wire.admin("GET", "webhooks")["deliveries"] if d["type"] == 11]
    assert {"order_id": asked["id"], "cancellations_role": "BUYER"}.items() <= sent.items()
    assert sent["cancel_status"] == "CANCELLATION_REQUEST_PENDING" and sent["cancel_id"]

    def searched(flag: bool) -> set[str]:
        body = {"order_status": "AWAITING_SHIPMENT", "is_buyer_request_cancel": flag}
        return {o["id"] for o in wire.ok("POST", SEARCH, params={"page_size": 100}, body=body)["orders"]}

    assert {asked["id"], other["id"]} <= searched(True) and asked["id"] not in searched(False)

    withdrawn = wire.admin("POST", f"orders/{asked['id']}/cancel_request", {"pending": False})
    assert withdrawn["is_buyer_request_cancel"] is False
    cancelled = wire.admin("POST", f"orders/{other['id']}/status", {"status": "CANCELLED"})
    assert cancelled["is_buyer_request_cancel"] is False  # accepted: no longer pending
    response = wire.http.post(f"{wire.base}/_sandbox/orders/{other['id']}/cancel_request", json={})
    expect_error(response, 400, 36009004)
    response = wire.http.post(f"{wire.base}/_sandbox/orders/{asked['id']}/cancel_request", json={"pending": "yes"})
    expect_error(response, 400, 36009004)
    expect_error(wire.http.post(f"{wire.base}/_sandbox/orders/404/cancel_request", json={}), 404, 36009004)
    bad = wire.call("POST", SEARCH, params={"page_size": 5}, body={"is_buyer_request_cancel": "yes"})
    expect_error(bad, 400, 36009004)


@pytest.mark.parametrize("status", ["UNPAID", "AWAITING_COLLECTION", "DELIVERED", "COMPLETED", "CANCELLED"])
def test_a_request_waits_only_on_an_order_awaiting_shipment(wire: Wire, status: str) -> None:
    """The Cancel Policy describes a request the seller reviews before shipping: an order in
    another status takes none, whether asked for later or given when the order is added."""
    order = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01", "status": status})
    expect_error(wire.http.post(f"{wire.base}/_sandbox/orders/{order['id']}/cancel_request", json={}), 400, 36009004)
    (detail,) = wire.ok("GET", ORDERS, params={"ids": order["id"]})["orders"]
    assert detail["is_buyer_request_cancel"] is False
    body = {"warehouse_id": "WH-DG-01", "status": status, "is_buyer_request_cancel": True}
    expect_error(wire.http.post(f"{wire.base}/_sandbox/orders", json=body), 400, 36009004)
    body = {"warehouse_id": "WH-DG-01", "is_buyer_request_cancel": "yes"}
    expect_error(wire.http.post(f"{wire.base}/_sandbox/orders", json=body), 400, 36009004)


@pytest.mark.parametrize("status", ["AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED"])
def test_a_request_no_longer_waits_once_the_order_leaves_awaiting_shipment(wire: Wire, status: str) -> None:
    order = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01", "is_buyer_request_cancel": True})
    moved = wire.admin("POST", f"orders/{order['id']}/status", {"status": status})
    (detail,) = wire.ok("GET", ORDERS, params={"ids": order["id"]})["orders"]
    assert moved["is_buyer_request_cancel"] is False and detail["is_buyer_request_cancel"] is False
