"""One shop's pickup evidence: its recent packages, each linked to a warehouse, and handover slots.

The Open API links a package to a warehouse only through its orders' ``warehouse_id``, so a
package costs a detail call plus its share of an orders call (≤50 ids each), and a warehouse one
handover-slots call for its newest package. Two things keep that affordable
(``docs/architecture.md``, "Reading only what changed"):

- **Only what changed.** With a ``PackageCache`` (the state store's), the search asks only for
  packages updated since the cursor, less :data:`OVERLAP`; a package whose ``update_time`` is the
  one cached is not read again, and packages the search did not return come from the cache.
  Handover slots have no ``update_time`` (they follow the warehouse's subscription, which the API
  cannot read): they are read once per warehouse per run. The cursor (when the search started)
  moves only after the packages it covers are stored, and not at all after a package's or an
  order's record error, so a package that failed is searched for again next run. No cache (no
  store): everything is read, every run.
- **Side by side, and pipelined.** Each API path has its own bounded thread pool (the seller
  option ``concurrency``), since each has its own rate limit: a pool shared by the paths would
  queue the slot calls behind every package detail. A search page's details and its orders go
  out as soon as the page arrives (the page names each package's orders and creation time), and
  the next page is fetched meanwhile (``paging.PagesAhead``). Once
  the last page and its orders are in, every warehouse's newest package is known, and its slot
  call starts while the details are still being read. A detail naming orders the page did not,
  or a newest package the detail dates otherwise, is settled when the details are in: a further
  orders call, or a further slot call for the warehouse (the one started early is then unused).
  Each result keeps its place, so the signals and errors come out as a serial read would give
  them; a RecordError or NotFoundError stays one package's error (a handover-slots one is named
  after its warehouse and kept on that warehouse's signals too), any other error ends the read
  (and cancels the calls not started). Each task runs in a copy of the caller's context, so the
  shop's time budget (``core/time_budget.py``) bounds the workers' calls too. Once the slot calls
  are sent, the read only waits for answers and says so (``core/shop_waits.py``): a later
  aspect's reads held for that moment start then, beside it (not when an orders call failed:
  the read, and the shop, end with that error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.fulfillment.models import Package, PackageSummary
from erpsync.connectors.tiktok.orders.api import IDS_PER_CALL, OrdersApi
from erpsync.connectors.tiktok.orders.models import Order
from erpsync.connectors.tiktok.paging import PagesAhead
from erpsync.core.errors import NotFoundError, RecordError
from erpsync.core.models import PackageSignal, PickupSignals, Records, SlotSignal
from erpsync.core.ports import CachedPackage, PackageCache, PackageCursor
from erpsync.core.shop_waits import waiting

#: how far back from the cursor each search reaches again: a change the platform stamps with a time
#: before the cursor but makes visible to search later (replication lag) is still found, if within
#: this window. No source gives the lag; ten minutes is a margin chosen here (a guess)
OVERLAP = timedelta(minutes=10)
T = TypeVar("T")
A = TypeVar("A")
_EPOCH = datetime.min.replace(tzinfo=UTC)


def wall_clock() -> datetime:
    return datetime.now(UTC)


def in_order(pool: ThreadPoolExecutor, fn: Callable[[A], T], items: Iterable[A]) -> list[T]:
    """``fn`` over ``items`` on ``pool``, results in the order of ``items``; the first error (in
    that order) is raised and the tasks not started are cancelled."""
    futures: list[Future[T]] = [pool.submit(copy_context().run, fn, item) for item in items]
    try:
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        raise


def guarded(fn: Callable[[str], T], package_id: str) -> T | RecordError:
    """One per-package call; a malformed or vanished package is its RecordError, returned.

    "Vanished" is a NotFoundError: the envelope code's ``not_found`` kind in ``error_codes.csv``
    (e.g. 21011028, the package is not this shop's), not the HTTP status, since the API answers
    with 404 or with 200 alike. Any other error (credentials, signature, scope) would fail every
    call the same way, so it is raised and ends the read.
    """
    try:
        return fn(package_id)
    except RecordError as err:
        return err
    except NotFoundError as err:
        return RecordError(err.message, record=f"package {package_id}", source="TikTok", record_id=package_id)


def package_signal(package: Package, wid: str | None, summary: PackageSummary | None = None) -> PackageSignal:
    """What the pickup and tracking reads keep of a package read from its detail, in warehouse
    ``wid``; ``summary``, the search's record of it, fills in what the detail left out (pure)."""
    return PackageSignal(
        id=summary.id if summary is not None else package.id,
        warehouse_id=wid,
        handover_method=package.handover_method,  # the API's values are the core's HandoverMode
        tracking_number=package.tracking_number or (summary.tracking_number if summary else None) or None,
        created_at=package.create_time or (summary.create_time if summary else None),
        status=package.status.value,
    )


def _of_warehouse(error: RecordError, warehouse_id: str, package_id: str) -> RecordError:
    """A handover-slots error named after the warehouse it leaves without slots: only that
    warehouse's evidence is incomplete, and the operator reads which one."""
    return RecordError(
        error.reason,
        record=f"warehouse {warehouse_id}",
        field=f"handover slots of package {package_id}",
        source=error.source or "TikTok",
    )


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + IDS_PER_CALL]) for i in range(0, len(ids), IDS_PER_CALL)]


