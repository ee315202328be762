"""Sandbox orders over real HTTP: detail shape, hidden address, search paging/sorting, admin moves."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_wire import Wire, expect_error

pytestmark = pytest.mark.integration

ORDERS = "/order/202507/orders"
OLD_ORDERS = "/order/202309/orders"  # superseded, still served
SEARCH = "/order/202309/orders/search"
SHIPPED = "576900000000000001"  # AWAITING_COLLECTION, package 115400000000000001 (WS)
UNPAID, ON_HOLD = "576900000000000301", "576900000000000302"


def test_detail_shape_and_hidden_address(wire: Wire) -> None:
    orders = {o["id"]: o for o in wire.ok("GET", ORDERS, params={"ids": f"{SHIPPED},{UNPAID},{ON_HOLD},404"})["orders"]}
    assert set(orders) == {SHIPPED, UNPAID, ON_HOLD}
    shipped = orders[SHIPPED]
    expected = {"id", "status", "create_time", "update_time", "warehouse_id", "shipping_type", "payment"}
    expected |= {"recipient_address", "line_items", "packages", "tracking_number", "shipping_provider"}
    assert set(shipped) >= expected
    assert shipped["tracking_number"] == "WS0000000101" and shipped["shipping_provider"].startswith("Wanse")
    assert set(shipped["payment"]) == {"currency", "total_amount", "sub_total", "shipping_fee"}
    (item,) = shipped["line_items"]
    assert item["package_id"] == "115400000000000001" and item["tracking_number"] == "WS0000000101"
    assert set(shipped["recipient_address"]) == {"name", "phone_number", "full_address", "region_code", "postal_code"}
    assert "recipient_address" not in orders[UNPAID] and "recipient_address" not in orders[ON_HOLD]
    assert orders[UNPAID]["line_items"][0]["seller_sku"] == "MUG-350-RED"
    many = ",".join(str(i) for i in range(51))
    expect_error(wire.call("GET", ORDERS, params={"ids": many}), 400, 36009004)
    expect_error(wire.call("GET", ORDERS, params={"ids": ""}), 400, 36009004)


def test_superseded_order_detail_path_answers_the_same(wire: Wire) -> None:
    new = wire.ok("GET", ORDERS, params={"ids": SHIPPED})["orders"]
    old = wire.ok("GET", OLD_ORDERS, params={"ids": SHIPPED})["orders"]
    assert [o["id"] for o in new] == [o["id"] for o in old] == [SHIPPED]
    paths = wire.admin("GET", "counts")["paths"]
    assert paths["/order/202507/orders"]["2xx"] >= 1 and paths["/order/202309/orders"]["2xx"] >= 1


def _all(wire: Wire, params: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    rows, token = [], ""
    while True:
        page = wire.ok("POST", SEARCH, params={**params, **({"page_token": token} if token else {})}, body=body)
        rows += page["orders"]
        token = page["next_page_token"]
        if not token:
            return rows


def test_search_paging_sorting_and_filters(wire: Wire) -> None:
    first = wire.ok("POST", SEARCH, params={"page_size": 100}, body={})
    assert first["total_count"] == 12 and first["next_page_token"] == ""  # 10 staged + UNPAID + ON_HOLD
    asc = _all(wire, {"page_size": 5, "sort_field": "create_time", "sort_order": "ASC"}, {})
    keys = [(o["create_time"], o["id"]) for o in asc]
    assert len(asc) == 12 and keys == sorted(keys)
    desc = _all(wire, {"page_size": 5}, {})  # default: create_time DESC
    assert [o["id"] for o in desc] == [o["id"] for o in reversed(asc)]
    waiting = wire.ok("POST", SEARCH, params={"page_size": 100}, body={"order_status": "AWAITING_COLLECTION"})
    assert waiting["total_count"] == 7 and {o["status"] for o in waiting["orders"]} == {"AWAITING_COLLECTION"}
    for size in (0, 101):
        expect_error(wire.call("POST", SEARCH, params={"page_size": size}, body={}), 400, 36009004)
    bad_sorts: list[dict[str, Any]] = [{"sort_field": "id"}, {"sort_order": "UP"}]
    for bad in bad_sorts:
        expect_error(wire.call("POST", SEARCH, params={"page_size": 5, **bad}, body={}), 400, 36009004)
    expect_error(wire.call("POST", SEARCH, params={"page_size": 5}, body={"order_status": "NOPE"}), 400, 36009004)
    token = wire.ok("POST", SEARCH, params={"page_size": 5}, body={})["next_page_token"]
    other_sort = {"page_size": 5, "page_token": token, "sort_field": "update_time"}
    expect_error(wire.call("POST", SEARCH, params=other_sort, body={}), 400, 36009004)


def test_admin_add_and_move_orders_bumps_update_time(wire: Wire) -> None:
    added = wire.admin(
        "POST",
        "orders",
        {"warehouse_id": "WH-DG-01", "status": "UNPAID", "line_items": [{"seller_sku": "MUG-350-BLUE"}]},
    )
    assert added["status"] == "UNPAID" and "recipient_address" not in added and len(added["packages"]) == 1
    assert added["line_items"][0]["product_id"] == "1731000000000000101"
    before = added["update_time"]
    since = before
    moved = wire.admin("POST", f"orders/{added['id']}/status", {"status": "AWAITING_SHIPMENT"})
    assert moved["update_time"] > before and moved["recipient_address"]
    recent = wire.ok(
        "POST", SEARCH, params={"page_size": 10, "sort_field": "update_time"}, body={"update_time_ge": since + 1}
    )
    assert [o["id"] for o in recent["orders"]] == [added["id"]]
    response = wire.http.post(f"{wire.base}/_sandbox/orders/{added['id']}/status", json={"status": "LOST"})
    expect_error(response, 400, 36009004)
    expect_error(wire.http.post(f"{wire.base}/_sandbox/orders/404/status", json={"status": "CANCELLED"}), 404, 36009004)
    cancelled = wire.admin("POST", f"orders/{added['id']}/status", {"status": "CANCELLED"})
    assert cancelled["line_items"][0]["package_status"] == "CANCELLED"
