"""Where a TikTok package stands for shipping, from its detail and its orders (pure)."""

from __future__ import annotations

import pytest

from erpsync.connectors.tiktok.fulfillment.models import Package, PackageStatus
from erpsync.connectors.tiktok.orders.models import Order, OrderStatus
from erpsync.connectors.tiktok.shipping import shipping_state
from erpsync.core.shipping import ShippingStatus


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