def _warehouses(orders: Iterable[Order]) -> dict[str, str]:
    return {o.id: o.warehouse_id for o in orders if o.warehouse_id}


#: the API paths a shop's pickup read calls side by side, each on a pool of its own (the session's
#: connection pool keeps a connection for each call that can be in flight: ``seller.shared_session``)
POOLED_PATHS = ("detail", "orders", "slots")


class _Pools:
    """One thread pool per API path, so a path's calls queue only behind calls of their own kind
    (each path has its own rate limit); leaving the block after an error cancels every call not
    started, then waits for those running."""

    def __init__(self, workers: int) -> None:
        self._stack = ExitStack()
        self._futures: list[Future[Any]] = []
        self.detail, self.orders, self.slots = (
            self._stack.enter_context(ThreadPoolExecutor(workers, thread_name_prefix=f"erpsync-tiktok-{kind}"))
            for kind in POOLED_PATHS
        )

    def submit(self, pool: ThreadPoolExecutor, fn: Callable[[A], T], arg: A) -> Future[T]:
        future = pool.submit(copy_context().run, fn, arg)
        self._futures.append(future)
        return future

    def __enter__(self) -> _Pools:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None:
            for future in self._futures:
                future.cancel()
        self._stack.close()


@dataclass
class _Page:
    """One search page whose calls are on their way; read back in page order."""

    errors: list[RecordError]
    stale: list[PackageSummary]  # returned and not cached as they are: their details are read
    details: list[Future[Package | RecordError]]
    orders: list[Future[Records[Order]]]  # for the orders the page names
    asked: set[str] = field(default_factory=set)  # those orders' ids


