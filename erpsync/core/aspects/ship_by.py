"""The ship-by aspect: warn before an order misses its latest ship time, go critical once it has.

Every order has a latest ship time (最晚发货时间) and missing it is penalised (``docs/domain.md``).
An order still awaiting shipment means no tracking number reached Seller Center for it: once one
is pushed (the ``tracking`` aspect), the order leaves ``AWAITING_SHIPMENT``; an order in
``PARTIALLY_SHIPPING`` has some packages shipped (with their numbers) and others not, and its
alert says so. So this aspect reads the shop's orders awaiting shipment each run (they do not
change while they wait, so a read of changes only would miss the old ones) and raises, per order:

- ``ship_by_near`` (warning) inside ``warn_hours`` before the deadline;
- ``ship_by_overdue`` (critical) once it has passed.

The two are stages of one drift (``Drift.stage_of``: a near drift takes the overdue drift's
fingerprint, so an overdue drift recorded before keeps its own): an order that passes its
deadline unshipped escalates the open drift, alerted once as escalated, instead of a "resolved"
for an order that got worse and a new alert. It resolves only when the order is no longer
awaiting shipment (shipped, cancelled).

An order whose buyer has asked to cancel it, the request not decided yet
(``SellerOrder.buyer_cancel_requested``), keeps its drift and severity (the deadline still counts
until it is cancelled), but its texts say so and that it must not ship before the request is decided:
shipping it could send a parcel whose order is then cancelled.

The orders are judged at the time their read started, which is the aspect's ``now`` unless they
were read ahead, beside an earlier aspect (``Records.as_of``): an order seen waiting then was
waiting then, but may have shipped since, so one due in between is near its deadline, not past
it, until a later read still sees it waiting. The time a near alert says is left counts from
the aspect's ``now``, when the alert goes out: one due in between says it was due, not how long
was left when the read started.

During a provider switch the platform extended the ship-by time (Dongguan orders created on
2023-09-18 and 09-19 got three extra days); whether the API's ``rts_sla_time`` already carries
such an extension is not documented, so ``[[aspects.ship_by.extensions]]`` lets an operator add
one for the orders of some cities or warehouses created in a date range. Alerts only: nothing is
planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext, read_ahead
from erpsync.core.aspects.warehouse_address import connector_type
from erpsync.core.connector import Connector
from erpsync.core.errors import AuthError
from erpsync.core.models import Action, Address, Drift, Severity, Texts
from erpsync.core.orders import AWAITING_SHIPMENT, OrderReader, SellerOrder, latest_per_order
from erpsync.core.pickup_regions import DEFAULT_REGIONS, city_key, region_for
from erpsync.core.ports import WarehouseReader
from erpsync.core.timefmt import beijing_time

__all__ = ["NEAR", "OVERDUE", "Extension", "ShipByAspect", "ShipByObservation", "ship_by_drifts"]

NEAR = "ship_by_near"
OVERDUE = "ship_by_overdue"
#: why an order still awaits shipment, (English, Chinese), for a drift near its deadline and one
#: past it: no package has a tracking number in Seller Center, or, ``PARTIALLY_SHIPPING`` ("some
#: items in the order have been shipped, but not all", Get Order List), some packages have
_WAITING = {
    "AWAITING_SHIPMENT": (
        ("no tracking number in Seller Center yet", "Seller Center 中尚无物流单号"),
        ("no tracking number in Seller Center", "Seller Center 中仍无物流单号"),
    ),
    "PARTIALLY_SHIPPING": (
        ("not every package has shipped yet", "尚有包裹未发货"),
        ("not every package has shipped", "仍有包裹未发货"),
    ),
}

#: added to the texts (English, Chinese) of an order whose buyer's cancellation request waits: the
#: seller accepts or declines it (Partner Center "Order API overview", Cancel Policy)
_CANCEL_REQUESTED = (
    "; the buyer has asked to cancel it: do not ship it before the request is decided"
    " (accept or decline it in Seller Center)",
    "；买家已申请取消该订单：申请处理前请勿发货（在 Seller Center 中同意或拒绝）",
)


class _Aware(fields.AwareDateTime):
    """TOML datetimes arrive as ``datetime``; ISO strings too; either needs its UTC offset."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValidationError("needs a UTC offset, e.g. 2023-09-18T00:00:00+08:00")
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class _Extension(Schema):
    created_from = _Aware(required=True)
    created_before = _Aware(required=True)
    extra_days = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    cities = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    warehouses = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)

    @validates_schema
    def _window(self, data: Mapping[str, Any], **_: Any) -> None:
        if data["created_before"] <= data["created_from"]:
            raise ValidationError("must be after created_from", "created_before")


