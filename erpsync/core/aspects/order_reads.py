"""How the order-status aspect reads Seller Center: where a run's read starts, the orders it reads
again by id, and the read position it leaves for the next run.

The position (the aspect's cursor) is the last point from which every update is known to be in
the ERP, or to be read again by the next run. Two kinds of order are read again whatever the
position: the orders of open drifts, and orders an ERP of its own orders only (Odoo's and
Tryton's sale orders) did not hold when their update was read. Such an ERP imports orders on
its own schedule, so an order cancelled before the import ran would otherwise be past the
position once imported, and its cancellation never recorded. They are awaited for
``import_wait_hours`` after their update: a seller that reads orders by id keeps them in the
position (:func:`cursor_text`) and asks for them by id each run; one that cannot holds the
position at the oldest of them, so its list read reaches them again.

A record error that names its order (``RecordError.record_id``: a Seller Center order with a
malformed field, or the ERP's bad record of an order asked about) does not hold the position
either: the order is kept in it as ``unread`` and read by id each run until it reads cleanly, so
one that stays malformed costs an id in that call and its error each run, not the position for
good. Only what no by-id read can reach again holds it (:func:`next_position`): a Seller Center
order whose id cannot be read, or any of Seller Center's record errors for a seller that cannot
read orders by id (or whose reads by id were refused this run). An ERP record whose order id
cannot be read never does: whichever order it is about was compared as having nothing recorded,
so it is written, or left an open drift, or (an ERP of its own orders only) awaited, and each of
these reads it again.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from erpsync.core.aspects.base import ObserveContext
from erpsync.core.errors import AuthError, NotFoundError, RecordError
from erpsync.core.models import Records
from erpsync.core.orders import OrderDetailReader, SellerOrder
from erpsync.core.timefmt import beijing_time

__all__ = [
    "OrderCursor",
    "awaited_orders",
    "cursor_text",
    "next_position",
    "not_found_again",
    "not_listed_again",
    "parse_cursor",
    "read_halving",
    "read_open_again",
    "read_since",
]


@dataclass(frozen=True)
class OrderCursor:
    """The aspect's stored read position: where the last read ended (None: no read yet), the
    orders read then that the ERP did not hold yet, by id, with the update time read, and the
    orders a record error named (``unread``), read again by id until they read cleanly."""

    position: datetime | None = None
    awaited: Mapping[str, datetime] = field(default_factory=dict)
    unread: frozenset[str] = frozenset()


def parse_cursor(text: str | None) -> OrderCursor:
    """Pure: the stored position: an ISO time (also what earlier versions wrote), or a JSON object
    with the time, the awaited orders and the unread ones."""
    if not text:
        return OrderCursor()
    if not text.startswith("{"):
        return OrderCursor(datetime.fromisoformat(text))
    data = json.loads(text)
    awaited = {str(k): datetime.fromisoformat(v) for k, v in data.get("awaited", {}).items()}
    unread = frozenset(str(i) for i in data.get("unread", ()))
    return OrderCursor(datetime.fromisoformat(data["position"]), awaited, unread)


def cursor_text(position: datetime, awaited: Mapping[str, datetime], unread: Collection[str] = ()) -> str:
    """Pure: the position to store; a plain ISO time when no order is awaited nor unread."""
    if not awaited and not unread:
        return position.isoformat()
    data: dict[str, object] = {"position": position.isoformat()}
    if awaited:
        data["awaited"] = {i: awaited[i].isoformat() for i in sorted(awaited)}
    if unread:
        data["unread"] = sorted(unread)
    return json.dumps(data)


def next_position(
    cursor: OrderCursor,
    base: datetime,
    awaited: Mapping[str, datetime],
    errors: tuple[Sequence[RecordError], Sequence[RecordError]],
    *,
    by_id_reader: bool,
    by_id: bool,
) -> tuple[str | None, str | None]:
    """Pure: the position this run leaves, or None and why the old one is kept.

    ``errors`` are Seller Center's record errors (both reads) and the ERP's; ``by_id_reader``:
    the seller reads orders by id; ``by_id``: it did this run. An order a record error names is
    kept as ``unread`` and read by id next run (with those of ``cursor.unread`` not read this run);
    what no by-id read can reach again is reached by the list read from the old position (module
    docstring).
    """
    seller, erp = errors
    if not by_id_reader:
        if seller:
            return None, (
                f"{len(seller)} order(s) Seller Center returned could not be read (record errors) and this "
                "seller cannot read orders by id, so only a read from the old position reaches them again"
            )
        return base.isoformat(), None
    unnamed = [e for e in seller if e.record_id is None]
    if unnamed:
        return None, (
            f"Seller Center returned {len(unnamed)} order(s) whose id could not be read (record errors), "
            "so only a read from the old position reaches them again"
        )
    unread = {e.record_id for e in [*seller, *erp] if e.record_id is not None} | (set() if by_id else cursor.unread)
    if unread and not by_id:
        return None, (
            f"{len(unread)} order(s) named by record errors could not be read again by id this run, "
            "so only a read from the old position reaches them again"
        )
    return cursor_text(base, awaited, unread), None


def awaited_orders(orders: Mapping[str, SellerOrder], held: Collection[str], oldest: datetime) -> dict[str, datetime]:
    """Pure: the orders read that the ERP does not hold (not imported yet) and that changed at or
    after ``oldest`` (``now - import_wait_hours``): those it is still waited for, with their update."""
    return {i: o.update_time for i, o in orders.items() if i not in held and o.update_time >= oldest}


def read_since(
    now: datetime, position: datetime | None, lookback: timedelta, overlap: timedelta, notes: list[str]
) -> datetime:
    """Pure: where this run's read starts. The position, less the overlap, however old it is: it is
    the last position from which every update was recorded, so starting later would skip the
    changes in between for good (after an outage, or while drifts stay open). ``lookback`` bounds
    only a first read (no position yet); a read reaching further back says so in ``notes``."""
    if position is None:
        return now - lookback
    since = position - overlap
    if since < now - lookback:
        days = (now - since).total_seconds() / 86400
        notes.append(
            f"order statuses read from {beijing_time(since)} ({days:.0f} days back, beyond lookback_days): "
            "the read position has not moved since (an order Seller Center gave that could not be read "
            "again by id, a stopped run, or a drift left open that this seller cannot read again by id holds it)"
        )
    return since


def read_open_again(
    ctx: ObserveContext, notes: list[str], awaited: Collection[str] = (), unread: Collection[str] = ()
) -> tuple[Records[SellerOrder], bool]:
    """The orders of the open drifts, the ``awaited`` ones and the ``unread`` ones (named by a
    record error in an earlier run), read by id whatever the cursor (one read for all), and
    whether they were: what lets the cursor move past them (``Observation.open_drifts_reread``).

    Seller Center refuses a whole call that names one order not this seller's (Get Order Detail
    ``21008111``: a shop re-pointed at another account), which would leave every other open drift
    unread. Only then is the list halved until the refused ids stand alone (a few calls more per
    refused id, not one call per open drift): the refused ones are named in a note, and their
    drifts stay open (they cannot be read, so they cannot resolve), while the others are read as
    usual and the cursor may still move past them.

    A call refused as unauthorised (``AuthError``; Get Order Detail documents 10006402 "permission
    denied", which Get Order List does not) reads none of them this run: a note says so, their
    drifts stay open, and the caller compares what the list read found, under the stricter rule
    of a seller that cannot read by id. The list read has already succeeded with the same
    credentials, so the refusal need not stop everything else.
    """
    if not isinstance(ctx.seller, OrderDetailReader):
        return Records(()), False
    ids = sorted(ctx.open_subjects | set(awaited) | set(unread))
    if not ids:
        return Records(()), True
    refused: list[str] = []
    try:
        found = read_halving(ctx.seller, ids, refused)
    except AuthError as exc:
        what = [
            *(["orders of open drifts (their drifts stay open)"] if ctx.open_subjects else []),
            *(["orders awaited for the ERP's import (the list read reaches back to them)"] if awaited else []),
            *(["orders named by record errors (the list read reaches back to them)"] if unread else []),
        ]
        notes.append(f"{' and '.join(what)} not read again: Seller Center refused to read orders by id ({exc})")
        return Records(()), False
    refused_open = [i for i in refused if i in ctx.open_subjects]  # an awaited order has no drift to name
    if refused_open:
        notes.append(
            f"orders of open drifts refused by Seller Center as not this seller's: {_some(refused_open)}; "
            "their drifts stay open, as they cannot be read"
        )
    notes.extend(not_found_again(ctx.open_subjects - set(refused), found.items))
    return found, True


def read_halving(seller: OrderDetailReader, ids: list[str], refused: list[str]) -> Records[SellerOrder]:
    """``ids`` read by id; a call refused as naming another seller's order is halved until the
    refused ids stand alone, and those go to ``refused``."""
    try:
        return seller.read_orders_by_id(ids)
    except NotFoundError:
        if len(ids) == 1:
            refused.extend(ids)
            return Records(())
    half = len(ids) // 2
    first, second = read_halving(seller, ids[:half], refused), read_halving(seller, ids[half:], refused)
    return Records(first.items + second.items, first.errors + second.errors)


def _some(ids: Sequence[str]) -> str:
    """Up to ten ids, and how many more."""
    return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


def not_found_again(open_subjects: frozenset[str], found: Sequence[SellerOrder]) -> list[str]:
    """Pure: a note for each order of an open drift that its read by id did not return (unknown to
    Seller Center now, or another shop's): its drift stays open, and the next run asks again."""
    missing = sorted(open_subjects - {o.id for o in found})
    if not missing:
        return []
    return [f"orders of open drifts not found by id in Seller Center: {_some(missing)}; their drifts stay open"]


def not_listed_again(open_subjects: frozenset[str], listed: Sequence[SellerOrder], since: datetime) -> list[str]:
    """Pure, for a seller that cannot read orders by id: a note naming the open drifts whose order
    this run's list read did not return. Its read reaches back to every change left open only once
    a cursor is kept; before that (each run reads ``lookback_days``, while a drift left open keeps
    the first cursor from being stored) an open drift's order that has not changed since falls out
    of the window, and nothing reads it again until it changes."""
    missing = sorted(open_subjects - {o.id for o in listed})
    if not missing:
        return []
    return [
        f"orders of open drifts not read again (not changed since {beijing_time(since)}, where this read "
        f"starts, and this seller cannot read orders by id): {_some(missing)}; their drifts stay open until "
        "the order changes again"
    ]
