"""Ship-by alerts (pure): near inside the window, overdue past it, extensions by city and date."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError

from erpsync.core.aspects.base import ObserveContext
from erpsync.core.aspects.ship_by import Extension, ShipByAspect, ShipByObservation, ShipBySettings, ship_by_drifts
from erpsync.core.models import Address, Records, Severity, Warehouse
from erpsync.core.orders import SellerOrder

NOW = datetime(2023, 9, 20, 2, 0, tzinfo=UTC)  # 10:00 Beijing time
CREATED = datetime(2023, 9, 18, 2, 0, tzinfo=UTC)


def order(
    id: str, ship_by: datetime | None, status: str = "AWAITING_SHIPMENT", warehouse: str = "WH-DG"
) -> SellerOrder:
    return SellerOrder(id, status, NOW - timedelta(hours=1), CREATED, ship_by, warehouse)


def obs(*orders: SellerOrder, **kw) -> ShipByObservation:
    return ShipByObservation(shop="acme", now=NOW, orders=list(orders), **kw)


def test_near_inside_the_window_overdue_past_it_nothing_before() -> None:
    drifts = ship_by_drifts(
        "ship_by",
        obs(
            order("o-near", NOW + timedelta(hours=5)),
            order("o-late", NOW - timedelta(minutes=30)),
            order("o-far", NOW + timedelta(hours=30)),
            order("o-unknown", None),
        ),
    )
    assert [(d.subject, d.kind, d.severity) for d in drifts] == [
        ("o-near", "ship_by_near", Severity.WARNING),
        ("o-late", "ship_by_overdue", Severity.CRITICAL),
    ]
    near, late = drifts
    assert near.message == (
        "order o-near must ship by 2023-09-20 15:00 Beijing time (5 h left): no tracking number in Seller Center yet"
    )
    assert late.message.startswith("order o-late missed its latest ship time 2023-09-20 09:30 Beijing time by 30 min")
    assert near.summary is not None and "须在 2023-09-20 15:00 北京时间 前发货" in near.summary.zh


def test_an_order_the_buyer_asked_to_cancel_is_said_not_to_be_shipped_yet_in_both_languages() -> None:
    """Its alert urged shipping an order the buyer had asked to cancel: the warehouse could ship a
    parcel whose order is then cancelled. Same kind, severity and drift; only the words change."""
    plain = [order("o-near", NOW + timedelta(hours=5)), order("o-late", NOW - timedelta(minutes=30))]
    asked = [replace(o, buyer_cancel_requested=True) for o in plain]
    before, after = ship_by_drifts("ship_by", obs(*plain)), ship_by_drifts("ship_by", obs(*asked))
    assert [(d.kind, d.severity, d.fingerprint) for d in after] == [(d.kind, d.severity, d.fingerprint) for d in before]
    for was, now in zip(before, after, strict=True):
        assert now.message == was.message + (
            "; the buyer has asked to cancel it: do not ship it before the request is decided"
            " (accept or decline it in Seller Center)"
        )
        assert now.summary is not None and was.summary is not None
        assert now.summary.en == now.message
        zh = "；买家已申请取消该订单：申请处理前请勿发货（在 Seller Center 中同意或拒绝）"
        assert now.summary.zh == was.summary.zh + zh
    assert all("cancel" not in d.message and "取消" not in d.summary.zh for d in before if d.summary)


def test_at_the_deadline_is_overdue_and_the_window_is_configurable() -> None:
    drifts = ship_by_drifts(
        "ship_by", obs(order("o-1", NOW), order("o-2", NOW + timedelta(hours=3)), warn=timedelta(hours=2))
    )
    assert [(d.subject, d.kind) for d in drifts] == [("o-1", "ship_by_overdue")]


def test_an_order_no_longer_awaiting_shipment_raises_nothing() -> None:
    drifts = ship_by_drifts("ship_by", obs(order("o-1", NOW - timedelta(hours=1), status="AWAITING_COLLECTION")))
    assert drifts == []


def test_partially_shipping_still_counts() -> None:
    (d,) = ship_by_drifts("ship_by", obs(order("o-1", NOW - timedelta(hours=1), status="PARTIALLY_SHIPPING")))
    assert d.kind == "ship_by_overdue"


def test_a_partially_shipped_order_is_said_to_have_packages_not_shipped_not_no_tracking_number() -> None:
    """Some of its packages shipped, with their tracking numbers: "no tracking number in Seller
    Center yet" sent the operator looking for numbers that were there."""
    near, late = ship_by_drifts(
        "ship_by",
        obs(
            order("o-1", NOW + timedelta(hours=3), status="PARTIALLY_SHIPPING"),
            order("o-2", NOW - timedelta(hours=2), status="PARTIALLY_SHIPPING"),
        ),
    )
    assert (
        near.message
        == "order o-1 must ship by 2023-09-20 13:00 Beijing time (3 h left): not every package has shipped yet"
    )
    assert late.message.endswith("by 2 h: not every package has shipped")
    assert near.summary is not None and near.summary.zh.endswith("（剩余 3 h），尚有包裹未发货")
    assert late.summary is not None and late.summary.zh.endswith("（超时 2 h），仍有包裹未发货")
    assert "物流单号" not in near.summary.zh + late.summary.zh