class ShipBySettings(Schema):
    """The ``[aspects.ship_by]`` table."""

    warn_hours = fields.Float(load_default=24.0, validate=validate.Range(min=0, min_inclusive=False))
    extensions = fields.List(fields.Nested(_Extension), load_default=list)


@dataclass(frozen=True)
class Extension:
    """Extra days for orders created in ``[created_from, created_before)`` in some cities/warehouses
    (all when both lists are empty)."""

    created_from: datetime
    created_before: datetime
    extra_days: float
    cities: frozenset[str] = frozenset()
    warehouses: frozenset[str] = frozenset()

    def applies(self, order: SellerOrder, city: str | None) -> bool:
        if order.create_time is None or not self.created_from <= order.create_time < self.created_before:
            return False
        if not self.cities and not self.warehouses:
            return True
        return order.warehouse_id in self.warehouses or (city is not None and city in self.cities)


def _city(name: str) -> str:
    """A city as the pickup regions compare it (``pickup_regions.city_key``: 东莞, 东莞市, 東莞,
    dongguan and "Dongguan Shi" are one), so an extension for 东莞 applies to a warehouse whose
    city Seller Center gives in pinyin. Pinyin and characters meet through a region listing both
    spellings (the 2023 regions); any other city compares by its key alone."""
    region = region_for(Address(city=name), DEFAULT_REGIONS)
    return city_key(region.cities[0] if region is not None else name)


@dataclass
class ShipByObservation(Observation):
    orders: list[SellerOrder] = field(default_factory=list)
    #: the city of each seller warehouse, when an extension names cities
    cities: dict[str, str] = field(default_factory=dict)
    extensions: tuple[Extension, ...] = ()
    warn: timedelta = timedelta(hours=24)
    #: the aspect's own ``now``, when its alerts go out (None: ``now``): the orders are judged at
    #: ``now``, when their read started, but the time a near alert says is left counts from this
    alerted_at: datetime | None = None


class ShipByAspect(Aspect):
    name = "ship_by"
    description = "orders awaiting shipment near or past their latest ship time (alerts only)"
    Settings = ShipBySettings
    drift_kinds = frozenset([NEAR, OVERDUE])
    policy_keys = drift_kinds

    def read_ahead(self, seller: Connector, erp: Connector, settings: Mapping[str, Any]) -> None:
        """The orders awaiting shipment, read in full every run whatever ran before, on an API of
        their own: read while the pickup aspect waits for its package and handover-slot calls, and
        judged at the time that read started (``Records.as_of``), not at this aspect's later ``now``:
        an order shipped just before its deadline, after the read, is not alerted overdue."""
        if isinstance(seller, OrderReader):
            read_ahead(seller, "read_orders", statuses=AWAITING_SHIPMENT)

    def observe(self, ctx: ObserveContext) -> ShipByObservation:
        if not isinstance(ctx.seller, OrderReader):  # nothing to watch: said once, never an error
            obs = ShipByObservation(shop=ctx.shop, now=ctx.now)
            obs.not_run = f"seller {connector_type(ctx.seller)!r} cannot read orders"
            obs.scope = set()
            return obs
        extensions = tuple(
            Extension(
                e["created_from"],
                e["created_before"],
                float(e["extra_days"]),
                frozenset(_city(c) for c in e["cities"]),
                frozenset(e["warehouses"]),
            )
            for e in ctx.settings.get("extensions", ())
        )
        try:
            orders = ctx.seller.read_orders(statuses=AWAITING_SHIPMENT)
        except AuthError as exc:  # e.g. an app not authorised for orders: the rest of the shop goes on
            obs = ShipByObservation(shop=ctx.shop, now=ctx.now, scope=set())
            obs.notes.append(f"ship-by times not watched: Seller Center refused to list orders ({exc})")
            return obs
        obs = ShipByObservation(
            # judged when the read started: an order it saw waiting was waiting then, but may have
            # shipped since (a read ahead starts seconds before this aspect runs, Aspect.read_ahead)
            shop=ctx.shop,
            now=min(ctx.now, orders.as_of or ctx.now),
            record_errors=list(orders.errors),
            orders=list(latest_per_order(orders.items).values()),  # one drift per order
            extensions=extensions,
            warn=timedelta(hours=float(ctx.settings.get("warn_hours", 24.0))),
            alerted_at=ctx.now,
        )
        if any(e.cities for e in extensions) and isinstance(ctx.seller, WarehouseReader):
            obs.cities = {w.id: _city(w.address.city) for w in ctx.seller.list_warehouses().items}
        # an order that shipped is simply not listed: all open drifts may resolve, unless some
        # orders could not be read (one of them may still be waiting)
        obs.scope = {o.id for o in obs.orders} if orders.errors else None
        return obs

    def diff(self, observation: Observation) -> list[Drift]:
        assert isinstance(observation, ShipByObservation)
        return ship_by_drifts(self.name, observation)

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        return []  # shipping is the seller's work (or the tracking aspect's): this aspect only warns

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        raise ValueError(f"{self.name} plans no actions, so it applies none ({action.kind!r})")


