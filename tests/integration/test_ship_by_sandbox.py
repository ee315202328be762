"""Ship-by alerts through the sandbox on a moved clock: near, escalated to overdue, resolved once shipped.

The sandbox gives every order a latest ship time (``rts_sla_time``) three days after it was paid;
erpsync and the sandbox share one clock (``pickup_world``).
"""

from __future__ import annotations

import json

import pytest
from pickup_world import open_world, scenario

from erpsync.sandbox.auth import ALL_SCOPES

pytestmark = pytest.mark.integration


@pytest.fixture
def world(demo_ws, pm, registry):
    with open_world(demo_ws, pm, registry) as w:
        w.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        yield w


def kinds(report) -> set[tuple[str, str]]:
    return {(d.kind, d.subject) for d in report.drifts if d.aspect == "ship_by"}


def test_near_then_overdue_then_resolved_when_shipped(world):
    world.ws.admin("POST", "orders", {"id": "5769000000000000901", "warehouse_id": "WH-DG"})
    world.ws.admin("POST", "orders", {"id": "5769000000000000902", "warehouse_id": "WH-SZ", "create_time": "-71h"})
    report = world.run(aspects=("ship_by",))
    assert kinds(report) == {("ship_by_near", "5769000000000000902")}

    world.advance(hours=50)  # 901: 22 h left; 902: a day late
    report = world.run(aspects=("ship_by",))
    assert kinds(report) == {("ship_by_near", "5769000000000000901"), ("ship_by_overdue", "5769000000000000902")}
    assert report.exit_code == 2

    world.ws.admin("POST", "orders/5769000000000000902/status", {"status": "AWAITING_COLLECTION"})
    report = world.run(aspects=("ship_by",))
    assert kinds(report) == {("ship_by_near", "5769000000000000901")}
    events = [(a["event"], a["kind"], a["subject"][-3:]) for a in world.ws.alerts()]
    # 902 is one drift from near to shipped: it escalated, it never resolved while overdue
    assert sorted(events) == [
        ("escalated", "ship_by_overdue", "902"),
        ("opened", "ship_by_near", "901"),
        ("opened", "ship_by_near", "902"),
        ("resolved", "ship_by_overdue", "902"),
    ]
    assert events[0] == ("opened", "ship_by_near", "902")  # the first run saw only 902


def test_an_extension_for_dongguan_orders_gives_them_more_days(world):
    world.ws.admin("POST", "orders", {"id": "5769000000000000911", "warehouse_id": "WH-DG", "create_time": "-80h"})
    world.ws.admin("POST", "orders", {"id": "5769000000000000912", "warehouse_id": "WH-SZ", "create_time": "-80h"})
    extension = (
        '[[aspects.ship_by.extensions]]\ncities = ["东莞市"]\nextra_days = 3\n'
        'created_from = "2000-01-01T00:00:00+08:00"\ncreated_before = "2100-01-01T00:00:00+08:00"\n'
    )
    world.ws.config.write_text(world.ws.config.read_text(encoding="utf-8") + extension, encoding="utf-8")
    report = world.run(aspects=("ship_by",))
    assert kinds(report) == {("ship_by_overdue", "5769000000000000912")}


def test_an_app_without_the_order_scope_is_a_note_and_the_shop_goes_on(demo_ws, pm, registry):
    data = scenario("demo")
    token = data["apps"][0]["tokens"][0]
    token["scopes"] = [s for s in ALL_SCOPES if s != "seller.order.info"]
    with open_world(demo_ws, pm, registry, data) as w:
        w.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        # (the pickup aspect reads orders too, for its evidence: without the scope it stops the shop)
        report = w.run(aspects=("warehouse_address", "ship_by"))
        (shop,) = report.shops
        assert shop.error is None and report.exit_code == 0
        (ship_by,) = [a for a in shop.aspects if a.aspect == "ship_by"]
        (note,) = ship_by.notes
        assert note.startswith("ship-by times not watched: Seller Center refused to list orders") and "105005" in note


def test_an_order_the_run_ships_with_the_erps_tracking_number_is_not_alerted_as_unshipped(world):
    """ship_by ran before tracking: it alerted "ship_by_near" for an order the same run then
    shipped, and the next run resolved it. Named in that order on purpose: a run takes them as
    registered, tracking first, however they are named."""
    cfg = world.ws.config.read_text(encoding="utf-8")
    world.ws.config.write_text(cfg.replace('path = "erp"\n', 'path = "erp"\nshipments = "shipments.csv"\n'), "utf-8")
    # created 71 h ago: its latest ship time (3 days after payment) is 1 h away
    world.ws.admin(
        "POST", "orders",
        {"id": "5769000000000000931", "warehouse_id": "WH-DG", "create_time": "-71h",
         "package": {"id": "1154990000000931"}, "shipping_type": "SELLER"},
    )  # fmt: skip
    # the ERP printed the label: its shipment, with the tracking number, waits for erpsync to push it
    (world.ws.root / "erp" / "shipments.csv").write_text(
        "id,package_id,order_id,tracking_number,carrier\nS1,1154990000000931,,SF931,SF Express (顺丰)\n",
        encoding="utf-8",
    )
    report = world.run(apply=True, aspects=("ship_by", "tracking"))
    assert [a.aspect for a in report.shops[0].aspects] == ["tracking", "ship_by"]
    pushed = [r.action.kind for a in report.shops[0].aspects for r in a.actions if r.status == "applied"]
    assert pushed == ["ship"] and kinds(report) == set()
    assert [a for a in world.ws.alerts() if a["subject"].endswith("931")] == []


def test_the_alert_of_an_order_the_buyer_asked_to_cancel_says_not_to_ship_it_and_the_other_does_not(world):
    """Both near their latest ship time; the buyer of 942 asked to cancel it (webhook 11, the
    order still AWAITING_SHIPMENT): its alert, in both languages, says not to ship it yet."""
    for order_id in ("5769000000000000941", "5769000000000000942"):
        world.ws.admin("POST", "orders", {"id": order_id, "warehouse_id": "WH-DG", "create_time": "-71h"})
    world.ws.admin("POST", "orders/5769000000000000942/cancel_request", {})
    report = world.run(aspects=("ship_by",))
    drifts = {d.subject[-3:]: d for d in report.drifts if d.aspect == "ship_by"}
    assert {(k, d.kind, d.severity.value) for k, d in drifts.items()} == {
        ("941", "ship_by_near", "warning"),
        ("942", "ship_by_near", "warning"),
    }
    asked, plain = drifts["942"], drifts["941"]
    assert "the buyer has asked to cancel it: do not ship it before the request is decided" in asked.text("en")
    assert "买家已申请取消该订单：申请处理前请勿发货" in asked.text("zh")
    assert "cancel" not in plain.text("en") and "取消" not in plain.text("zh")
    sent = {a["subject"][-3:]: json.dumps(a, ensure_ascii=False) for a in world.ws.alerts()}
    assert "买家已申请取消该订单" in sent["942"] and "buyer has asked to cancel" in sent["942"]
    assert "取消" not in sent["941"] and "cancel" not in sent["941"]
