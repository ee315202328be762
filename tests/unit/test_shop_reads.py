"""shared_reads: each system read once per shop run, the same capabilities, and never a stale read
after a write, and reads started ahead for a later aspect. Real connectors throughout: the files
ERP on a temporary folder, the TikTok connector over ``responses``."""

from __future__ import annotations

import json
import threading
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from test_tiktok_orders import order

from erpsync.connectors.files.connector import FilesErp
from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.aspects.warehouse_address import connector_type
from erpsync.core.connector import Connector, ShopContext
from erpsync.core.errors import AuthError, PermanentError
from erpsync.core.http import HttpPolicy
from erpsync.core.models import HandoverMode, Records
from erpsync.core.orders import SellerOrder
from erpsync.core.ports import PickupReader, PickupWriter, WarehouseReader, WarehouseWriter
from erpsync.core.time_budget import TimeBudget, time_budget
from erpsync.shop_reads import shared_reads

BASE = "https://open-api.test"
SHOP_ID = "7495000000000000001"
WAREHOUSES_URL = f"{BASE}/logistics/202309/warehouses"
SHOPS_URL = f"{BASE}/authorization/202309/shops"
CSV = "id,seller_warehouse_id,phone,handover_mode\nE1,W1,13800138000,DROP OFF\n"


def envelope(data: object) -> dict:
    return {"code": 0, "message": "Success", "request_id": "req-1", "data": data}


@pytest.fixture
def erp(tmp_path: Path) -> FilesErp:
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "warehouses.csv").write_text(CSV, encoding="utf-8")
    return FilesErp({"path": "erp", "format": "auto"}, shop=ShopContext(name="s", base_dir=tmp_path))


@pytest.fixture
def seller() -> TikTokSellerConnector:
    client = TikTokClient(BASE, "key", "secret", "token", policy=HttpPolicy(max_attempts=1, rate_limit_qps=None))
    options = {"app_key": "key", "app_secret": "secret", "access_token": "token", "shop_id": SHOP_ID, "base_url": BASE}
    return TikTokSellerConnector(options, shop=ShopContext(name="s", base_dir=Path(".")), client=client)


def answer_tiktok() -> None:
    shop = {"id": SHOP_ID, "name": "Demo", "region": "GB", "seller_type": "CROSS_BORDER", "cipher": "ROW_c"}
    responses.get(SHOPS_URL, json=envelope({"shops": [shop]}))
    warehouse = {"id": "W1", "name": "Shenzhen", "address": {"city": "深圳市"}}
    responses.get(WAREHOUSES_URL, json=envelope({"warehouses": [warehouse]}))


def calls_to(url: str) -> int:
    return sum(call.request.url.split("?", 1)[0] == url for call in responses.calls)


def test_the_erp_file_is_read_once_until_a_write(erp: FilesErp, tmp_path: Path) -> None:
    shared = shared_reads(erp)
    first = shared.list_warehouses()
    # another program edits the file mid-run: the shop's run keeps comparing one reading of it
    (tmp_path / "erp" / "warehouses.csv").write_text(CSV.replace("13800138000", "13900139000"), encoding="utf-8")
    assert shared.list_warehouses() is first and shared.reads == 1
    shared.set_handover_mode("E1", HandoverMode.PICKUP)
    after = shared.list_warehouses()  # the write dropped the memo: read again, the write seen
    assert shared.reads == 2
    (row,) = after.items
    assert (row.handover_mode, row.address.phone) == (HandoverMode.PICKUP, "13900139000")
    shared.set_warehouse_address("E1", {"phone": "13700137000"})
    assert shared.list_warehouses().items[0].address.phone == "13700137000" and shared.reads == 3


def test_a_failed_read_is_not_remembered(erp: FilesErp, tmp_path: Path) -> None:
    shared = shared_reads(erp)
    (tmp_path / "erp" / "warehouses.csv").rename(tmp_path / "elsewhere.csv")
    with pytest.raises(PermanentError):
        shared.list_warehouses()
    (tmp_path / "elsewhere.csv").rename(tmp_path / "erp" / "warehouses.csv")
    assert [w.id for w in shared.list_warehouses().items] == ["E1"]


