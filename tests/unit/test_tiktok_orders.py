"""OrdersApi against ``responses``: search paging, ids chunking, the overlapping incremental read, bad payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
import responses
from open_api_fakes import APP_KEY, BASE, CIPHER, NOW, SECRET, TOKEN, Signed, fail, ok, query
from responses.registries import OrderedRegistry

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.order_reads import OrderReads
from erpsync.connectors.tiktok.orders.api import OrdersApi, next_cursor
from erpsync.connectors.tiktok.orders.models import Order, OrderStatus
from erpsync.core.errors import AuthError, PermanentError, TemporaryError
from erpsync.core.http import HttpPolicy
from erpsync.core.models import Records
from erpsync.core.orders import SellerOrder

SEARCH = f"{BASE}/order/202309/orders/search"
DETAIL = f"{BASE}/order/202507/orders"  # Get Order Detail is documented at 202507


@pytest.fixture
def api() -> OrdersApi:
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=lambda: NOW)
    return OrdersApi(client, CIPHER)


@pytest.fixture
def signed_timestamp() -> int:
    """The client reads a fixed clock: every signed request carries ``NOW``."""
    return NOW


def order(i: int | str, *, update_time: int = NOW - 100, status: str = "AWAITING_SHIPMENT", **extra: object) -> dict:
    raw: dict = {
        "id": str(i),
        "status": status,
        "create_time": NOW - 1000,
        "update_time": update_time,
        "paid_time": NOW - 900,
        "warehouse_id": "W1",
        "shipping_type": "TIKTOK",
        "rts_sla_time": NOW + 86400,
        "payment": {"currency": "GBP", "total_amount": "23.90", "sub_total": "19.90", "shipping_fee": "4.00"},
        "recipient_address": {
            "name": "A. Buyer",
            "phone_number": "(+44)7700900000",
            "full_address": "1 High St, London",
            "region_code": "GB",
            "postal_code": "N1 1AA",
        },
        "line_items": [
            {
                "id": f"L{i}",
                "sku_id": "S1",
                "seller_sku": "MUG-BLUE",
                "product_id": "1729",
                "product_name": "Blue mug",
                "sale_price": "19.90",
                "currency": "GBP",
                "package_id": f"P{i}",
                "package_status": "TO_FULFILL",
                "tracking_number": "",
            }
        ],
        "packages": [{"id": f"P{i}"}],
    }
    raw.update(extra)
    return raw


# -- search ------------------------------------------------------------------------------------


@responses.activate(registry=OrderedRegistry)
def test_search_orders_pages_lazily_with_the_documented_query(api: OrdersApi, assert_signed: Signed) -> None:
    responses.post(SEARCH, json=ok({"orders": [order(1), order(2)], "next_page_token": "t2", "total_count": 5}))
    responses.post(SEARCH, json=ok({"orders": [order(3), order(4)], "next_page_token": "t3", "total_count": 5}))
    responses.post(SEARCH, json=ok({"orders": [order(5)], "next_page_token": "", "total_count": 5}))
    pages = api.search_orders(status=OrderStatus.AWAITING_SHIPMENT, update_time_ge=NOW - 3600, update_time_lt=NOW)
    first = next(pages)
    assert [o.id for o in first.items] == ["1", "2"]
    assert len(responses.calls) == 1  # page 2 waits until page 1 is consumed
    assert [o.id for o in next(pages).items] == ["3", "4"] and len(responses.calls) == 2
    assert [o.id for page in pages for o in page.items] == ["5"] and len(responses.calls) == 3
    queries = [assert_signed(c.request) for c in responses.calls]
    assert [q.get("page_token") for q in queries] == [None, "t2", "t3"]
    assert all((q["page_size"], q["sort_field"], q["sort_order"]) == ("100", "update_time", "ASC") for q in queries)
    body = (
        b'{"order_status":"AWAITING_SHIPMENT","update_time_ge":'
        + str(NOW - 3600).encode()
        + b',"update_time_lt":'
        + str(NOW).encode()
        + b"}"
    )
    assert all(c.request.body == body and c.request.method == "POST" for c in responses.calls)
    assert responses.calls[0].request.headers["Content-Type"] == "application/json"


@responses.activate
def test_search_orders_checks_its_arguments_before_calling(api: OrdersApi) -> None:
    with pytest.raises(ValueError, match="page_size"):
        api.search_orders(page_size=101)
    with pytest.raises(ValueError, match="sort_field"):
        api.search_orders(sort_field="id")
    with pytest.raises(ValueError, match="unknown order status"):
        api.search_orders(status="CANCEL")
    assert len(responses.calls) == 0


@responses.activate(registry=OrderedRegistry)
def test_search_orders_refuses_a_repeated_page_token(api: OrdersApi) -> None:
    responses.post(SEARCH, json=ok({"orders": [order(1)], "next_page_token": "t"}))
    responses.post(SEARCH, json=ok({"orders": [order(2)], "next_page_token": "t"}))
    with pytest.raises(PermanentError, match="twice"):
        list(api.search_orders())
    assert len(responses.calls) == 2


@pytest.mark.parametrize(
    ("status", "code", "message", "error"),
    [
        (400, 36009004, "page_size must be between 1 and 100", PermanentError),
        (400, 36009004, "invalid page_token", PermanentError),
        (403, 105005, "scope not granted", AuthError),
        (429, 36009002, "too many requests", TemporaryError),
        (500, 36009003, "internal error", TemporaryError),
        (502, None, "bad gateway", TemporaryError),
    ],
)
@responses.activate
def test_search_orders_errors(api: OrdersApi, status: int, code: int | None, message: str, error: type) -> None:
    responses.post(SEARCH, status=status, json=fail(code, message) if code else {"oops": message})
    with pytest.raises(error) as info:
        next(api.search_orders())
    assert type(info.value) is error and info.value.status == status
    if code:
        assert info.value.code == code and message in str(info.value)


# -- the typed order ---------------------------------------------------------------------------


@responses.activate
def test_order_is_typed(api: OrdersApi) -> None:
    responses.get(DETAIL, json=ok({"orders": [order(5770000000000000001, id=5770000000000000001)]}))
    (o,) = api.get_orders(["5770000000000000001"]).items
    assert isinstance(o, Order) and o.id == "5770000000000000001"
    assert o.status is OrderStatus.AWAITING_SHIPMENT and o.status == "AWAITING_SHIPMENT"
    assert (o.create_time, o.update_time, o.paid_time, o.rts_sla_time) == (
        NOW - 1000,
        NOW - 100,
        NOW - 900,
        NOW + 86400,
    )
    assert (o.warehouse_id, o.shipping_type, o.tracking_number) == ("W1", "TIKTOK", "")
    assert o.payment.currency == "GBP" and o.payment.total_amount == Decimal("23.90")
    assert o.recipient_address.postal_code == "N1 1AA"
    (line,) = o.line_items
    assert (line.sku_id, line.seller_sku, line.product_id, line.package_id) == (
        "S1",
        "MUG-BLUE",
        "1729",
        "P5770000000000000001",
    )
    assert line.sale_price == Decimal("19.90")
    assert o.package_ids == ("P5770000000000000001",)
    assert o.key == ("5770000000000000001", NOW - 100)


@pytest.mark.parametrize("status", list(OrderStatus))
@responses.activate
def test_every_documented_status_loads(api: OrdersApi, status: OrderStatus) -> None:
    raw = order(1, status=str(status))
    if status in (OrderStatus.UNPAID, OrderStatus.ON_HOLD):
        del raw["recipient_address"]  # absent while unpaid / on hold: not an error
    responses.get(DETAIL, json=ok({"orders": [raw]}))
    found = api.get_orders(["1"])
    assert found.errors == () and found.items[0].status is status
    if status in (OrderStatus.UNPAID, OrderStatus.ON_HOLD):
        assert found.items[0].recipient_address is None


@responses.activate
def test_malformed_orders_are_record_errors_and_the_rest_go_on(api: OrdersApi) -> None:
    orders = [
        order(1),
        order(2, status=["CANCELLED"]),  # not text (a new status VALUE is kept: test_tiktok_fixtures)
        order(3, status=None),
        {k: v for k, v in order(4).items() if k != "update_time"},
        order(5, payment={"currency": "GBP", "total_amount": "lots"}),
        order(6, line_items=[{"sku_id": "S1"}]),
        {"status": "UNPAID"},
        ["not", "an", "object"],
        order(9, create_time="yesterday"),
        order(10, packages="P10"),
        order(11, id=11, recipient_address=None, warehouse_id=12, payment=None),
        order(12, line_items=[{**order(12)["line_items"][0], "product_name": "n" * 1_000_000}]),
        order("9" * 5000),
    ]
    responses.get(DETAIL, json=ok({"orders": orders}))
    found = api.get_orders([str(i) for i in range(1, 13)] + ["9" * 5000])
    assert [o.id for o in found.items] == ["1", "11", "12", "9" * 5000]
    eleven = found.items[1]
    assert eleven.warehouse_id == "12" and eleven.recipient_address is None and eleven.payment is None
    assert len(found.items[2].line_items[0].product_name) == 1_000_000
    fields = {e.record: e.field for e in found.errors}
    assert fields == {
        "order 2": "status",
        "order 3": "status",
        "order 4": "update_time",
        "order 5": "payment.total_amount",
        "order 6": "line_items.0.id",
        "order #6": "id",
        "order #7": None,
        "order 9": "create_time",
        "order 10": "packages",
    }
    assert all(str(e).startswith("TikTok /order/202507/orders: order") for e in found.errors)


# -- details by id -----------------------------------------------------------------------------


@responses.activate
def test_get_orders_chunks_dedupes_and_keeps_the_order_asked_for(api: OrdersApi, assert_signed: Signed) -> None:
    def reply(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        ids = query(request)["ids"].split(",")
        known = [i for i in ids if i != "O7"]  # unknown ids are simply missing
        return 200, {}, json.dumps(ok({"orders": [order(i) for i in reversed(known)]}))

    responses.add_callback(responses.GET, DETAIL, callback=reply)
    ids = [f"O{i}" for i in range(120)] + ["O3", "O0", 5]
    found = api.get_orders(ids)
    sizes = [len(query(c.request)["ids"].split(",")) for c in responses.calls]
    assert sizes == [50, 50, 21]
    assert query(responses.calls[0].request)["ids"] == ",".join(f"O{i}" for i in range(50))
    assert [o.id for o in found.items] == [f"O{i}" for i in range(120) if i != 7] + ["5"]
    assert found.errors == ()
    for call in responses.calls:
        assert_signed(call.request)
        assert call.request.method == "GET" and call.request.body is None
    assert api.get_orders([]).items == ()
    assert len(responses.calls) == 3


@responses.activate
def test_get_orders_strips_ids_so_a_blank_or_padded_id_is_not_sent(api: OrdersApi) -> None:
    responses.get(DETAIL, json=ok({"orders": [order("O1")]}))
    found = api.get_orders([" O1 ", "O1", "", "   ", 7000000000000000004])
    (call,) = responses.calls
    assert query(call.request)["ids"] == "O1,7000000000000000004"
    assert [o.id for o in found.items] == ["O1"]


@responses.activate
def test_get_orders_too_many_ids_refused_by_the_server_is_permanent(api: OrdersApi) -> None:
    responses.get(DETAIL, status=400, json=fail(36009004, "ids: at most 50"))
    with pytest.raises(PermanentError, match="at most 50"):
        api.get_orders(["1"])


# -- incremental read --------------------------------------------------------------------------


@responses.activate(registry=OrderedRegistry)
def test_changed_since_overlaps_and_dedupes_by_id_and_update_time(api: OrdersApi) -> None:
    cursor = NOW - 3600
    responses.post(
        SEARCH,
        json=ok({"orders": [order(1, update_time=cursor - 200), order(2, update_time=cursor)], "next_page_token": "a"}),
    )
    # the same change again (update_time moved under us), and a real second change of order 1
    responses.post(
        SEARCH,
        json=ok({"orders": [order(2, update_time=cursor), order(1, update_time=cursor + 50)], "next_page_token": "b"}),
    )
    responses.post(SEARCH, json=ok({"orders": [order(3, update_time=NOW - 1), order(2, update_time=cursor)]}))
    pages = list(api.changed_since(cursor, now=NOW))
    seen = [(o.id, o.update_time) for page in pages for o in page.items]
    assert seen == [("1", cursor - 200), ("2", cursor), ("1", cursor + 50), ("3", NOW - 1)]
    body = json.loads(responses.calls[0].request.body)
    assert body == {"update_time_ge": cursor - 300, "update_time_lt": NOW}
    q = query(responses.calls[0].request)
    assert (q["sort_field"], q["sort_order"]) == ("update_time", "ASC")


@responses.activate(registry=OrderedRegistry)
def test_a_repeat_of_one_update_time_with_another_status_is_handed_on_as_the_later_read(api: OrdersApi) -> None:
    """Two changes in one second share an update time: the next search from that second met order
    2 cancelled, and dropped it as a repeat, so the earlier snapshot stood for the order."""
    t = NOW - 500
    responses.post(
        SEARCH, json=ok({"orders": [order(1, update_time=t - 9), order(2, update_time=t)], "next_page_token": "a"})
    )
    responses.post(
        SEARCH,
        json=ok({"orders": [order(2, update_time=t, status="CANCELLED"), order(3, update_time=t + 1)]}),
    )
    pages = list(api.orders_updated(update_time_ge=t - 60, update_time_lt=NOW))
    seen = [(o.id, o.status) for page in pages for o in page.items]
    assert seen == [
        ("1", "AWAITING_SHIPMENT"),
        ("2", "AWAITING_SHIPMENT"),
        ("2", "CANCELLED"),
        ("3", "AWAITING_SHIPMENT"),
    ]

    class Reads(OrderReads):
        _orders_api = api

    responses.post(
        SEARCH, json=ok({"orders": [order(1, update_time=t - 9), order(2, update_time=t)], "next_page_token": "a"})
    )
    responses.post(
        SEARCH,
        json=ok({"orders": [order(2, update_time=t, status="CANCELLED"), order(3, update_time=t + 1)]}),
    )
    read = Reads().read_orders(updated_since=datetime.fromtimestamp(t - 60, UTC))
    assert [(o.id, o.status) for o in read.items] == [
        ("1", "AWAITING_SHIPMENT"),
        ("2", "CANCELLED"),
        ("3", "AWAITING_SHIPMENT"),
    ]


@responses.activate
def test_changed_since_first_run_reads_everything_before_now(api: OrdersApi) -> None:
    responses.post(SEARCH, json=ok({"orders": [order(1)], "next_page_token": ""}))
    pages = api.changed_since(None, now=NOW, overlap_seconds=60)
    assert len(responses.calls) == 0  # lazy
    assert [o.id for page in pages for o in page.items] == ["1"]
    assert json.loads(responses.calls[0].request.body) == {"update_time_lt": NOW}


def test_changed_since_checks_its_arguments(api: OrdersApi) -> None:
    with pytest.raises(ValueError, match="after now"):
        next(api.changed_since(NOW + 10, now=NOW))
    with pytest.raises(ValueError, match="overlap"):
        next(api.changed_since(NOW - 10, now=NOW, overlap_seconds=-1))


@pytest.mark.parametrize(
    ("previous", "complete", "last_seen", "expected"),
    [
        (None, True, None, NOW),
        (NOW - 3600, True, None, NOW),
        (NOW - 3600, False, None, NOW - 3600),  # nothing handed over: stay put
        (None, False, None, None),
        (NOW - 3600, False, NOW - 60, NOW - 60),
        (NOW - 3600, False, NOW - 7200, NOW - 3600),  # never backwards
        (NOW - 3600, False, NOW + 60, NOW),  # never past the window end
        (NOW + 60, True, None, NOW + 60),
    ],
)
def test_next_cursor(previous: int | None, complete: bool, last_seen: int | None, expected: int | None) -> None:
    assert next_cursor(previous, now=NOW, complete=complete, last_seen=last_seen) == expected


def test_blank_optional_ids_mean_not_yet_assigned():
    """Before fulfilment the API sends "" for a line item's package and sku ids it lacks."""
    from erpsync.connectors.tiktok.orders.schemas import LineItemSchema

    item = LineItemSchema().load({"id": "1", "sku_id": "", "package_id": " ", "sale_price": "1.00"})
    assert (item.sku_id, item.package_id) == (None, None)


