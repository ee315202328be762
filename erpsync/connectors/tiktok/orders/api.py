"""The Orders API (``docs/open-api-full.md`` §3): search, details by id, and the incremental read.

``update_time`` moves while we page (an order paid mid-read jumps forward and can be skipped or
seen twice), so an incremental read never trusts its window edge: :meth:`OrdersApi.changed_since`
re-reads ``[cursor - overlap, now)`` and drops repeats of ``(id, update_time)`` within the run.

Nor does a read of orders by update time trust the page token in the middle of its window. What
``page_token`` is, no source says: were it an offset into the live result, an order that changed
while a page was handled would leave the window (its update moves past it) and every later order
would move up one place, so the first of the next page would be skipped, mid-window, where no
overlap reads it again. :meth:`OrdersApi.orders_updated` asks for results sorted by update time
ascending and makes each next page a new search from the largest update time of the page before
(the orders of that second come again and are dropped as repeats, but for one whose status
differs, handed on again as the newer): whatever the token is, no order
of the window is passed over. The token is used only to go on within one second whose orders fill
a page (a new search from it would answer that page again), and where a page comes back not
sorted as asked. The cost: each page after the first starts with the orders of the second the one
before ended with, about one more request per hundred pages (one per window in practice), and one
more for each second whose orders fill a page.

Persisting the position is the caller's job (connectors do not touch the store)::

    raw = store.cursors.get(shop, "orders")          # str | None
    cursor = int(raw) if raw else None
    now = int(clock())
    last = None
    for page in api.changed_since(cursor, now=now):
        handle(page.items); report(page.errors)
        last = max([last or 0, *(o.update_time for o in page.items)]) or None
        # optional checkpoint, so a crash resumes near here rather than at the old cursor:
        store.cursors.put(shop, "orders", str(next_cursor(cursor, now=now, complete=False, last_seen=last)), now=...)
    store.cursors.put(shop, "orders", str(next_cursor(cursor, now=now, complete=True)), now=...)

A record that fails to load (a RecordError) is reported but does not hold the cursor back; a
caller that must see every order re-reads those by id (:meth:`OrdersApi.get_orders`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.loading import load_page
from erpsync.connectors.tiktok.orders.models import Order, OrderStatus
from erpsync.connectors.tiktok.orders.schemas import OrderSchema
from erpsync.connectors.tiktok.paging import check_page_size, next_page_token, paginate
from erpsync.connectors.tiktok.versions import ENDPOINTS
from erpsync.core.errors import RecordError
from erpsync.core.models import Records

SEARCH_PATH = ENDPOINTS["get_order_list"].path()
DETAIL_PATH = ENDPOINTS["get_order_detail"].path()
#: Get Order Detail takes at most 50 ids per call (Partner Center API reference, Get Order Detail
#: (202507), ``ids``: "Max count: 50")
IDS_PER_CALL = 50
#: built once: a schema holds no state between loads, and building one costs about half a millisecond
#: of a shop's CPU per call
_ORDER_SCHEMA = OrderSchema()
DEFAULT_OVERLAP_SECONDS = 300
SORT_FIELDS = ("update_time", "create_time")
SORT_ORDERS = ("ASC", "DESC")


def next_cursor(previous: int | None, *, now: int, complete: bool, last_seen: int | None = None) -> int | None:
    """The position to persist after (part of) a ``changed_since(previous, now=now)`` run.

    A complete run has read everything updated before ``now``, so the cursor becomes ``now``.
    After a partial run it becomes the largest ``update_time`` handed to the caller (pages are
    sorted by update_time ascending); the next run's overlap re-reads the ties at that second.
    The cursor never moves backwards.
    """
    if complete:
        candidate = now
    elif last_seen is not None:
        candidate = min(last_seen, now)
    else:
        return previous
    return candidate if previous is None else max(previous, candidate)


class OrdersApi:
    """Order reads for one shop (its ``shop_cipher``)."""

    def __init__(self, client: TikTokClient, cipher: str) -> None:
        self.client = client
        self.cipher = cipher

    def search_orders(
        self,
        *,
        status: OrderStatus | str | None = None,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
        page_size: int = 100,
    ) -> Iterator[Records[Order]]:
        """Yield one ``Records`` per page; the next page is requested only when the caller asks."""
        if sort_field not in SORT_FIELDS:
            raise ValueError(f"sort_field must be one of {', '.join(SORT_FIELDS)}, not {sort_field!r}")
        if sort_order not in SORT_ORDERS:
            raise ValueError(f"sort_order must be one of {', '.join(SORT_ORDERS)}, not {sort_order!r}")
        body = _search_body(status, create_time_ge, create_time_lt, update_time_ge, update_time_lt)
        query = {"page_size": check_page_size(page_size), "sort_field": sort_field, "sort_order": sort_order}
        return paginate(
            self.client, SEARCH_PATH, cipher=self.cipher, query=query, body=body, operation="search orders", load=_load
        )

    def orders_updated(
        self,
        *,
        status: OrderStatus | str | None = None,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        page_size: int = 100,
    ) -> Iterator[Records[Order]]:
        """Orders updated in ``[update_time_ge, update_time_lt)``, sorted by update time ascending,
        each ``(id, update_time)`` once, one ``Records`` per page as the caller asks; each next page
        a new search from the last page's largest update time (module docstring).

        A repeat of an ``(id, update_time)`` whose status differs is handed on again, later: two
        changes in one second share an update time, and the copy read later is the newer, so a
        caller that keeps the last copy of each pair (``latest_per_order``) keeps that one."""
        operation = "search orders"
        query = {"page_size": check_page_size(page_size), "sort_field": "update_time", "sort_order": "ASC"}
        body = _search_body(status, None, None, update_time_ge, update_time_lt)
        since, token = update_time_ge, None
        tokens: set[str] = set()  # this search's, against an answer that would page forever
        sorted_as_asked = True  # until a page comes back otherwise: then only the token pages on
        seen: dict[tuple[str, int], str] = {}  # (id, update_time) -> the status last handed on
        said: set[tuple[str | None, str | None, str]] = set()  # errors, which a new search meets again
        while True:
            data = self.client.call(
                "POST",
                SEARCH_PATH,
                cipher=self.cipher,
                query={**query, "page_token": token},
                body=body if since is None else {**body, "update_time_ge": since},
                operation=operation,
                idempotent=True,
            )
            page = _load(data)
            times = [o.update_time for o in page.items]
            sorted_as_asked = sorted_as_asked and times == sorted(times)
            fresh = [o for o in page.items if seen.get(o.key) != str(o.status)]
            seen.update((o.key, str(o.status)) for o in fresh)
            errors = [e for e in page.errors if (e.record_id or e.record, e.field, e.reason) not in said]
            said.update((e.record_id or e.record, e.field, e.reason) for e in errors)
            yield Records(tuple(fresh), tuple(errors))
            following = next_page_token(data, tokens, connector=self.client.name, operation=operation)
            if following is None:
                return
            if sorted_as_asked and times and (since is None or times[-1] > since):
                since, token, tokens = times[-1], None, set()  # a new search from the page's last second
            else:
                token = following  # one second's orders fill the page: on within this search

    def get_orders(self, ids: Iterable[str | int]) -> Records[Order]:
        """Orders by id, in calls of at most 50 ids, each id once, in the order asked for.

        Unknown ids are simply missing from the result (the API's rule), not errors.
        """
        unique = list(dict.fromkeys(str(i).strip() for i in ids if str(i).strip()))
        rank = {oid: n for n, oid in enumerate(unique)}
        schema = _ORDER_SCHEMA
        items: list[Order] = []
        errors: list[RecordError] = []
        for start in range(0, len(unique), IDS_PER_CALL):
            chunk = unique[start : start + IDS_PER_CALL]
            data = self.client.call(
                "GET", DETAIL_PATH, cipher=self.cipher, query={"ids": ",".join(chunk)}, operation="get orders"
            )
            found = load_page(
                schema, data, "orders", kind="order", source=f"TikTok {DETAIL_PATH}", operation="get orders"
            )
            items.extend(found.items)
            errors.extend(found.errors)
        seen: set[str] = set()
        ordered = []
        for order in sorted(items, key=lambda o: rank.get(o.id, len(rank))):
            if order.id not in seen:
                seen.add(order.id)
                ordered.append(order)
        return Records(items=tuple(ordered), errors=tuple(errors))

    def changed_since(
        self,
        cursor: int | None,
        *,
        now: int,
        overlap_seconds: int = DEFAULT_OVERLAP_SECONDS,
        page_size: int = 100,
    ) -> Iterator[Records[Order]]:
        """Orders updated in ``[cursor - overlap, now)`` (all before ``now`` when ``cursor`` is None).

        Sorted by update_time ascending; an ``(id, update_time)`` already yielded in this run is
        dropped, so a caller sees each change once per run (unless its status differs: that copy,
        read later, is yielded again, see :meth:`orders_updated`). Across runs the overlap re-reads up to
        ``overlap_seconds`` of changes: handlers must be idempotent on ``(id, update_time)``.
        """
        if overlap_seconds < 0:
            raise ValueError("overlap_seconds must be >= 0")
        if cursor is not None and cursor > now:
            raise ValueError(f"cursor {cursor} is after now {now}: is the clock right?")
        start = None if cursor is None else max(0, cursor - overlap_seconds)
        yield from self.orders_updated(update_time_ge=start, update_time_lt=now, page_size=page_size)


def _search_body(
    status: OrderStatus | str | None,
    create_time_ge: int | None,
    create_time_lt: int | None,
    update_time_ge: int | None,
    update_time_lt: int | None,
) -> dict[str, Any]:
    """Get Order List's body: the status (checked here, not after a round trip) and the windows given."""
    known = [s.value for s in OrderStatus if s is not OrderStatus.UNKNOWN]
    if status is not None and str(status) not in known:
        raise ValueError(f"unknown order status {status!r} (expected one of {', '.join(known)})")
    window = {
        "order_status": None if status is None else str(status),
        "create_time_ge": create_time_ge,
        "create_time_lt": create_time_lt,
        "update_time_ge": update_time_ge,
        "update_time_lt": update_time_lt,
    }
    return {k: (v if k == "order_status" else int(v)) for k, v in window.items() if v is not None}


def _load(data: Mapping[str, Any]) -> Records[Order]:
    """One page of Get Order List, each order loaded on its own."""
    source = f"TikTok {SEARCH_PATH}"
    return load_page(_ORDER_SCHEMA, data, "orders", kind="order", source=source, operation="search orders")
