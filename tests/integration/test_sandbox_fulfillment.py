"""Sandbox fulfilment over real HTTP: ship once, batch ship, the 72 h rule, delivery options, tracking."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_wire import Wire, expect_error

pytestmark = pytest.mark.integration

F = "/fulfillment/202309"
READY = "115400000000000005"  # WH-DG-01 (pickup active), order 576900000000000005 AWAITING_SHIPMENT, no tracking
READY_ORDER = "576900000000000005"
SHIPPED = "115400000000000001"  # order AWAITING_COLLECTION
OTHER_SHOP = "115400000000000010"  # a package of another shop of the same seller
SF_ID, JT_ID = "7208502187360519003", "7208502187360519002"


def new_package(wire: Wire, warehouse: str = "WH-DG-01", shipping_type: str = "TIKTOK") -> str:
    body = {"warehouse_id": warehouse, "shipping_type": shipping_type}
    return wire.admin("POST", "orders", body)["packages"][0]["id"]


def test_ship_once_then_21011040_and_one_effect(wire: Wire) -> None:
    assert wire.ok("POST", f"{F}/packages/{READY}/ship", body={"handover_method": "PICKUP"}) == {}
    detail = wire.ok("GET", f"{F}/packages/{READY}")
    # shipped, not yet collected: PROCESSING until the carrier has it (Get Package Detail)
    assert detail["package_status"] == "PROCESSING" and detail["tracking_number"].startswith("WS")
    assert detail["shipping_provider_name"].startswith("Wanse") and detail["delivery_option_id"]
    (order,) = wire.ok("GET", "/order/202309/orders", params={"ids": READY_ORDER})["orders"]
    assert order["status"] == "AWAITING_COLLECTION"
    assert order["line_items"][0]["tracking_number"] == detail["tracking_number"]
    expect_error(wire.call("POST", f"{F}/packages/{READY}/ship", body={"handover_method": "PICKUP"}), 400, 21011040)
    expect_error(wire.call("POST", f"{F}/packages/{SHIPPED}/ship", body={"handover_method": "PICKUP"}), 400, 21011040)
    assert wire.admin("GET", "effects")["ship"] == {READY: 1}
    expect_error(wire.call("POST", f"{F}/packages/404/ship", body={"handover_method": "DROP_OFF"}), 404, 21011028)
    expect_error(wire.call("POST", f"{F}/packages/{OTHER_SHOP}/ship", body={}), 404, 21011028)
    assert wire.admin("DELETE", "effects")["ship"] == {}


def test_ship_rules(wire: Wire) -> None:
    sz = new_package(wire, "WH-SZ-01", "SELLER")  # pickup still under review: PICKUP refused, DROP_OFF fine
    expect_error(wire.call("POST", f"{F}/packages/{sz}/ship", body={"handover_method": "PICKUP"}), 400, 36009004)
    self_ship = {
        "handover_method": "DROP_OFF",
        "self_shipment": {"tracking_number": "SF123", "shipping_provider_id": SF_ID},
    }
    wire.ok("POST", f"{F}/packages/{sz}/ship", body=self_ship)
    detail = wire.ok("GET", f"{F}/packages/{sz}")
    assert (detail["tracking_number"], detail["shipping_provider_id"], detail["handover_method"]) == (
        "SF123",
        SF_ID,
        "DROP_OFF",
    )
    other = new_package(wire, shipping_type="SELLER")
    unknown = {"self_shipment": {"tracking_number": "X1", "shipping_provider_id": "nope"}}
    expect_error(wire.call("POST", f"{F}/packages/{other}/ship", body=unknown), 400, 36009004)
    unpaid = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01", "status": "UNPAID"})["packages"][0]["id"]
    expect_error(wire.call("POST", f"{F}/packages/{unpaid}/ship", body={"handover_method": "DROP_OFF"}), 400, 36009004)


def test_batch_ship(wire: Wire) -> None:
    a, b = new_package(wire), new_package(wire)
    body = {"packages": [{"id": a, "handover_method": "DROP_OFF"}, {"id": SHIPPED, "handover_method": "DROP_OFF"},
                         {"id": "404"}, {"id": b, "handover_method": "PICKUP"}, {"id": OTHER_SHOP}]}  # fmt: skip
    errors = {e["detail"]["package_id"]: e["code"] for e in wire.ok("POST", f"{F}/packages/ship", body=body)["errors"]}
    assert errors == {SHIPPED: 21011020, "404": 21011028, OTHER_SHOP: 21011028}
    assert wire.admin("GET", "effects")["ship"] == {a: 1, b: 1}
    too_many = {"packages": [{"id": str(i)} for i in range(51)]}
    expect_error(wire.call("POST", f"{F}/packages/ship", body=too_many), 400, 36009004)
    expect_error(wire.call("POST", f"{F}/packages/ship", body={"packages": []}), 400, 36009004)


def test_shipping_info_update_72h_rule(wire: Wire) -> None:
    update = {"tracking_number": "JT999", "shipping_provider_id": JT_ID}
    pending = new_package(wire, shipping_type="SELLER")
    expect_error(wire.call("POST", f"{F}/packages/{pending}/shipping_info/update", body=update), 400, 21011043)
    added = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01", "shipping_type": "SELLER"})
    pkg, order = added["packages"][0]["id"], added["id"]  # the seller ships it: its number may be corrected
    self_ship = {"tracking_number": "SF1", "shipping_provider_id": SF_ID}
    wire.ok("POST", f"{F}/packages/{pkg}/ship", body={"handover_method": "DROP_OFF", "self_shipment": self_ship})
    wire.advance(71 * 3600)
    assert wire.ok("POST", f"{F}/packages/{pkg}/shipping_info/update", body=update) == {}
    detail = wire.ok("GET", f"{F}/packages/{pkg}")
    assert (detail["tracking_number"], detail["shipping_provider_id"]) == ("JT999", JT_ID)
    # one delivery-information update per order: a second, of the package or of its order, is refused
    again = {**update, "tracking_number": "JT1000"}
    expect_error(wire.call("POST", f"{F}/orders/{order}/shipping_info/update", body=again), 400, 21011051)
    expect_error(wire.call("POST", f"{F}/packages/{pkg}/shipping_info/update", body=again), 400, 21011051)
    assert wire.ok("GET", f"{F}/packages/{pkg}")["tracking_number"] == "JT999"
    wire.advance(2 * 3600)  # 73 h since shipping
    expect_error(wire.call("POST", f"{F}/packages/{pkg}/shipping_info/update", body=update), 400, 21011049)
    expect_error(wire.call("POST", f"{F}/orders/{order}/shipping_info/update", body=update), 400, 21011049)
    assert wire.admin("GET", "effects")["shipping_info_update"] == {pkg: 1}


def test_an_order_update_uses_up_its_packages_update(wire: Wire) -> None:
    added = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01", "shipping_type": "SELLER"})
    pkg, order = added["packages"][0]["id"], added["id"]
    self_ship = {"tracking_number": "SF2", "shipping_provider_id": SF_ID}
    wire.ok("POST", f"{F}/packages/{pkg}/ship", body={"handover_method": "DROP_OFF", "self_shipment": self_ship})
    update = {"tracking_number": "JT2", "shipping_provider_id": JT_ID}
    assert wire.ok("POST", f"{F}/orders/{order}/shipping_info/update", body=update) == {}
    expect_error(wire.call("POST", f"{F}/packages/{pkg}/shipping_info/update", body=update), 400, 21011051)
    assert wire.admin("GET", "effects")["shipping_info_update"] == {pkg: 1}
    expect_error(wire.call("POST", f"{F}/orders/404/shipping_info/update", body=update), 404, 21011028)
    expect_error(wire.call("POST", f"{F}/packages/404/shipping_info/update", body=update), 404, 21011028)
    expect_error(wire.call("POST", f"{F}/packages/{pkg}/shipping_info/update", body={}), 400, 36009004)


def test_delivery_options_providers_and_tracking(wire: Wire) -> None:
    options = wire.ok("GET", "/logistics/202309/warehouses/WH-DG-01/delivery_options")["delivery_options"]
    assert {o["type"] for o in options} == {"STANDARD", "SEND_BY_SELLER"} and all(
        o["id"] and o["name"] for o in options
    )
    standard = next(o for o in options if o["type"] == "STANDARD" and o["name"] == "Standard shipping")
    by_tiktok = next(o for o in options if o["name"] == "Delivered by TikTok")
    expect_error(
        wire.call("GET", f"/logistics/202309/delivery_options/{by_tiktok['id']}/shipping_providers"), 400, 21008117
    )
    providers = wire.ok("GET", f"/logistics/202309/delivery_options/{standard['id']}/shipping_providers")
    names = [p["name"] for p in providers["shipping_providers"]]
    assert any(n.startswith("Wanse") for n in names)
    expect_error(wire.call("GET", "/logistics/202309/warehouses/WH-GZ-01/delivery_options"), 404, 36009004)
    expect_error(wire.call("GET", "/logistics/202309/delivery_options/nope/shipping_providers"), 404, 36009004)
    tracking = f"{F}/orders/{READY_ORDER}/tracking"
    assert wire.ok("GET", tracking)["tracking"] == []
    wire.ok("POST", f"{F}/packages/{READY}/ship", body={})
    events: list[dict[str, Any]] = wire.ok("GET", tracking)["tracking"]
    assert len(events) == 1 and events[0]["update_time_millis"] > 10**12
    wire.advance(2 * 86400)
    events = wire.ok("GET", tracking)["tracking"]
    assert len(events) == 4 and events[0]["update_time_millis"] > events[-1]["update_time_millis"]
    expect_error(wire.call("GET", f"{F}/orders/404/tracking"), 404, 21011028)


def test_who_ships_decides_what_may_be_written(wire: Wire) -> None:
    """TIKTOK packages (Get Package Detail's shipping_type) ship under TikTok's label: a
    self_shipment is refused (36009004, a guess), and so is a shipping-info update (21011004, as
    Update Package Shipping Info and Update Shipping Info document); SELLER ones take both."""
    self_ship = {
        "handover_method": "DROP_OFF",
        "self_shipment": {"tracking_number": "SF9", "shipping_provider_id": SF_ID},
    }
    tiktok, seller = new_package(wire), new_package(wire, shipping_type="SELLER")
    assert wire.ok("GET", f"{F}/packages/{tiktok}")["shipping_type"] == "TIKTOK"
    assert wire.ok("GET", f"{F}/packages/{seller}")["shipping_type"] == "SELLER"
    expect_error(wire.call("POST", f"{F}/packages/{tiktok}/ship", body=self_ship), 400, 36009004)
    batch = {"packages": [{"id": tiktok, **self_ship}, {"id": seller, **self_ship}]}
    errors = {e["detail"]["package_id"]: e["code"] for e in wire.ok("POST", f"{F}/packages/ship", body=batch)["errors"]}
    assert errors == {tiktok: 36009004}
    assert wire.admin("GET", "effects")["ship"] == {seller: 1}
    wire.ok("POST", f"{F}/packages/{tiktok}/ship", body={"handover_method": "PICKUP"})  # TikTok's own label
    order = wire.ok("GET", f"{F}/packages/{tiktok}")["orders"][0]["id"]
    update = {"tracking_number": "SF10", "shipping_provider_id": SF_ID}
    expect_error(wire.call("POST", f"{F}/packages/{tiktok}/shipping_info/update", body=update), 400, 21011004)
    expect_error(wire.call("POST", f"{F}/orders/{order}/shipping_info/update", body=update), 400, 21011004)
    assert wire.ok("POST", f"{F}/packages/{seller}/shipping_info/update", body=update) == {}
    assert wire.admin("GET", "effects")["shipping_info_update"] == {seller: 1}
    refused = wire.http.post(f"{wire.base}/_sandbox/orders", json={"warehouse_id": "WH-DG-01", "shipping_type": "X"})
    assert refused.status_code == 400 and "shipping_type" in refused.text


def test_an_order_of_two_packages_ships_one_package_at_a_time_and_its_line_items_say_which(wire: Wire) -> None:
    one, two = "115499000000009901", "115499000000009902"
    items = [{"product_name": name, "package_id": pkg} for name, pkg in (("Mug", one), ("Cup", two), ("Lid", two))]
    body = {"warehouse_id": "WH-DG-01", "shipping_type": "SELLER", "packages": [{"id": one}, {"id": two}]}
    added = wire.admin("POST", "orders", {**body, "line_items": items})

    def items_of(order: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(i["package_id"], i["package_status"], i["tracking_number"]) for i in order["line_items"]]

    assert added["status"] == "AWAITING_SHIPMENT" and [p["id"] for p in added["packages"]] == [one, two]
    assert items_of(added) == [(one, "TO_FULFILL", ""), (two, "TO_FULFILL", ""), (two, "TO_FULFILL", "")]
    self_ship = {
        "handover_method": "DROP_OFF",
        "self_shipment": {"tracking_number": "SF91", "shipping_provider_id": SF_ID},
    }
    wire.ok("POST", f"{F}/packages/{one}/ship", body=self_ship)
    (order,) = wire.ok("GET", "/order/202507/orders", params={"ids": added["id"]})["orders"]
    assert order["status"] == "PARTIALLY_SHIPPING" and order["update_time"] > added["update_time"]
    assert items_of(order) == [(one, "PROCESSING", "SF91"), (two, "TO_FULFILL", ""), (two, "TO_FULFILL", "")]
    expect_error(wire.call("POST", f"{F}/packages/{one}/ship", body=self_ship), 400, 21011040)
    other = {"handover_method": "DROP_OFF", "self_shipment": {"tracking_number": "SF92", "shipping_provider_id": SF_ID}}
    wire.ok("POST", f"{F}/packages/{two}/ship", body=other)
    (order,) = wire.ok("GET", "/order/202507/orders", params={"ids": added["id"]})["orders"]
    assert order["status"] == "AWAITING_COLLECTION"
    assert items_of(order) == [(one, "PROCESSING", "SF91"), (two, "PROCESSING", "SF92"), (two, "PROCESSING", "SF92")]
    assert wire.admin("GET", "effects")["ship"] == {one: 1, two: 1}
    sampled = wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01", "packages": [{}, {}]})
    assert [i["package_id"] for i in sampled["line_items"]] == [p["id"] for p in sampled["packages"]]  # one each