class _PageApi:
    """``orders_updated`` answering one page of raw orders, loaded as the client loads them."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows

    def orders_updated(self, *, status: str | None = None, **_: object):  # type: ignore[no-untyped-def]
        from erpsync.connectors.tiktok.loading import load_page
        from erpsync.connectors.tiktok.orders.schemas import OrderSchema

        rows = [r for r in self.rows if status is None or r["status"] == status]
        yield load_page(OrderSchema(), {"orders": rows}, "orders", kind="order", source="fake", operation="search")


class _Reads(OrderReads):
    def __init__(self, rows: list[dict]) -> None:
        self._orders_api = _PageApi(rows)  # type: ignore[assignment]


def test_an_order_both_status_searches_list_with_one_update_time_is_read_as_the_later_search_saw_it() -> None:
    """Read first by the AWAITING_SHIPMENT search, then, in the same second, by the
    PARTIALLY_SHIPPING one: the first copy was kept, the later dropped as a repeat."""
    rows = [order(1, update_time=NOW - 5), order(1, update_time=NOW - 5, status="PARTIALLY_SHIPPING")]
    read = _Reads(rows).read_orders(statuses=("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"))
    assert [(o.id, o.status) for o in read.items] == [("1", "PARTIALLY_SHIPPING")]
    same = _Reads([order(1), order(1)]).read_orders(statuses=("AWAITING_SHIPMENT",))
    assert len(same.items) == 1  # an exact repeat is one change


def test_a_buyers_pending_cancellation_request_is_read_into_the_cores_order() -> None:
    """Get Order List's ``is_buyer_request_cancel`` ("whether the buyer has a pending cancellation
    request"); an order without the field, or with null, has none."""
    rows = [
        order(1, is_buyer_request_cancel=True),
        order(2, is_buyer_request_cancel=False),
        order(3),
        order(4, is_buyer_request_cancel=None),
    ]
    read = _Reads(rows).read_orders(statuses=("AWAITING_SHIPMENT",))
    assert read.errors == ()
    assert [(o.id, o.buyer_cancel_requested) for o in read.items] == [
        ("1", True),
        ("2", False),
        ("3", False),
        ("4", False),
    ]