def deadline(order: SellerOrder, obs: ShipByObservation) -> datetime | None:
    """The order's latest ship time with every extension that applies to it."""
    if order.ship_by is None:
        return None
    city = obs.cities.get(order.warehouse_id or "")
    extra = sum(e.extra_days for e in obs.extensions if e.applies(order, city))
    return order.ship_by + timedelta(days=extra)


def _left(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{max(0.0, delta.total_seconds() / 60):.0f} min"


def _near_words(order_id: str, due: datetime, left: timedelta, why: tuple[str, str]) -> tuple[str, str]:
    """A near drift's texts (English, Chinese), ``left`` counted from when the alert goes out: an
    order read ahead whose deadline fell between the read and the alert was waiting when read
    and may have shipped since, so it is still near, but no time is said to be left."""
    due_en, due_zh = beijing_time(due), beijing_time(due, "zh")
    if left > timedelta(0):
        return (
            f"order {order_id} must ship by {due_en} ({_left(left)} left): {why[0]}",
            f"订单 {order_id} 须在 {due_zh} 前发货（剩余 {_left(left)}），{why[1]}",
        )
    return (
        f"order {order_id} was due to ship by {due_en} (not yet seen shipped when read): {why[0]}",
        f"订单 {order_id} 最晚发货时间为 {due_zh}（读取时尚未见发货），{why[1]}",
    )


def ship_by_drifts(aspect: str, obs: ShipByObservation) -> list[Drift]:
    """Pure: one drift per order awaiting shipment inside the warning window or past its deadline."""
    drifts = []
    for order in obs.orders:
        due = deadline(order, obs)
        if due is None or order.status not in AWAITING_SHIPMENT:
            continue
        left = due - obs.now
        if left > obs.warn:
            continue
        stage_of: str | None = None  # the overdue drift's kind, for a drift that may become one
        near, past = _WAITING.get(order.status, _WAITING["AWAITING_SHIPMENT"])
        if left <= timedelta(0):
            kind, severity = OVERDUE, Severity.CRITICAL
            due_en, due_zh, late = beijing_time(due), beijing_time(due, "zh"), _left(-left)
            en = f"order {order.id} missed its latest ship time {due_en} by {late}: {past[0]}"
            zh = f"订单 {order.id} 已超过最晚发货时间 {due_zh}（超时 {late}），{past[1]}"
        else:
            kind, severity, stage_of = NEAR, Severity.WARNING, OVERDUE
            en, zh = _near_words(order.id, due, due - (obs.alerted_at or obs.now), near)
        if order.buyer_cancel_requested:
            en, zh = en + _CANCEL_REQUESTED[0], zh + _CANCEL_REQUESTED[1]
        drifts.append(
            Drift(
                obs.shop,
                aspect,
                kind,
                order.id,
                None,
                due.isoformat(),
                None,
                severity,
                en,
                summary=Texts(en, zh),
                stage_of=stage_of,
            )
        )
    return drifts