def test_an_extension_moves_the_deadline_for_its_cities_and_dates_only() -> None:
    switch = Extension(
        datetime(2023, 9, 17, 16, 0, tzinfo=UTC),  # 09-18 00:00 Beijing
        datetime(2023, 9, 19, 16, 0, tzinfo=UTC),  # 09-20 00:00 Beijing
        3,
        cities=frozenset({"东莞"}),
    )
    late = NOW - timedelta(hours=2)
    in_dongguan = order("o-dg", late, warehouse="WH-DG")
    in_shenzhen = order("o-sz", late, warehouse="WH-SZ")
    created_later = SellerOrder("o-new", "AWAITING_SHIPMENT", NOW, NOW - timedelta(hours=1), late, "WH-DG")
    cities = {"WH-DG": "东莞", "WH-SZ": "深圳"}
    drifts = ship_by_drifts(
        "ship_by", obs(in_dongguan, in_shenzhen, created_later, extensions=(switch,), cities=cities)
    )
    assert [d.subject for d in drifts] == ["o-sz", "o-new"]  # o-dg has three more days


def test_an_extension_by_warehouse_and_one_for_all() -> None:
    window = (datetime(2023, 9, 1, tzinfo=UTC), datetime(2023, 10, 1, tzinfo=UTC))
    by_warehouse = Extension(*window, 2, warehouses=frozenset({"WH-SZ"}))
    late = NOW - timedelta(hours=2)
    drifts = ship_by_drifts(
        "ship_by", obs(order("a", late, warehouse="WH-SZ"), order("b", late), extensions=(by_warehouse,))
    )
    assert [d.subject for d in drifts] == ["b"]
    everyone = Extension(*window, 2)
    assert ship_by_drifts("ship_by", obs(order("a", late), order("b", late), extensions=(everyone,))) == []


def test_settings_load_toml_datetimes_and_name_mistakes() -> None:
    table = tomllib.loads(
        "warn_hours = 12\n[[extensions]]\ncities = ['东莞']\nextra_days = 3\n"
        "created_from = 2023-09-18T00:00:00+08:00\ncreated_before = 2023-09-20T00:00:00+08:00\n"
    )
    loaded = ShipBySettings().load(table)
    assert loaded["warn_hours"] == 12 and loaded["extensions"][0]["extra_days"] == 3
    with pytest.raises(ValidationError) as info:
        ShipBySettings().load(
            {"extensions": [{"extra_days": 0, "created_from": "2023-09-18T00:00:00", "created_before": "x"}]}
        )
    problems = info.value.messages["extensions"][0]
    assert set(problems) == {"extra_days", "created_from", "created_before"}
    with pytest.raises(ValidationError, match="must be after created_from"):
        ShipBySettings().load(
            {
                "extensions": [
                    {
                        "extra_days": 1,
                        "created_from": "2023-09-20T00:00:00+08:00",
                        "created_before": "2023-09-18T00:00:00+08:00",
                    }
                ]
            }
        )


class _Seller:
    """Lists ``orders`` as read, repeats included (the order protocol hands on each update once)."""

    def __init__(self, *orders: SellerOrder) -> None:
        self.orders = orders

    def read_orders(self, *, statuses=(), updated_since=None, updated_before=None) -> Records[SellerOrder]:
        return Records(self.orders)