@responses.activate
def test_the_seller_is_asked_once_per_shop(seller: TikTokSellerConnector) -> None:
    answer_tiktok()
    shared = shared_reads(seller)
    assert shared.list_warehouses() is shared.list_warehouses()
    assert (calls_to(WAREHOUSES_URL), calls_to(SHOPS_URL)) == (1, 1)  # the cipher too: looked up once
    shared.close()  # the end of the shop: nothing carried into the next
    assert shared.list_warehouses().items[0].id == "W1"
    assert calls_to(WAREHOUSES_URL) == 2


@responses.activate
def test_reaching_past_the_capabilities_drops_the_memo(seller: TikTokSellerConnector) -> None:
    """The wrapper cannot see writes made through the connector's own client, so it forgets."""
    answer_tiktok()
    shared = shared_reads(seller)
    shared.list_warehouses()
    assert shared.shop_id == SHOP_ID  # any attribute the capabilities do not cover
    shared.list_warehouses()
    assert calls_to(WAREHOUSES_URL) == 2
    # asking for a capability the seller lacks (as every isinstance check does) forgets nothing
    assert not isinstance(shared, WarehouseWriter)
    shared.list_warehouses()
    assert calls_to(WAREHOUSES_URL) == 2


def test_the_same_capabilities_and_name(erp: FilesErp, seller: TikTokSellerConnector) -> None:
    files, tiktok = shared_reads(erp), shared_reads(seller)
    capabilities = (WarehouseReader, WarehouseWriter, PickupReader, PickupWriter)
    assert [isinstance(files, c) for c in capabilities] == [True, True, False, True]
    assert [isinstance(tiktok, c) for c in capabilities] == [True, False, True, False]
    assert not hasattr(type(tiktok), "set_warehouse_address")  # on the class too (getattr_static checks)
    assert (connector_type(files), connector_type(tiktok)) == ("files", "tiktok")
    assert (files.role, tiktok.role, tiktok.secret_options) == ("erp", "seller", ("app_secret", "access_token"))
    assert type(shared_reads(erp)) is type(files)  # one wrapper class per connector class


ORDERS_URL = f"{BASE}/order/202309/orders/search"
AWAITING = ("AWAITING_SHIPMENT",)


def answer_orders(*ids: str) -> None:
    responses.post(ORDERS_URL, json=envelope({"orders": [order(i) for i in ids], "next_page_token": ""}))


@responses.activate
def test_a_read_started_ahead_answers_the_first_call_with_its_arguments(seller: TikTokSellerConnector) -> None:
    answer_tiktok()
    answer_orders("1", "2")
    shared = shared_reads(seller)
    assert shared.read_ahead("read_orders", statuses=AWAITING)
    assert shared.read_ahead("read_orders", statuses=AWAITING)  # asked for twice: read once
    assert calls_to(ORDERS_URL) == 0  # held until the shop's thread waits
    shared.start_reads_ahead()
    found = shared.read_orders(statuses=AWAITING)  # the answer read ahead: no second request
    assert [o.id for o in found.items] == ["1", "2"] and calls_to(ORDERS_URL) == 1
    shared.read_orders(statuses=AWAITING)  # taken once: the next call reads again
    assert calls_to(ORDERS_URL) == 2
    shared.read_ahead("read_orders", statuses=AWAITING)
    shared.start_reads_ahead()
    shared.read_orders(statuses=("PARTIALLY_SHIPPING",))  # other arguments: read now, the one ahead kept
    shared.read_orders(statuses=AWAITING)
    assert calls_to(ORDERS_URL) == 4
    shared.close()


@responses.activate
def test_a_read_still_held_when_asked_for_is_read_then(seller: TikTokSellerConnector) -> None:
    answer_tiktok()
    answer_orders("1")
    shared = shared_reads(seller)
    shared.read_ahead("read_orders", statuses=AWAITING)
    assert [o.id for o in shared.read_orders(statuses=AWAITING).items] == ["1"]
    shared.start_reads_ahead()  # nothing is left to start: the call took it
    shared.close()
    assert calls_to(ORDERS_URL) == 1


