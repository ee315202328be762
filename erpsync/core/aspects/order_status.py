"""The order-status aspect: Seller Center's order statuses, cancellations included, into the ERP.

An ERP that prints labels and picks parcels must know when an order is cancelled (it would
ship it anyway) and when it moves on. This aspect reads the orders whose status changed since
its cursor, minus an overlap (``update_time`` moves while a page is read, so the edge of the last
window is read again), compares each with what the ERP recorded, and plans one
``set_order_status`` per order the ERP has not recorded as of that update.

Repeats are harmless by construction: an order is compared on (order id, update time) and status,
so one read twice (the overlap, a rerun) finds the ERP already holding it and plans nothing.

The guarantee: a change read but not yet written into the ERP is read again by the next run,
never skipped. Such a change is always an open drift (left open by a ``report`` or ``erp``
policy, or its write failed or did not stick: the drift is recorded before the writes and
resolves only when a read sees the ERP agree). So each run also reads the orders of the
aspect's open drifts by id (``ObserveContext.open_subjects``, through an ``OrderDetailReader``),
whatever the cursor, and the cursor moves after every completed apply run, open drifts and failed
writes notwithstanding (``verify.cursor_may_move``): a drift resolves once the ERP is put right by
hand, and the window read stays the time since the last run. A record error that names its order
does not hold the cursor either: the order is read again by id until it reads cleanly; only what
no by-id read reaches holds it, with a note (``order_reads.next_position``). An order of an open
drift the by-id read does not return keeps its drift open, with a note, as does one Seller
Center refuses as another seller's (``read_open_again``).
A seller that cannot read orders by id keeps the stricter rule: the cursor moves only after an
apply run in which every write succeeded, as re-read, and no drift was left open, so the read
reaches back to the first change left open. The read starts at the cursor however old it is (a
note says when that is beyond ``lookback_days``, which bounds only a first read). Until a first
cursor is kept, an open drift's order unchanged for ``lookback_days`` falls out of the read: a
note names it (``not_listed_again``). A by-id read refused as unauthorised reads none of them
that run, with a note, and the list read is used under that stricter rule.

One more change is not an open drift: an order an ERP of its own orders only (Odoo, Tryton) had
not imported yet when its update was read. It is awaited for ``import_wait_hours`` after that
update, read by id each run (or reached by holding the cursor, without by-id reads), so the
status is recorded once the import comes (``order_reads``).

An ERP that keeps no order statuses (no ``OrderStatusBook``, or one configured without them), or
a seller that cannot read orders, leaves the aspect not run (``Observation.not_run``), not an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from marshmallow import Schema, fields, validate

from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext
from erpsync.core.aspects.order_reads import (
    awaited_orders,
    next_position,
    not_found_again,
    not_listed_again,
    parse_cursor,
    read_halving,
    read_open_again,
    read_since,
)
from erpsync.core.aspects.warehouse_address import connector_type
from erpsync.core.connector import Connector
from erpsync.core.errors import AuthError
from erpsync.core.models import Action, Drift, Severity, Texts
from erpsync.core.orders import (
    UNKNOWN_STATUS,
    ErpOrderStatus,
    OrderDetailReader,
    OrderReader,
    OrderStatusBook,
    SellerOrder,
    latest_per_order,
    own_orders_only,
)

__all__ = [
    "OrderStatusAspect",
    "OrderStatusObservation",
    "known_statuses",
    "not_found_again",
    "order_status_drifts",
    "read_halving",
    "read_open_again",
    "read_since",
]

KIND = "status_not_mirrored"
#: a cancellation the ERP has not recorded: its own kind, so it alerts while routine updates do not
CANCELLED_KIND = "cancellation_not_mirrored"


class OrderStatusSettings(Schema):
    """The ``[aspects.order_status]`` table."""

    lookback_days = fields.Float(load_default=7.0, validate=validate.Range(min=0, min_inclusive=False))
    overlap_minutes = fields.Float(load_default=10.0, validate=validate.Range(min=0))
    #: how long after its update an order an ERP of its own orders only has not imported yet is read
    #: again, so its status is recorded once the import comes (0: not at all)
    import_wait_hours = fields.Float(load_default=24.0, validate=validate.Range(min=0))


@dataclass
class OrderStatusObservation(Observation):
    orders: list[SellerOrder] = field(default_factory=list)  # the latest update of each order read
    recorded: dict[str, ErpOrderStatus] = field(default_factory=dict)


class OrderStatusAspect(Aspect):
    name = "order_status"
    description = "Seller Center order statuses (cancellations included) recorded in the ERP"
    Settings = OrderStatusSettings
    drift_kinds = frozenset([KIND, CANCELLED_KIND])
    policy_keys = drift_kinds | {"status"}
    cursor_stream = "order_status"
    #: recording a status is the run's own work; a cancellation is worth a word (CANCELLED_KIND)
    routine_kinds = frozenset([KIND])

    def observe(self, ctx: ObserveContext) -> OrderStatusObservation:
        obs = OrderStatusObservation(shop=ctx.shop, now=ctx.now)
        obs.scope = set()  # until both sides are read: nothing may resolve
        if not isinstance(ctx.seller, OrderReader):
            obs.not_run = f"seller {connector_type(ctx.seller)!r} cannot read orders"
            return obs
        no_statuses = f"ERP {connector_type(ctx.erp)!r} keeps no order statuses"  # nothing to mirror into
        if not isinstance(ctx.erp, OrderStatusBook):
            obs.not_run = no_statuses
            return obs
        lookback = timedelta(days=float(ctx.settings.get("lookback_days", 7.0)))
        overlap = timedelta(minutes=float(ctx.settings.get("overlap_minutes", 10.0)))
        oldest = ctx.now - timedelta(hours=float(ctx.settings.get("import_wait_hours", 24.0)))
        cursor = parse_cursor(ctx.cursor)
        awaited = {i: t for i, t in cursor.awaited.items() if t >= oldest}  # imports still waited for
        since = read_since(ctx.now, cursor.position, lookback, overlap, obs.notes)
        # the probe comes first: an ERP configured without statuses is asked nothing of Seller Center
        if ctx.erp.order_statuses([]) is None:
            obs.not_run = no_statuses
            return obs
        try:
            read = ctx.seller.read_orders(updated_since=since, updated_before=ctx.now)
        except AuthError as exc:  # e.g. an app not authorised for orders: the rest of the shop goes on
            obs.notes.append(f"order statuses not mirrored: Seller Center refused to list orders ({exc})")
            return obs
        again, by_id = read_open_again(ctx, obs.notes, awaited, cursor.unread)
        by_id_reader = isinstance(ctx.seller, OrderDetailReader)
        if not by_id_reader:
            obs.notes += not_listed_again(ctx.open_subjects, read.items, since)
        latest, unknown = known_statuses(latest_per_order([*read.items, *again.items]))
        obs.notes += unknown
        recorded = ctx.erp.order_statuses(list(latest))
        if recorded is not None and own_orders_only(ctx.erp):  # the others are not this ERP's orders (yet)
            held = {r.order_id for r in recorded.items}
            unread = {i: t for i, t in awaited.items() if not by_id and i not in latest}  # refused by id
            awaited = unread | awaited_orders(latest, held, oldest)
            latest = {k: v for k, v in latest.items() if k in held}
        else:
            awaited = {}
        obs.orders = list(latest.values())
        seller_errors, erp_errors = [*read.errors, *again.errors], list(recorded.errors if recorded else ())
        obs.record_errors = [*seller_errors, *erp_errors]
        obs.recorded = {r.order_id: r for r in recorded.items} if recorded else {}
        obs.scope = set(latest)
        # awaited orders: read by id next run, or else (no by-id read this run: none, or refused) the
        # list read reaches them from the oldest one, so a refusal that lasts does not lose them
        base = ctx.now if by_id else min([ctx.now, *awaited.values()])
        errors = (seller_errors, erp_errors)
        obs.cursor, obs.cursor_held = next_position(
            cursor, base, awaited, errors, by_id_reader=by_id_reader, by_id=by_id
        )
        obs.open_drifts_reread = by_id
        return obs

    def diff(self, observation: Observation) -> list[Drift]:
        assert isinstance(observation, OrderStatusObservation)
        return order_status_drifts(self.name, observation)

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        """One ``set_order_status`` per order the ERP has not recorded, when Seller Center wins."""
        assert isinstance(observation, OrderStatusObservation)
        orders = {o.id: o for o in observation.orders}
        actions = []
        for d in drifts:
            order = orders.get(d.subject)
            if d.aspect != self.name or d.kind not in (KIND, CANCELLED_KIND) or order is None:
                continue
            if decide(d) != "seller":
                continue
            value = {"status": order.status, "updated_at": order.update_time.isoformat()}
            actions.append(
                Action(
                    shop=observation.shop,
                    aspect=self.name,
                    kind="set_order_status",
                    target="erp",
                    subject=order.id,
                    field="status",
                    value=json.dumps(value, sort_keys=True),
                    description=f"record order {order.id} as {order.status} in the ERP",
                    drifts=(d.fingerprint,),
                )
            )
        return actions

    def _book(self, action: Action, erp: Connector) -> OrderStatusBook:
        if action.kind != "set_order_status" or action.target != "erp":
            raise ValueError(f"{self.name} cannot apply {action.kind!r} to {action.target}")
        if not isinstance(erp, OrderStatusBook):
            raise ValueError(f"ERP {connector_type(erp)!r} keeps no order statuses")
        return erp

    def check_apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        self._book(action, erp)

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        value = json.loads(action.value or "{}")
        self._book(action, erp).set_order_status(
            action.subject, value["status"], datetime.fromisoformat(value["updated_at"])
        )


def known_statuses(latest: dict[str, SellerOrder]) -> tuple[dict[str, SellerOrder], list[str]]:
    """Pure: the orders whose status the connector knows, and a note for each of the others.

    An unknown status (``UNKNOWN_STATUS``) says only that the connector met a value it does not
    know; written into the ERP it would be the word "UNKNOWN" over a real status. Such an order
    is left out, its open drift included (it is out of scope, so it neither resolves nor changes),
    and the note names the value, so the connector can be taught it.
    """
    known = {k: o for k, o in latest.items() if o.status != UNKNOWN_STATUS}
    notes = [
        f"order {o.id}: status not recorded in the ERP: " + ("; ".join(o.notes) or "a status this client does not know")
        for o in latest.values()
        if o.status == UNKNOWN_STATUS
    ]
    return known, notes


def order_status_drifts(aspect: str, obs: OrderStatusObservation) -> list[Drift]:
    """Pure: one drift per order whose latest Seller Center update the ERP has not recorded."""
    drifts = []
    for order in obs.orders:
        if order.status == UNKNOWN_STATUS:  # nothing to write (see known_statuses)
            continue
        mine = obs.recorded.get(order.id)
        if mine is not None and mine.status == order.status:
            continue
        # the ERP holds a later update. The same update time is not enough: it has one-second
        # resolution, so a second change in that second (or a stale read of it) differs in status
        # only, and this read, the later one, is what Seller Center has now
        if mine is not None and mine.updated_at is not None and mine.updated_at > order.update_time:
            continue
        had = mine.status if mine is not None and mine.status else None
        cancelled = order.status == "CANCELLED"
        en = f"order {order.id} is {order.status} in Seller Center; the ERP " + (
            f"still has {had}" if had else "has no status for it"
        )
        zh = f"订单 {order.id} 在 Seller Center 为 {order.status}；ERP " + (f"仍为 {had}" if had else "尚无其状态")
        drifts.append(
            Drift(
                obs.shop,
                aspect,
                CANCELLED_KIND if cancelled else KIND,
                order.id,
                "status",
                order.status,
                had,
                Severity.WARNING if cancelled else Severity.INFO,  # the ERP might ship a cancelled order
                en,
                summary=Texts(en, zh),
            )
        )
    return drifts
