"""Where a TikTok package stands for shipping, from its detail and its orders (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from erpsync.connectors.tiktok.fulfillment.models import Package, PackageStatus
from erpsync.connectors.tiktok.orders.models import LineItem, Order, OrderStatus
from erpsync.connectors.tiktok.shipping import shipping_state
from erpsync.core.aspects.tracking_plan import TrackingObservation, diff_tracking
from erpsync.core.shipping import ErpShipment, ShippingStatus


def order(status: OrderStatus, oid: str = "O1") -> Order:
    return Order(oid, status, 1, 1, None, "WH-DG", "SELLER", None, "", None, None, None, (), ("P1",))


def package(status: PackageStatus = PackageStatus.PROCESSING, number: str | None = None) -> Package:
    return Package("P1", status, tracking_number=number, order_ids=("O1",))


@pytest.mark.parametrize(
    ("pkg", "orders", "expected"),
    [
        # PROCESSING before and after shipping: the orders tell which
        (package(), [order(OrderStatus.AWAITING_SHIPMENT)], ShippingStatus.AWAITING_SHIPMENT),
        (package(number="SF1"), [order(OrderStatus.AWAITING_SHIPMENT)], ShippingStatus.AWAITING_SHIPMENT),
        (package(number="SF1"), [order(OrderStatus.AWAITING_COLLECTION)], ShippingStatus.SHIPPED),
        (package(PackageStatus.FULFILLING, "SF1"), [], ShippingStatus.SHIPPED),
        (package(PackageStatus.CANCELLED), [order(OrderStatus.AWAITING_SHIPMENT)], ShippingStatus.CANCELLED),
        (package(), [order(OrderStatus.CANCELLED)], ShippingStatus.CANCELLED),
        (package(), [order(OrderStatus.UNPAID)], ShippingStatus.NOT_SHIPPABLE),
        (package(), [], ShippingStatus.NOT_SHIPPABLE),  # no order read: never shipped blindly
    ],
)
def test_the_orders_decide_whether_a_processing_package_has_shipped(pkg, orders, expected):
    state = shipping_state(pkg, orders)
    assert state.status is expected
    assert state.shipped_at is None  # the package detail carries no shipping time


def test_the_warehouse_comes_from_the_orders_and_the_reason_names_the_order():
    state = shipping_state(package(), [order(OrderStatus.ON_HOLD, "O7")])
    assert (state.warehouse_id, state.detail) == ("WH-DG", "order O7 is ON_HOLD")


@pytest.mark.parametrize(
    ("shipping_type", "expected"),
    [("TIKTOK", True), ("SELLER", False), (None, None), ("", None), ("SOMETHING_NEW", None)],
)
def test_the_detail_s_shipping_type_says_whether_the_platform_ships_the_package(shipping_type, expected):
    pkg = Package("P1", PackageStatus.PROCESSING, order_ids=("O1",), shipping_type=shipping_type)
    assert shipping_state(pkg, [order(OrderStatus.AWAITING_SHIPMENT)]).platform_ships is expected
    settled = Package("P1", PackageStatus.FULFILLING, tracking_number="SF1", shipping_type=shipping_type)
    assert shipping_state(settled, []).platform_ships is expected


def item(package_id: str, status: str, number: str = "") -> LineItem:
    return LineItem(f"L-{package_id}", None, "SKU", None, "item", None, "USD", package_id, status, number)


def partly_shipped(*items: LineItem) -> Order:
    """An order of two packages, P1 and P2, one of which has shipped ("some items in the order
    have been shipped, but not all")."""
    return Order("O1", OrderStatus.PARTIALLY_SHIPPING, 1, 1, None, "WH", "SELLER", None, "", None, None, None,
                 items, ("P1", "P2"))  # fmt: skip


def of(package_id: str, number: str | None = None) -> Package:
    return Package(package_id, PackageStatus.PROCESSING, tracking_number=number, order_ids=("O1",))


@pytest.mark.parametrize(
    ("p1_items", "expected"),
    [
        ([item("P1", "PROCESSING", "SF1")], ShippingStatus.SHIPPED),  # shipped, waiting for the carrier
        ([item("P1", "FULFILLING", "SF1")], ShippingStatus.SHIPPED),
        ([item("P1", "COMPLETED", "SF1"), item("P1", "PROCESSING", "SF1")], ShippingStatus.SHIPPED),
        ([item("P1", "TO_FULFILL")], ShippingStatus.AWAITING_SHIPMENT),
        ([item("P1", "TO_FULFILL"), item("P1", "TO_FULFILL")], ShippingStatus.AWAITING_SHIPMENT),
        ([], ShippingStatus.AWAITING_SHIPMENT),  # US and UK: no package_id before it ships
    ],
)
def test_a_partially_shipping_order_s_line_items_say_whether_this_package_shipped(p1_items, expected):
    order = partly_shipped(*p1_items, item("P2", "TO_FULFILL"))
    assert shipping_state(of("P1", "SF1"), [order]).status is expected
    other = partly_shipped(*p1_items, item("P2", "PROCESSING", "SF2"))  # the other package shipped
    assert shipping_state(of("P1", "SF1"), [other]).status is expected


@pytest.mark.parametrize("value", ["", "CANCELLED", "SOMETHING_NEW"])
def test_line_items_that_do_not_say_leave_the_package_reported_not_shipped_on_a_guess(value):
    order = partly_shipped(item("P1", value), item("P2", "PROCESSING", "SF2"))
    state = shipping_state(of("P1"), [order])
    assert state.status is ShippingStatus.NOT_SHIPPABLE
    said = value or "none"
    assert state.detail == (
        "order O1 is PARTIALLY_SHIPPING and its line items do not say whether package P1 has shipped"
        f" (package_status {said})"
    )


def test_a_package_shipped_by_hand_in_a_partially_shipping_order_is_a_difference_not_a_ship():
    """P1 was shipped in Seller Center with JT999, the ERP says SF1001; P2 of the same order waits.
    Planned as a ship, it would be answered "already shipped", counted as done, and the
    difference never seen."""
    order = partly_shipped(item("P1", "PROCESSING", "JT999"), item("P2", "TO_FULFILL"))
    obs = TrackingObservation(shop="shop", now=datetime(2026, 3, 2, 12, tzinfo=UTC))
    obs.shipments.append(ErpShipment("S1", "P1", "O1", "SF1001", "SF Express", "erp/shipments.csv:2"))
    obs.states["P1"] = shipping_state(of("P1", "JT999"), [order])
    obs.providers["P1"] = "7208000000000000001"
    assert [d.kind for d in diff_tracking(obs)] == ["tracking_differs"]