@responses.activate
def test_a_read_ahead_overlapped_by_a_write_is_read_again(seller: TikTokSellerConnector) -> None:
    """Started before the write, it may not show it: reaching past the wrapper (which may write,
    as a write through it does) drops it like the memo."""
    answer_tiktok()
    answer_orders("1")
    shared = shared_reads(seller)
    shared.read_ahead("read_orders", statuses=AWAITING)
    shared.start_reads_ahead()
    sent_by = time.monotonic() + 10  # its call made (a loaded machine may start the thread late)
    while calls_to(ORDERS_URL) < 1 and time.monotonic() < sent_by:
        time.sleep(0.005)
    assert calls_to(ORDERS_URL) == 1
    assert shared.shop_id == SHOP_ID
    shared.read_orders(statuses=AWAITING)
    shared.close()
    assert calls_to(ORDERS_URL) == 2


@responses.activate
def test_a_read_ahead_that_failed_raises_where_the_call_is_made(seller: TikTokSellerConnector) -> None:
    answer_tiktok()
    responses.post(ORDERS_URL, json={"code": 105005, "message": "scope", "request_id": "r", "data": None})
    shared = shared_reads(seller)
    shared.read_ahead("read_orders", statuses=AWAITING)
    shared.start_reads_ahead()
    with pytest.raises(AuthError):
        shared.read_orders(statuses=AWAITING)
    assert calls_to(ORDERS_URL) == 1
    shared.close()


def test_only_reads_of_a_connector_that_reads_side_by_side_are_held_ahead(
    erp: FilesErp, seller: TikTokSellerConnector
) -> None:
    files, tiktok = shared_reads(erp), shared_reads(seller)
    assert not files.read_ahead("list_warehouses")  # the files ERP reads on the shop's thread only
    assert not tiktok.read_ahead("set_handover_mode", "W1", HandoverMode.PICKUP)  # not a read
    assert not tiktok.read_ahead("read_orders", statuses=["AWAITING_SHIPMENT"])  # a list: not told apart
    assert not tiktok.read_ahead("read_products")  # a read the TikTok seller does not make
    files.start_reads_ahead()
    tiktok.start_reads_ahead()
    assert files._pool is None and tiktok._pool is None  # nothing was held, nothing started


class PagedOrders:
    """The orders search over ``responses``, page after page (a shop with thousands awaiting): the
    first page is held until ``go_on`` is set."""

    def __init__(self, pages: int = 10) -> None:
        self.pages = pages
        self.asked = threading.Event()
        self.go_on = threading.Event()
        self.calls = 0
        responses.add_callback(responses.POST, ORDERS_URL, callback=self.page)

    def page(self, request: object) -> tuple[int, dict, str]:
        self.calls += 1
        n = self.calls
        if n == 1:
            self.asked.set()
            assert self.go_on.wait(10)
        following = f"t{n}" if n < self.pages else ""
        body = {"orders": [order(n, update_time=1_700_000_000 + n)], "next_page_token": following}
        return 200, {}, json.dumps(envelope(body))


@responses.activate
def test_an_answer_read_ahead_says_when_its_read_started(seller: TikTokSellerConnector) -> None:
    """What it shows was so then: an aspect judging by the time (ship_by) uses that, not its own
    later ``now``; a read made when asked says nothing (the aspect's ``now`` is its time)."""
    answer_tiktok()
    answer_orders("1")
    times = iter([datetime(2026, 1, 1, 8, 0, tzinfo=UTC), datetime(2026, 1, 1, 8, 5, tzinfo=UTC)])
    shared = shared_reads(seller, lambda: next(times))
    shared.read_ahead("read_orders", statuses=AWAITING)
    shared.start_reads_ahead()
    assert shared.read_orders(statuses=AWAITING).as_of == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    assert shared.read_orders(statuses=AWAITING).as_of is None
    shared.close()