@responses.activate
def test_get_order_detail_reads_the_pending_cancellation_request_too(api: OrdersApi) -> None:
    responses.get(DETAIL, json=ok({"orders": [order(1, is_buyer_request_cancel=True), order(2)]}))
    found = api.get_orders(["1", "2"])
    assert [(o.id, o.is_buyer_request_cancel) for o in found.items] == [("1", True), ("2", False)]


@pytest.mark.parametrize(
    ("name", "value"),
    [("update_time", NOW * 1000), ("rts_sla_time", NOW * 1000), ("create_time", 10**18), ("paid_time", -1)],
)
def test_an_order_time_no_date_can_hold_is_a_record_error_naming_order_and_field(name: str, value: int) -> None:
    """A time in milliseconds (or absurd) used to raise ValueError/OSError while the reader turned
    it into a datetime, which no record-error handling caught: the whole run stopped, every run."""
    read = _Reads([order("good"), order("bad", **{name: value})]).read_orders(statuses=("AWAITING_SHIPMENT",))
    assert [o.id for o in read.items] == ["good"]
    (error,) = read.errors
    assert (error.record, error.field) == ("order bad", name)
    assert "out of range" in str(error)


@responses.activate
def test_the_connector_reads_orders_by_id_through_get_order_detail(api: OrdersApi) -> None:
    """The order-status aspect reads the orders of its open drifts this way (``OrderDetailReader``)."""
    from erpsync.core.orders import OrderDetailReader

    responses.get(DETAIL, json=ok({"orders": [order("O2", status="CANCELLED"), order("bad", update_time=NOW * 1000)]}))

    class Reads(OrderReads):
        _orders_api = api

    reads = Reads()
    assert isinstance(reads, OrderDetailReader)
    found = reads.read_orders_by_id(["O1", "O2", "bad"])
    assert query(responses.calls[0].request)["ids"] == "O1,O2,bad"
    ((o2,), (error,)) = found.items, found.errors
    assert (o2.id, o2.status, o2.source) == ("O2", "CANCELLED", "TikTok /order/202507/orders: order O2")
    assert error.record == "order bad"