def test_an_order_read_twice_in_one_run_is_one_drift_as_of_its_latest_update() -> None:
    """An order that moves to PARTIALLY_SHIPPING between the two status searches is listed by
    both; it used to raise two drifts with one fingerprint."""
    waiting = SellerOrder("o-1", "AWAITING_SHIPMENT", NOW - timedelta(hours=2), CREATED, NOW + timedelta(hours=1))
    partly = SellerOrder("o-1", "PARTIALLY_SHIPPING", NOW - timedelta(minutes=1), CREATED, NOW - timedelta(hours=1))
    aspect = ShipByAspect()
    ctx = ObserveContext(shop="acme", seller=_Seller(waiting, partly), erp=None, now=NOW, memory=None)  # type: ignore[arg-type]
    (drift,) = aspect.diff(aspect.observe(ctx))
    assert (drift.subject, drift.kind) == ("o-1", "ship_by_overdue")


@pytest.mark.parametrize("city", ["Dongguan", "dongguan city", "Dongguan Shi", "東莞市"])
def test_an_extension_for_a_city_applies_however_seller_center_spells_it(city: str) -> None:
    """Seller Center may give a warehouse's city in pinyin; an extension for 东莞 used to miss it,
    so an order inside its extended deadline was raised as overdue."""

    class Seller(_Seller):
        def list_warehouses(self) -> Records[Warehouse]:
            return Records((Warehouse("WH-DG", "DG", Address(city=city), seller_warehouse_id="WH-DG"),))

    settings = ShipBySettings().load(
        {
            "extensions": [
                {
                    "cities": ["东莞"],
                    "created_from": "2023-09-18T00:00:00+08:00",
                    "created_before": "2023-09-20T00:00:00+08:00",
                    "extra_days": 3,
                }
            ]
        }
    )
    late = order("o-1", NOW - timedelta(hours=1))  # due an hour ago without the three extra days
    aspect = ShipByAspect()
    ctx = ObserveContext(shop="acme", seller=Seller(late), erp=None, now=NOW, memory=None, settings=settings)  # type: ignore[arg-type]
    assert aspect.diff(aspect.observe(ctx)) == []


def test_orders_read_before_the_aspect_ran_are_judged_when_the_read_started() -> None:
    """Read ahead (``Aspect.read_ahead``) while earlier aspects ran, an answer shows the orders as
    they were when the read started: one due between then and this aspect's ``now`` may have
    shipped meanwhile, so it is near its deadline, not past it (the next run sees which)."""

    class Seller(_Seller):
        def read_orders(self, *, statuses=(), updated_since=None, updated_before=None) -> Records[SellerOrder]:
            return Records(self.orders, as_of=NOW - timedelta(minutes=2))

    aspect = ShipByAspect()
    due = order("o-1", NOW - timedelta(minutes=1))
    ctx = ObserveContext(shop="acme", seller=Seller(due), erp=None, now=NOW, memory=None)  # type: ignore[arg-type]
    (drift,) = aspect.diff(aspect.observe(ctx))
    assert (drift.subject, drift.kind) == ("o-1", "ship_by_near")
    # alerted at NOW, a minute after the deadline: no time is left, whatever was left at the read
    assert drift.message == (
        "order o-1 was due to ship by 2023-09-20 09:59 Beijing time (not yet seen shipped when read): "
        "no tracking number in Seller Center yet"
    )
    assert drift.summary is not None and drift.summary.zh.endswith("（读取时尚未见发货），Seller Center 中尚无物流单号")
    read_now = ObserveContext(shop="acme", seller=_Seller(due), erp=None, now=NOW, memory=None)  # type: ignore[arg-type]
    assert [d.kind for d in aspect.diff(aspect.observe(read_now))] == ["ship_by_overdue"]


def test_the_time_a_near_alert_says_is_left_counts_from_when_it_is_sent() -> None:
    """Orders read ahead half an hour before the aspect ran are judged then, but an alert that says
    50 minutes are left when 20 are would have the seller plan with time that is gone."""

    class Seller(_Seller):
        def read_orders(self, *, statuses=(), updated_since=None, updated_before=None) -> Records[SellerOrder]:
            return Records(self.orders, as_of=NOW - timedelta(minutes=30))

    aspect = ShipByAspect()
    ctx = ObserveContext(shop="acme", seller=Seller(order("o-1", NOW + timedelta(minutes=20))), erp=None, now=NOW,
                         memory=None)  # type: ignore[arg-type]  # fmt: skip
    (drift,) = aspect.diff(aspect.observe(ctx))
    assert "(20 min left)" in drift.message
    assert drift.summary is not None and "（剩余 20 min）" in drift.summary.zh