@pytest.mark.parametrize("shop_budget", [False, True], ids=["no-budget", "in-the-shops-budget"])
@responses.activate
def test_closing_the_shop_stops_a_read_ahead_no_aspect_took_at_its_next_page(
    seller: TikTokSellerConnector, shop_budget: bool
) -> None:
    """The shop stopped (a stop signal, a failed read, its budget) before the aspect that asked:
    closing does not wait for the whole paged read, whose answer nobody will take. Also inside
    the shop's time budget, as every run reads a shop (the read ahead's own budget ends with it)."""
    answer_tiktok()
    paged = PagedOrders()
    with time_budget(TimeBudget(600.0, "shop s's time budget (600 s)")) if shop_budget else nullcontext():
        shared = shared_reads(seller)
        shared.read_ahead("read_orders", statuses=AWAITING)
        shared.start_reads_ahead()
    assert paged.asked.wait(5)
    closer = threading.Thread(target=shared.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # the page in flight is waited for: nothing of the read runs after close
    paged.go_on.set()
    closer.join(5)
    assert not closer.is_alive()
    assert paged.calls == 1  # not the 9 pages after it, nor the second status's


class SideBySideSeller(Connector):
    """A seller whose reads may run side by side: one read of orders, long (thousands of them),
    and a write that notes whether it came while that read was still running."""

    type = "side-by-side-seller"
    role = "seller"
    reads_side_by_side = True

    def __init__(self) -> None:
        super().__init__({}, shop=ShopContext(name="s", base_dir=Path(".")))
        self.reading = threading.Event()
        self.go_on = threading.Event()
        self.writes_during_read: list[str] = []

    def read_orders(self, *, statuses=(), updated_since=None, updated_before=None) -> Records[SellerOrder]:
        self.reading.set()
        self.go_on.wait(10)
        self.reading.clear()
        return Records()

    def set_order_status(self, order_id: str, status: str) -> None:
        if self.reading.is_set():
            self.writes_during_read.append(order_id)


def test_a_write_waits_for_a_read_ahead_still_running() -> None:
    """The connector promised only that its reads may run side by side: a write never overlaps one."""
    inner = SideBySideSeller()
    shared = shared_reads(inner)
    shared.read_ahead("read_orders", statuses=AWAITING)
    shared.start_reads_ahead()
    assert inner.reading.wait(5)
    threading.Timer(0.2, inner.go_on.set).start()  # the read's call in flight comes back
    shared.set_order_status("O1", "SHIPPED")  # a later aspect's write, on the shop's thread
    assert inner.writes_during_read == []
    shared.close()


@responses.activate
def test_a_read_ahead_dropped_while_its_call_fails_sends_nothing_more() -> None:
    """The orders API is failing (503) and the read ahead is dropped (a write, the shop's end) while
    its first attempt is in flight: the drop waits for that attempt, and no retry goes out after."""
    answer_tiktok()
    policy = HttpPolicy(max_attempts=5, backoff_initial=0.4, backoff_jitter=0.0, rate_limit_qps=None)
    client = TikTokClient(BASE, "key", "secret", "token", policy=policy)
    options = {"app_key": "key", "app_secret": "secret", "access_token": "token", "shop_id": SHOP_ID, "base_url": BASE}
    seller = TikTokSellerConnector(options, shop=ShopContext(name="s", base_dir=Path(".")), client=client)
    in_flight, go_on, sent = threading.Event(), threading.Event(), []

    def failing(request):
        sent.append(time.monotonic())
        in_flight.set()
        go_on.wait(5)
        return 503, {}, "unavailable"

    responses.add_callback(responses.POST, ORDERS_URL, callback=failing)
    shared = shared_reads(seller)
    shared.read_ahead("read_orders", statuses=AWAITING)
    shared.start_reads_ahead()
    assert in_flight.wait(5)
    threading.Timer(0.1, go_on.set).start()
    dropped_at = time.monotonic()
    shared.forget()  # what every write through the wrapper does first, and close()
    assert time.monotonic() - dropped_at < 2.0 and [t for t in sent if t > dropped_at] == []
    shared.close()