# -- paging by update time -----------------------------------------------------------------------


class _OffsetClient:
    """Get Order List paged by a token that is an offset into the live result (as many search
    backends page; no source says what TikTok's is): an order that changes while a page is
    handled leaves the window, and the orders after it move up one place."""

    name = "tiktok"

    def __init__(self, count: int, *, changes: dict[str, int] | None = None) -> None:
        self.orders = {f"{n:04d}": 1_000 + n for n in range(count)}  # id -> update_time
        self.changes = changes or {}  # made as the first page is handed out
        self.malformed: set[str] = set()  # answered with a time in milliseconds
        self.requests: list[tuple[dict, dict]] = []

    def call(self, method, path, *, query=None, body=None, **_):  # type: ignore[no-untyped-def]
        self.requests.append((dict(query), dict(body)))
        assert (query["sort_field"], query["sort_order"]) == ("update_time", "ASC")
        ge, lt = body.get("update_time_ge", 0), body["update_time_lt"]
        live = sorted((t, i) for i, t in self.orders.items() if ge <= t < lt)
        start = int(query.get("page_token") or 0)
        page = live[start : start + query["page_size"]]
        self.orders.update(self.changes)
        self.changes = {}
        more = start + len(page) < len(live)
        rows = [{"id": i, "status": "AWAITING_SHIPMENT", "create_time": 1, "update_time": t} for t, i in page]
        for row in rows:
            row["rts_sla_time"] = NOW * 1000 if row["id"] in self.malformed else NOW
        return {"orders": rows, "next_page_token": str(start + len(page)) if more else ""}


