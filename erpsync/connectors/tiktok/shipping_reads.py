"""Shipping states the package cache already answers, so an unmoved package's detail is not read again.

A shop's ERP keeps every shipment it made, and almost all of them are long shipped: reading each
one's Get Package Detail every run costs a call per shipment for no news. The state store's
package cache (``PackageCache``, kept by the pickup read: ``pickup_reads.py``) holds what was
last read of each package (its ``package_status``, ``tracking_number`` and warehouse) with the
platform's ``update_time`` then, and a cursor saying up to when the cache is complete. One Search
Package from that cursor (less ``OVERLAP``) names every package changed since, with its
``update_time``, ``status`` and ``tracking_number`` (Search Package, ``docs/tracking.md``). So a
cached package the search does not name, or names with the stamp cached, has not moved since it
was read, and its cached state is today's.

Only a state the package status settles is taken from the pickup read's cache: FULFILLING and
COMPLETED (collected by the carrier: shipped) and CANCELLED. PROCESSING covers a package both
before and after it ships; which one is its orders' status, which that cache does not keep, so
such a package is read as before (the tracking read's own rows, below, do keep it). So is a
package the cache lacks, one read incompletely (its row carries a stamp no search answers), one
the search names with another stamp, number or status, and every package when a search page had
a record error (a package it could not tell may have moved). The cache is only read here, never
written: its cursor stays the pickup read's to move.

The pickup read's cache holds only its lookback's packages, and nothing at all for a shop that
runs tracking alone; so the tracking read keeps its own rows too (``tracked_states`` and
``to_remember``: the state store's ``tracked_packages``): each package it read whose status
settles its state, whatever its age, and a cursor saying as of when every row was checked. Its
rows also keep whether the orders said the package shipped (``CachedPackage.orders_shipped``),
so a PROCESSING package shipped and waiting for the carrier (a day, often) is answered too,
rather than read every run until collected: the carrier's collection makes it FULFILLING, and a
cancellation CANCELLED, each a status the search names, with a new stamp, so the row is marked
moved and the package read again. They keep the detail's ``delivery_option_id`` as well, which
settles a carrier name two delivery options share (``ProviderNames``) for a package answered from
its row; so do the pickup read's rows, which answer first, so that a package of the pickup
lookback needs no detail read for it either. Nothing documents a shipped package going back to awaiting
shipment; one that did without a new stamp, status or number would keep being answered as
shipped (``docs/tracking.md``). The
first run reads every package and dates the cursor before its reads; each later run makes one
Search Package from the cursor (less ``OVERLAP``), answers the unmoved rows, marks every row the
search names with another stamp, number or status as moved (read again when next wanted), and
moves the cursor to when the search started. A run with no row to answer makes no search and
leaves the cursor where it was: rows read since are checked from it all the same. A search page
with a record it cannot read drops every row (the record may be one of them, and would stay in
every later window), and the rows start again from that search. A run reads only the rows of
the packages it wants (marking them wanted: ``erpsync prune`` drops the rows of shipments the ERP
no longer lists) and of those its search names, never every row of the shop.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.fulfillment.models import Package, PackageStatus, PackageSummary
from erpsync.connectors.tiktok.pickup_reads import OVERLAP, package_signal
from erpsync.core.models import PackageSignal
from erpsync.core.ports import CachedPackage, PackageCache, PackageCursor, TrackedCache
from erpsync.core.shipping import PackageShippingState, ShippingStatus

__all__ = [
    "SETTLED",
    "TrackedCheck",
    "cached_state",
    "platform_ships",
    "settled_detail",
    "settles",
    "to_remember",
    "tracked_states",
    "unknown",
    "unmoved_states",
]

#: the package statuses that settle the shipping state without the orders: ``shipping_state``
#: asks them first, and only they are answered from the pickup read's cache (the tracking read's
#: rows also answer PROCESSING ones whose orders said they shipped)
SETTLED = {
    PackageStatus.FULFILLING: ShippingStatus.SHIPPED,
    PackageStatus.COMPLETED: ShippingStatus.SHIPPED,
    PackageStatus.CANCELLED: ShippingStatus.CANCELLED,
}
_SETTLED = {package.value: shipping for package, shipping in SETTLED.items()}  # as the cache keeps it
#: a cached stamp before this is the pickup read's "read incompletely" mark, which no search answers
_DATED = datetime(1971, 1, 1, tzinfo=UTC)
#: the stamp of a tracked row whose package moved since it was read: before ``_DATED``, never answered
_MOVED = datetime(1970, 1, 1, tzinfo=UTC)
#: the tracking cursor's ``since``: its rows are kept whatever their age
_EPOCH = _MOVED


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def platform_ships(shipping_type: str | None) -> bool | None:
    """Whether TikTok ships the package, from Get Package Detail's ``shipping_type`` (pure):
    TIKTOK (the seller gets its label from TikTok) True, SELLER (the seller ships, itself or
    through a third party) False, anything else or absent None (unknown)."""
    value = (shipping_type or "").strip().upper()
    return True if value == "TIKTOK" else False if value == "SELLER" else None


def settled_detail(status: ShippingStatus) -> str:
    """The detail a state settled by its package status carries (pure)."""
    return "the package is CANCELLED" if status is ShippingStatus.CANCELLED else ""


def _settled(cached: CachedPackage) -> ShippingStatus | None:
    """The shipping state the row's package status settles, or its orders' for a PROCESSING one."""
    status = (cached.signal.status or "").upper()
    if cached.orders_shipped and status == PackageStatus.PROCESSING.value:
        return ShippingStatus.SHIPPED
    return _SETTLED.get(status)


def settles(cached: CachedPackage) -> bool:
    """Whether the cached row alone can say where the package stands for shipping (pure)."""
    status = _settled(cached)
    if status is None or _aware(cached.update_time) < _DATED:
        return False
    return status is not ShippingStatus.SHIPPED or bool(cached.signal.tracking_number)


def cached_state(cached: CachedPackage, moved: PackageSummary | None) -> PackageShippingState | None:
    """The package's shipping state from its cache row, or None when its detail must be read (pure).

    ``moved`` is the package as the search since the cache's cursor named it (None: not named, so
    unchanged since the cache was complete). Named with the stamp cached, the row is still the
    package as it is; with another stamp, or a number or status the row does not have, it moved.
    """
    if not settles(cached):
        return None
    signal = cached.signal
    if moved is not None:
        same_stamp = moved.update_time is not None and _aware(moved.update_time) == _aware(cached.update_time)
        same_facts = (moved.tracking_number or None, moved.status.value) == (signal.tracking_number, signal.status)
        if not (same_stamp and same_facts):
            return None
    status = _settled(cached)
    assert status is not None  # ``settles`` said so
    return PackageShippingState(
        signal.id,
        status,
        moved.order_ids if moved is not None else (),
        signal.tracking_number,
        moved.shipping_provider_id if moved is not None else None,
        None,  # the Open API does not say when a package shipped (as with the detail)
        signal.warehouse_id,
        settled_detail(status),
        platform_ships(cached.shipping_type),
        cached.delivery_option_id,
    )


def unmoved_states(
    fulfillment: FulfillmentApi, cache: PackageCache, *, scope: str, package_ids: Iterable[str]
) -> dict[str, PackageShippingState]:
    """The states of ``package_ids`` that the cache answers (package id → state); the rest need a read.

    No usable cursor (none yet, or another seller account's ``scope``), or no wanted package the
    cache could settle: nothing is searched and nothing answered.
    """
    cursor = cache.cursor()
    if cursor is None or cursor.scope != scope:
        return {}
    wanted = set(package_ids)
    rows = {p.signal.id: p for p in cache.packages(cursor.since) if p.signal.id in wanted and settles(p)}
    if not rows:
        return {}
    changed_ge = int((cursor.update_time - OVERLAP).timestamp())
    moved: dict[str, PackageSummary] = {}
    for page in fulfillment.search_packages(int(cursor.since.timestamp()), update_time_ge=changed_ge):
        if page.errors:
            return {}  # a record the page could not read may be a wanted package that moved
        moved.update((s.id, s) for s in page.items)
    return _answered(rows, moved)


def _answered(
    rows: Mapping[str, CachedPackage], moved: Mapping[str, PackageSummary]
) -> dict[str, PackageShippingState]:
    out: dict[str, PackageShippingState] = {}
    for package_id, row in rows.items():
        state = cached_state(row, moved.get(package_id))
        if state is not None:
            out[package_id] = state
    return out


@dataclass(frozen=True)
class TrackedCheck:
    """What one run's check of the tracking read's own rows found.

    ``answered``: package id → state, for the wanted packages unmoved since they were read.
    ``cursor``: to store once the run's reads are remembered (None: keep the one stored).
    """

    answered: dict[str, PackageShippingState]
    cursor: PackageCursor | None


def tracked_states(
    fulfillment: FulfillmentApi, tracked: TrackedCache, *, scope: str, package_ids: Iterable[str], now: datetime
) -> TrackedCheck:
    """The states of ``package_ids`` the tracking read's own rows answer; ``now``: before any read.

    No cursor (a first run, or a run that stopped before storing one) or another seller
    account's: the rows are dropped, none is answered, and the cursor to store is ``now``. No
    package wanted (the re-read after a run's writes, which wants only what it wrote): nothing
    is looked at, and the cursor stays.

    Only the rows of the wanted packages are read (and marked wanted, for pruning), then those
    of the packages the search names, to mark the moved ones: never every row of the shop.
    """
    package_ids = list(package_ids)
    if not package_ids:
        return TrackedCheck({}, None)
    cursor = tracked.cursor()
    afresh = TrackedCheck({}, PackageCursor(scope, _EPOCH, now))  # every row to come is read after now
    if cursor is None or cursor.scope != scope:
        tracked.reset()  # rows without a cursor were never checked: none can be trusted
        return afresh
    wanted = {p.signal.id: p for p in tracked.packages_of(package_ids, wanted_at=now) if settles(p)}
    if not wanted:
        # nothing to answer: no search. The cursor stays while rows kept were checked only up to
        # it; with no row kept at all it may move on
        return TrackedCheck({}, None) if tracked.has_packages() else afresh
    changed_ge = int((cursor.update_time - OVERLAP).timestamp())
    moved: dict[str, PackageSummary] = {}
    for page in fulfillment.search_packages(update_time_ge=changed_ge):
        if page.errors:
            # a record it could not read may be a row that moved, and it would stay in every
            # later window: drop every row and start again from this search, at one read each
            tracked.reset()
            return afresh
        moved.update((s.id, s) for s in page.items)
    # rows the search names moved are marked, wanted now or not: the next search starts later
    others = [p for p in tracked.packages_of([i for i in moved if i not in wanted]) if settles(p)]
    rows = {**{p.signal.id: p for p in others}, **wanted}
    gone = [row for i, row in rows.items() if i in moved and cached_state(row, moved[i]) is None]
    tracked.put([replace(row, update_time=_MOVED) for row in gone])
    return TrackedCheck(_answered(wanted, moved), PackageCursor(scope, _EPOCH, now))


def to_remember(
    packages: Iterable[Package], warehouses: Mapping[str, str | None], orders_shipped: Collection[str] = ()
) -> list[CachedPackage]:
    """The rows to keep of packages read from their detail: those whose status settles their
    state, or PROCESSING ones whose orders said they shipped (and, shipped, that carry a number
    and whose orders named a warehouse, whose carriers a correction needs), with the detail's own
    stamp (pure).

    ``warehouses``: package id → the warehouse its orders named; ``orders_shipped``: the ids of
    the packages whose orders said they shipped.
    """
    out = []
    for p in packages:
        if p.update_time is None or p.create_time is None:
            continue  # no stamp to compare a search with, or no age: nothing to keep
        signal = package_signal(p, warehouses.get(p.id))
        shipped = p.status is PackageStatus.PROCESSING and p.id in orders_shipped
        row = CachedPackage(signal, p.update_time, shipped, p.shipping_type, p.delivery_option_id)
        if settles(row) and (signal.warehouse_id or p.status is PackageStatus.CANCELLED):
            out.append(row)
    return out


def unknown(package_ids: Iterable[str]) -> list[CachedPackage]:
    """Rows that say nothing of their packages (no status, a stamp no search answers): what a
    package about to be written is kept as, until a detail read after the write (pure)."""
    return [CachedPackage(PackageSignal(i, None, None, None, _EPOCH, None), _MOVED) for i in package_ids]
