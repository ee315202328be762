"""Parcels handed over (``POST /_sandbox/packages/<id>/collect``), as the Open API then shows them.

A collected parcel is one the carrier has: its orders are IN_TRANSIT and the package FULFILLING, so
a poller sees it leave the "still to hand over" set through Get Package Detail, the package search
and the order detail, read with the suites' own signed client (sandbox_wire.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_wire import Wire, expect_error

pytestmark = pytest.mark.integration

F = "/fulfillment/202309"
ORDERS = "/order/202309/orders"
DG = "WH-DG-01"
COMBINED = "115400000000000002"  # WH-DG-01, two orders awaiting collection, PROCESSING
NO_WAYBILL = "115400000000000005"  # order awaiting shipment, no tracking number yet


def collect(wire: Wire, package_id: str) -> tuple[int, dict[str, Any]]:
    response = wire.http.post(f"{wire.base}/_sandbox/packages/{package_id}/collect")
    return response.status_code, response.json()


def order_statuses(wire: Wire, order_ids: list[str]) -> list[str]:
    orders = wire.ok("GET", ORDERS, params={"ids": ",".join(order_ids)})["orders"]
    return [o["status"] for o in sorted(orders, key=lambda o: order_ids.index(o["id"]))]


def processing(wire: Wire, since: int) -> set[str]:
    body = {"create_time_ge": since, "package_status": "PROCESSING"}
    return {p["id"] for p in wire.ok("POST", f"{F}/packages/search", params={"page_size": 50}, body=body)["packages"]}


def test_collect_hands_the_parcel_over(wire: Wire) -> None:
    added = wire.admin("POST", "packages", {"warehouse_id": DG, "count": 2})["packages"]
    first, second = (p["id"] for p in added)
    since = added[0]["create_time"] - 1
    assert processing(wire, since) == {first, second}
    wire.advance(6 * 3600)
    now = wire.admin("GET", "state")["clock"]["virtual_now"]
    view = wire.admin("POST", f"packages/{first}/collect")
    assert view["status"] == "FULFILLING" and view["id"] == first
    detail = wire.ok("GET", f"{F}/packages/{first}")
    assert detail["package_status"] == "FULFILLING"
    assert detail["handover_method"] == "PICKUP" and detail["tracking_number"].startswith("WS")  # the label stays
    assert abs(detail["update_time"] - now) <= 2  # on the virtual clock
    assert order_statuses(wire, added[0]["order_ids"]) == ["IN_TRANSIT"]
    assert processing(wire, since) == {second}  # only the parcel still to hand over is left
    found = wire.ok("POST", f"{F}/packages/search", params={"page_size": 50}, body={"update_time_ge": now - 2})
    assert first in {p["id"] for p in found["packages"]}
    code, answer = collect(wire, first)
    assert code == 409 and "already collected" in answer["message"]


def test_collect_moves_every_order_of_a_combined_package(wire: Wire) -> None:
    orders = ["576900000000000002", "576900000000000199"]
    assert order_statuses(wire, orders) == ["AWAITING_COLLECTION"] * 2
    wire.admin("POST", f"packages/{COMBINED}/collect")
    assert order_statuses(wire, orders) == ["IN_TRANSIT"] * 2
    assert wire.ok("GET", f"{F}/packages/{COMBINED}")["package_status"] == "FULFILLING"


def test_collect_after_an_open_api_ship(wire: Wire) -> None:
    package = wire.admin("POST", "orders", {"warehouse_id": DG})["packages"][0]["id"]
    wire.ok("POST", f"{F}/packages/{package}/ship", body={"handover_method": "PICKUP"})
    order = wire.ok("GET", f"{F}/packages/{package}")["orders"][0]["id"]
    assert order_statuses(wire, [order]) == ["AWAITING_COLLECTION"]
    wire.admin("POST", f"packages/{package}/collect")
    assert order_statuses(wire, [order]) == ["IN_TRANSIT"]


def test_a_drop_off_parcel_is_handed_over_too(wire: Wire) -> None:
    wire.admin("POST", f"warehouses/{DG}/address", {})  # under review: new labels are DROP OFF
    package = wire.admin("POST", "packages", {"warehouse_id": DG})["packages"][0]
    assert package["handover_method"] == "DROP_OFF"
    assert wire.admin("POST", f"packages/{package['id']}/collect")["status"] == "FULFILLING"
    detail = wire.ok("GET", f"{F}/packages/{package['id']}")
    assert detail["handover_method"] == "DROP_OFF" and detail["tracking_number"].startswith("SF")


def test_collect_emits_the_order_webhook(wire: Wire) -> None:
    package = wire.admin("POST", "packages", {"warehouse_id": DG})["packages"][0]
    wire.admin("POST", f"packages/{package['id']}/collect")
    sent = [d["body"]["data"] for d in wire.admin("GET", "webhooks")["deliveries"] if d["type"] == 1]
    assert {"order_id": package["order_ids"][0], "order_status": "IN_TRANSIT"}.items() <= sent[-1].items()


def test_collect_refusals(wire: Wire) -> None:
    code, answer = collect(wire, NO_WAYBILL)
    assert code == 409 and "no waybill" in answer["message"]
    unpaid = wire.admin(
        "POST", "orders", {"warehouse_id": DG, "status": "UNPAID", "package": {"tracking_number": "WS9"}}
    )
    code, answer = collect(wire, unpaid["packages"][0]["id"])
    assert code == 409 and "UNPAID" in answer["message"]
    cancelled = wire.admin("POST", "packages", {"warehouse_id": DG})["packages"][0]
    wire.admin("POST", f"orders/{cancelled['order_ids'][0]}/status", {"status": "CANCELLED"})
    code, answer = collect(wire, cancelled["id"])
    assert code == 409 and "cancelled" in answer["message"]
    code, answer = collect(wire, "404404")
    assert code == 404 and answer["code"] == 36009004
    response = wire.http.post(f"{wire.base}/_sandbox/packages/{COMBINED}/collect", json={"at": 1})
    expect_error(response, 400, 36009004)
    assert wire.ok("GET", f"{F}/packages/{COMBINED}")["package_status"] == "PROCESSING"