def _reads(client: _OffsetClient, since: int = 900, before: int = 50_000) -> Records[SellerOrder]:
    class Reads(OrderReads):
        def __init__(self) -> None:
            self.client = client

        def cipher(self) -> str:
            return CIPHER

    return Reads().read_orders(
        updated_since=datetime.fromtimestamp(since, UTC), updated_before=datetime.fromtimestamp(before, UTC)
    )


def _read(client: _OffsetClient, since: int = 900, before: int = 50_000) -> list[str]:
    return [o.id for o in _reads(client, since, before).items]


def test_an_order_that_changes_mid_read_does_not_make_another_skipped_whatever_the_page_token_is() -> None:
    """Paged by the token alone, order 0100 moved up onto page 1's last place once 0010 left the
    window, and was never read: not by this read, nor by the next run's overlap (mid-window)."""
    client = _OffsetClient(150, changes={"0010": 60_000})  # 0010, read on page 1, changes meanwhile
    ids = _read(client)
    assert sorted(set(client.orders) - set(ids)) == []
    assert len(ids) == len(set(ids)) == 150  # 0010 once, as read: its change is the next window's


def test_each_next_page_is_a_new_search_from_the_last_pages_update_time() -> None:
    client = _OffsetClient(250)
    assert len(_read(client)) == 250
    sent = [(q["page_token"], b.get("update_time_ge")) for q, b in client.requests]
    assert sent == [(None, 900), (None, 1_099), (None, 1_198)]  # each page after the first repeats one order
    # what it costs: 1000 orders of distinct seconds take 11 requests, where the token alone takes 10
    many = _OffsetClient(1_000)
    assert len(_read(many)) == 1_000 and len(many.requests) == 11