class PickupReads:
    """Reads pickup evidence for one shop (``cipher``); ``scope`` names the seller account cached."""

    def __init__(
        self,
        fulfillment: FulfillmentApi,
        orders: OrdersApi,
        *,
        scope: str,
        cache: PackageCache | None,
        concurrency: int,
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.fulfillment = fulfillment
        self.orders = orders
        self.scope = scope
        self.cache = cache
        self.concurrency = concurrency
        self.clock = clock

    def read(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        wanted: dict[str, list[PackageSignal]] = {str(w): [] for w in warehouse_ids}
        if not wanted:
            return Records()
        with _Pools(self.concurrency) as pools:
            pages, settled, cursor = self._search(pools, since)
            early = self._early_slots(pools, pages, settled.values(), wanted)
            if early is not None:  # every call this read can send is on its way: what was held may go
                waiting()
            else:  # an orders call failed: _resolve raises, and the shop ends here
                early = {}
            fresh, errors = self._resolve(pools, pages)
            complete = not errors  # a slot's error says nothing about the packages cached
            for signal in [*settled.values(), *fresh]:
                if signal.warehouse_id in wanted:
                    wanted[signal.warehouse_id].append(signal)
            for found in wanted.values():
                found.sort(key=lambda p: (p.created_at or _EPOCH, p.id), reverse=True)
            newest = [found[0].id for found in wanted.values() if found]
            calls = [early.get(i) or pools.submit(pools.slots, self._slots, i) for i in newest]
            slots = {i: call.result() for i, call in zip(newest, calls, strict=True)}
        out = []
        for wid, found in wanted.items():
            slot = slots.get(found[0].id) if found else None
            own: tuple[RecordError, ...] = ()
            if isinstance(slot, RecordError):
                own = (_of_warehouse(slot, wid, found[0].id),)
                errors.extend(own)
                slot = None
            out.append(PickupSignals(warehouse_id=wid, slots=slot, packages=tuple(found), errors=own))
        if self.cache is not None and complete:
            self.cache.advance(cursor, now=self.clock())
        return Records(items=tuple(out), errors=tuple(errors))

    def _search(self, pools: _Pools, since: datetime) -> tuple[list[_Page], dict[str, PackageSignal], PackageCursor]:
        """Every search page, with its details and orders on their way; the packages whose cached
        signal stands (unchanged, or not returned); the cursor to store if nothing fails."""
        cursor = self.cache.cursor() if self.cache is not None else None
        usable = cursor is not None and cursor.scope == self.scope and cursor.since <= since
        newest = cursor.update_time if usable and cursor is not None else None
        changed_ge = int((newest - OVERLAP).timestamp()) if newest is not None else None
        started = self.clock()
        search = self.fulfillment.search_packages(int(since.timestamp()), update_time_ge=changed_ge)
        # the first page is asked for now, while the cache is read; each next one while the page
        # before has its details and orders sent: the slot calls wait for the chain of pages alone
        with PagesAhead(search) as ahead:
            if self.cache is not None and not usable:
                self.cache.reset()  # a first read, another seller account, or a longer lookback: start afresh
            known = {p.signal.id: p for p in self.cache.packages(since)} if self.cache and usable else {}
            pages, current, returned, newest = self._pages(pools, ahead, known, newest)
        kept = {i: p.signal for i, p in known.items() if i not in returned}
        # every change stamped before the search started was there to be found (the platform's clock
        # ahead of this one: its stamps, seen here, are later still; behind it: OVERLAP covers the gap)
        next_cursor = PackageCursor(self.scope, since, max(started, newest) if newest else started)
        return pages, {**kept, **current}, next_cursor

    def _pages(
        self,
        pools: _Pools,
        pages: Iterable[Records[PackageSummary]],
        known: dict[str, CachedPackage],
        newest: datetime | None,
    ) -> tuple[list[_Page], dict[str, PackageSignal], set[str], datetime | None]:
        """Each search page as it comes, its details and orders sent: the pages; the cached signals
        that stand (returned unchanged); every package id returned; the newest update time seen."""
        sent: list[_Page] = []
        returned: set[str] = set()
        current: dict[str, PackageSignal] = {}
        for page in pages:
            returned.update(s.id for s in page.items)
            stale = []
            for summary in page.items:
                cached = known.get(summary.id)
                if cached is not None and summary.update_time is not None and cached.update_time == summary.update_time:
                    current[summary.id] = cached.signal
                else:
                    stale.append(summary)
            ids = list(dict.fromkeys(o for s in stale for o in s.order_ids))
            details = [pools.submit(pools.detail, self._detail, s) for s in stale]
            orders = [pools.submit(pools.orders, self.orders.get_orders, c) for c in _chunks(ids)]
            sent.append(_Page(list(page.errors), stale, details, orders, set(ids)))
            stamps = [s.update_time for s in page.items if s.update_time is not None]
            newest = max([*stamps, *([newest] if newest else [])], default=None)
        return sent, current, returned, newest

    def _early_slots(
        self, pools: _Pools, pages: list[_Page], settled: Iterable[PackageSignal], wanted: Iterable[str]
    ) -> dict[str, Future[SlotSignal | RecordError]] | None:
        """Slot calls for each warehouse's newest package as the search pages tell it (their
        orders answered, the details maybe not yet): by package id. None when an orders call
        failed: the read ends with that error."""
        warehouse_of: dict[str, str] = {}
        for page in pages:
            for call in page.orders:
                if call.exception() is not None:
                    return None  # raised by _resolve, after the errors a serial read would meet first
                warehouse_of.update(_warehouses(call.result().items))
        candidates = [(s.warehouse_id, s.created_at, s.id) for s in settled]
        for page in pages:
            for s in page.stale:
                wid = next((warehouse_of[o] for o in s.order_ids if o in warehouse_of), None)
                candidates.append((wid, s.create_time, s.id))
        newest: dict[str, tuple[datetime, str]] = {}
        for wid, created, pid in candidates:
            if wid is not None and (created or _EPOCH, pid) > newest.get(wid, (_EPOCH, "")):
                newest[wid] = (created or _EPOCH, pid)
        chosen = [newest[w][1] for w in wanted if w in newest]
        return {pid: pools.submit(pools.slots, self._slots, pid) for pid in chosen}

    def _resolve(self, pools: _Pools, pages: list[_Page]) -> tuple[list[PackageSignal], list[RecordError]]:
        """The pages' details and orders, read back in page order: the signals and record errors.

        A package whose warehouse could not be told because an orders call had a record error, or
        that the search did not date, is still a signal this run but is cached with a stamp no
        search answers, so the next run that finds it reads it again rather than trusting an
        incomplete answer (the record error also keeps the cursor where it was).
        """
        signals: list[PackageSignal] = []
        errors: list[RecordError] = []
        for page in pages:
            errors.extend(page.errors)
            details: list[tuple[PackageSummary, Package]] = []
            for summary, call in zip(page.stale, page.details, strict=True):
                got = call.result()
                if isinstance(got, RecordError):
                    errors.append(got)
                else:
                    details.append((summary, got))
            # orders a detail names that the page did not: asked for now
            later = list(
                dict.fromkeys(o for s, p in details for o in (p.order_ids or s.order_ids) if o not in page.asked)
            )
            calls = [*page.orders, *(pools.submit(pools.orders, self.orders.get_orders, c) for c in _chunks(later))]
            warehouse_of: dict[str, str] = {}
            order_errors = False
            for found in (call.result() for call in calls):
                errors.extend(found.errors)
                order_errors = order_errors or bool(found.errors)
                warehouse_of.update(_warehouses(found.items))
            fresh = []
            for summary, package in details:
                refs = package.order_ids or summary.order_ids
                wid = next((warehouse_of[o] for o in refs if o in warehouse_of), None)
                signal = package_signal(package, wid, summary)
                trusted = wid is not None or not order_errors
                # otherwise a stamp no search answers: the next run that finds the package reads it again
                stamp = (summary.update_time if trusted else None) or _EPOCH
                # the delivery option too: the tracking read answers a shipped package from this row
                # (``shipping_reads.py``), and a carrier name two options share resolves by it
                fresh.append(
                    CachedPackage(
                        signal=signal,
                        update_time=stamp,
                        shipping_type=package.shipping_type,
                        delivery_option_id=package.delivery_option_id,
                    )
                )
            signals.extend(p.signal for p in fresh)
            if self.cache is not None:
                self.cache.put(fresh)
        return signals, errors

    def _detail(self, summary: PackageSummary) -> Package | RecordError:
        return guarded(self.fulfillment.get_package, summary.id)

    def _slots(self, package_id: str) -> SlotSignal | RecordError:
        found = guarded(self.fulfillment.handover_time_slots, package_id)
        if isinstance(found, RecordError):
            return found
        return SlotSignal(package_id=package_id, can_pickup=found.can_pickup, can_drop_off=found.can_drop_off)