def test_a_malformed_order_a_new_search_meets_again_is_one_record_error() -> None:
    client = _OffsetClient(150)
    client.malformed = {"0099"}  # page 1's last: the next search starts at 0098's second, and meets it again
    read = _reads(client)
    assert len(read.items) == 149 and [(e.record_id, e.field) for e in read.errors] == [("0099", "rts_sla_time")]
    assert [b.get("update_time_ge") for _q, b in client.requests] == [900, 1_098]


def test_a_second_whose_orders_fill_a_page_is_read_on_by_the_token() -> None:
    """A new search from that second would answer the same page again: the token goes on within it."""
    client = _OffsetClient(0)
    client.orders = {f"s{n:03d}": 2_000 for n in range(130)} | {"later": 2_001}
    assert sorted(_read(client)) == sorted(client.orders)
    sent = [(q["page_token"], b.get("update_time_ge")) for q, b in client.requests]
    assert sent == [(None, 900), (None, 2_000), ("100", 2_000)]


def test_a_page_not_sorted_as_asked_has_the_rest_read_by_the_token() -> None:
    """A new search from its last update time would pass over the earlier ones of later pages."""

    class Unsorted(_OffsetClient):
        def call(self, method, path, *, query=None, body=None, **_):  # type: ignore[no-untyped-def]
            answer = super().call(method, path, query=query, body=body)
            answer["orders"].reverse()
            return answer

    client = Unsorted(250)
    assert sorted(_read(client)) == sorted(client.orders)
    assert [(q["page_token"], b.get("update_time_ge")) for q, b in client.requests] == [
        (None, 900),
        ("100", 900),
        ("200", 900),
    ]
