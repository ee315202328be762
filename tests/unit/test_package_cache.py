"""Reading only what changed: the TikTok connector's package cache and cursor, over `responses`.

The Open API is faked by a small search that honours the documented ``update_time_ge`` filter
(Search Package); the cache is the real state store on a temporary SQLite file.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from open_api_fakes import fail, ok, query

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.pickup_reads import OVERLAP
from erpsync.connectors.tiktok.seller import TikTokSellerConnector, shared_session
from erpsync.core.connector import ShopContext
from erpsync.core.errors import ConfigError, ConnectorError, PermanentError
from erpsync.core.http import HttpPolicy
from erpsync.core.models import HandoverMode, PickupSignals
from erpsync.core.ports import CachedPackage
from erpsync.core.shop_waits import release_when_waiting, waiting
from erpsync.core.store import Store
from erpsync.core.store.packages import ShopPackages

BASE = "https://open-api.test"
SHOP_ID = "7495000000000000001"
NOW = 1_700_000_000
SINCE = datetime.fromtimestamp(NOW - 14 * 86400, tz=UTC)
SEARCH = f"{BASE}/fulfillment/202309/packages/search"
DETAIL = f"{BASE}/fulfillment/202309/packages/"
ORDERS = f"{BASE}/order/202507/orders"


class FakeShop:
    """Packages and orders of one shop, served the way the reference documents them."""

    def __init__(self, n: int = 3) -> None:
        self.packages: dict[str, dict[str, Any]] = {}
        for i in range(1, n + 1):
            self.add(f"P{i}", warehouse=f"W{1 + i % 2}", created=NOW - 3600 * (n + 1 - i))
        self.bodies: list[dict[str, Any]] = []
        self.details: list[str] = []
        self.order_calls = 0
        self.slot_calls = 0
        self.broken: set[str] = set()  # detail answers a malformed record
        self.slots_fail = False  # slots answer a credentials error (ends the read)
        self.slots_missing: set[str] = set()  # slots answer "not this shop's package" (a record error)
        self.now = NOW  # the platform's clock, which erpsync's follows (ShopContext.clock)
        self.page_orders = True  # the search page names each package's orders
        self.detail_created: dict[str, int] = {}  # a creation time the detail gives unlike the search's
        self.slot_ids: list[str] = []

    def clock(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)

    def add(self, pid: str, *, warehouse: str, created: int) -> None:
        self.packages[pid] = {"id": pid, "warehouse": warehouse, "create_time": created, "update_time": created,
                              "handover_method": "DROP_OFF"}  # fmt: skip

    def change(self, pid: str, **fields: Any) -> None:
        """An hour passes, then a package changes: the platform stamps it with its clock."""
        self.now += 3600
        self.packages[pid].update(fields, update_time=self.now)

    def search(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        body = json.loads(request.body or b"{}")
        self.bodies.append(body)
        found = [
            p
            for p in self.packages.values()
            if p["create_time"] >= body.get("create_time_ge", 0) and p["update_time"] >= body.get("update_time_ge", 0)
        ]
        summaries = [
            {"id": p["id"], "orders": [{"id": "O" + p["id"]}] if self.page_orders else [], "status": "PROCESSING",
             "create_time": p["create_time"], "update_time": p["update_time"]}
            for p in sorted(found, key=lambda p: p["create_time"])
        ]  # fmt: skip
        data = {"packages": summaries, "next_page_token": "", "total_count": len(summaries)}
        return 200, {}, json.dumps(ok(data))

    def detail(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        path = (request.path_url or "").split("?")[0]
        pid = path.rstrip("/").split("/")[-1]
        if path.endswith("/handover_time_slots"):
            self.slot_calls += 1
            if self.slots_fail:
                return 200, {}, json.dumps(fail(105001, "bad credentials"))
            pid = path.split("/")[-2]
            self.slot_ids.append(pid)
            if pid in self.slots_missing:
                return 404, {}, json.dumps(fail(21011028, "The package does not belong to the current shop"))
            return 200, {}, json.dumps(ok({"can_pickup": True, "can_drop_off": True, "pickup_slots": []}))
        self.details.append(pid)
        p = self.packages[pid]
        created = self.detail_created.get(pid, p["create_time"])
        if pid in self.broken:
            return 200, {}, json.dumps(ok({"package_id": pid}))  # no package_status: a malformed record
        data = {"package_id": pid, "package_status": "PROCESSING", "handover_method": p["handover_method"],
                "tracking_number": "JT" + pid, "orders": [{"id": "O" + pid}],
                "create_time": created, "update_time": p["update_time"]}  # fmt: skip
        if "delivery_option_id" in p:
            data["delivery_option_id"] = p["delivery_option_id"]
        return 200, {}, json.dumps(ok(data))

    def orders(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        self.order_calls += 1
        ids = query(request)["ids"].split(",")
        by_order = {"O" + p["id"]: p for p in self.packages.values()}
        found = [{"id": o, "status": "AWAITING_SHIPMENT", "warehouse_id": by_order[o]["warehouse"],
                  "create_time": by_order[o]["create_time"], "update_time": by_order[o]["create_time"],
                  "packages": [{"id": by_order[o]["id"]}]} for o in ids if o in by_order]  # fmt: skip
        return 200, {}, json.dumps(ok({"orders": found}))

    def serve(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, SEARCH, callback=self.search)
        mock.add_callback(responses.GET, re.compile(re.escape(DETAIL) + r".+"), callback=self.detail)
        mock.add_callback(responses.GET, ORDERS, callback=self.orders)

    def reset_counts(self) -> None:
        self.bodies.clear()
        self.details.clear()
        self.order_calls = self.slot_calls = 0
        self.slot_ids.clear()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def seller(
    store: Store | None, fake: FakeShop | None = None, concurrency: int = 4, shop_id: str = SHOP_ID
) -> TikTokSellerConnector:
    client = TikTokClient(BASE, "key", "app-secret-xyz", "token-xyz", policy=HttpPolicy(max_attempts=1),
                          clock=lambda: NOW)  # fmt: skip
    client._ciphers[shop_id] = "ROW_cipher"  # the cipher lookup is the client's own, tested elsewhere
    cache = store.packages.for_shop("demo") if store else None
    shop = ShopContext(name="demo", base_dir=Path("."), packages=cache, clock=fake.clock if fake else None)
    options = {"app_key": "key", "app_secret": "s", "access_token": "t", "shop_id": shop_id, "base_url": BASE}
    return TikTokSellerConnector({**options, "concurrency": concurrency}, shop=shop, client=client)


def read(store: Store | None, fake: FakeShop, **kwargs: Any) -> list[PickupSignals]:
    fake.reset_counts()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        found = seller(store, fake, **kwargs).read_pickup_signals(["W1", "W2"], since=SINCE)
    assert not found.errors, found.errors
    return list(found.items)


def methods(signals: list[PickupSignals]) -> dict[str, str | None]:
    return {p.id: p.handover_method for s in signals for p in s.packages}


def test_the_first_search_page_is_asked_for_while_the_cache_is_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search needs only the cursor; the cached packages are needed once its first page is in."""
    fake = FakeShop()
    first = read(store, fake)  # a cursor and cached packages: the next read reads them
    searched = threading.Event()
    search = fake.search

    def noted(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        searched.set()
        return search(request)

    fake.search = noted  # type: ignore[method-assign]
    cached = ShopPackages.packages
    asked_first: list[bool] = []

    def reading(self: ShopPackages, created_since: datetime) -> list[CachedPackage]:
        asked_first.append(searched.wait(2.0))
        return cached(self, created_since)

    monkeypatch.setattr(ShopPackages, "packages", reading)
    assert read(store, fake) == first
    assert asked_first == [True]


def test_the_read_says_it_waits_once_its_calls_are_sent(store: Store) -> None:
    """A later aspect's reads are held until then (``core/shop_waits.py``): once, after the search
    and the orders that name each warehouse's newest package, as the slot calls go out."""
    fake = FakeShop()
    released: list[tuple[int, int]] = []
    done = release_when_waiting(lambda: released.append((len(fake.bodies), fake.order_calls)))
    try:
        read(store, fake)
    finally:
        done()
    assert released == [(1, 1)]  # the one search page and its orders call were answered
    waiting()  # outside a shop's run: nothing to release, nothing happens
    assert len(released) == 1


def test_a_read_whose_orders_call_failed_says_it_does_not_wait(store: Store) -> None:
    """It ends with that error, and the shop with it: the reads held for the aspects after it, which
    will not run, must not go out (``core/shop_waits.py``)."""
    fake = FakeShop()
    fake.orders = lambda request: (503, {}, json.dumps(fail(36009003, "internal error")))  # type: ignore[method-assign]
    released: list[bool] = []
    done = release_when_waiting(lambda: released.append(True))
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            fake.serve(mock)
            with pytest.raises(ConnectorError):
                seller(store, fake).read_pickup_signals(["W1", "W2"], since=SINCE)
    finally:
        done()
    assert released == []


def test_a_second_read_asks_only_for_changes_and_reads_no_unchanged_detail(store: Store) -> None:
    fake = FakeShop()
    first = read(store, fake)
    assert "update_time_ge" not in fake.bodies[0] and sorted(fake.details) == ["P1", "P2", "P3"]
    cursor = store.packages.cursor("demo")
    assert cursor is not None and cursor.update_time == fake.clock()  # when the search started

    fake.now += 60  # P3 was created an hour before the first read: outside the overlap
    second = read(store, fake)
    assert fake.bodies[0] == {
        "create_time_ge": int(SINCE.timestamp()),
        "update_time_ge": NOW - int(OVERLAP.total_seconds()),
    }
    assert fake.details == [] and fake.order_calls == 0
    assert second == first
    assert fake.slot_calls == 2  # live state: once per warehouse with packages, every run


def test_the_cache_keeps_the_delivery_option_the_detail_gave(store: Store) -> None:
    """The tracking read answers a package of the lookback from these rows: they keep the option
    that settles a carrier name two options share, so it needs no detail read of its own."""
    fake = FakeShop()
    fake.packages["P1"]["delivery_option_id"] = "OPT-ECO"
    read(store, fake)
    kept = {p.signal.id: p.delivery_option_id for p in store.packages.for_shop("demo").packages(SINCE)}
    assert kept == {"P1": "OPT-ECO", "P2": None, "P3": None}


def test_a_changed_package_is_read_again(store: Store) -> None:
    fake = FakeShop()
    read(store, fake)
    fake.change("P1", handover_method="PICKUP")
    found = read(store, fake)
    assert fake.details == ["P1"] and fake.order_calls == 1
    assert methods(found) == {"P1": HandoverMode.PICKUP, "P2": HandoverMode.DROP_OFF, "P3": HandoverMode.DROP_OFF}


def test_a_crash_before_the_cursor_moves_searches_the_same_changes_again(store: Store) -> None:
    fake = FakeShop()
    read(store, fake)
    before = store.packages.cursor("demo")
    fake.change("P1", handover_method="PICKUP")
    fake.slots_fail = True  # the run ends after P1 was read and stored, before the cursor moves
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, pytest.raises(PermanentError):
        fake.serve(mock)
        seller(store, fake).read_pickup_signals(["W1", "W2"], since=SINCE)
    assert store.packages.cursor("demo") == before
    fake.slots_fail = False
    found = read(store, fake)
    assert fake.bodies[0]["update_time_ge"] == int(before.update_time.timestamp()) - int(OVERLAP.total_seconds())
    assert methods(found)["P1"] == HandoverMode.PICKUP  # the change is there, never skipped


def test_a_package_that_failed_is_read_again_next_run(store: Store) -> None:
    fake = FakeShop()
    read(store, fake)
    before = store.packages.cursor("demo")
    fake.change("P2", handover_method="PICKUP")
    fake.broken.add("P2")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        failed = seller(store, fake).read_pickup_signals(["W1", "W2"], since=SINCE)
    assert [e.record for e in failed.errors] == ["package P2"]
    assert "P2" not in methods(list(failed.items))  # not the stale cached signal either
    assert store.packages.cursor("demo") == before  # a record error keeps the cursor
    fake.broken.clear()
    found = read(store, fake)
    assert fake.details == ["P2"] and methods(found)["P2"] == HandoverMode.PICKUP


def test_a_longer_lookback_or_another_shop_id_reads_everything_again(store: Store) -> None:
    fake = FakeShop()
    read(store, fake)
    fake.reset_counts()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        seller(store, fake).read_pickup_signals(["W1"], since=SINCE - timedelta(days=1))
    assert "update_time_ge" not in fake.bodies[0] and len(fake.details) == 3
    read(store, fake, shop_id="7495000000000000002")
    assert "update_time_ge" not in fake.bodies[0] and len(fake.details) == 3


def test_without_a_store_everything_is_read_every_run() -> None:
    fake = FakeShop()
    first = read(None, fake)
    second = read(None, fake)
    assert second == first and len(fake.details) == 3 and "update_time_ge" not in fake.bodies[0]


def test_side_by_side_reads_give_what_a_serial_read_gives(store: Store) -> None:
    fake = FakeShop(n=140)  # three orders calls of at most 50 ids
    fake.broken.update({"P7", "P70"})
    results = []
    for concurrency in (1, 8):
        fake.reset_counts()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            fake.serve(mock)
            results.append(seller(None, fake, concurrency=concurrency).read_pickup_signals(["W1", "W2"], since=SINCE))
        assert fake.order_calls == 3
    serial, parallel = results
    assert parallel.items == serial.items and len(serial.items[0].packages) == 69
    assert [e.record for e in parallel.errors] == [e.record for e in serial.errors] == ["package P7", "package P70"]


@pytest.mark.parametrize("value", [0, -1, "8"])
def test_concurrency_is_a_whole_number_from_one(value: object) -> None:
    options = {"app_key": "k", "app_secret": "s", "access_token": "t", "shop_id": SHOP_ID, "concurrency": value}
    with pytest.raises(ConfigError, match="concurrency"):
        TikTokSellerConnector(options, shop=ShopContext(name="demo", base_dir=Path(".")))


def test_the_lookback_is_not_a_seller_option() -> None:
    options = {"app_key": "k", "app_secret": "s", "access_token": "t", "shop_id": SHOP_ID, "pickup_lookback_days": 7}
    with pytest.raises(ConfigError, match=r"aspects\.pickup"):
        TikTokSellerConnector(options, shop=ShopContext(name="demo", base_dir=Path(".")))


def test_a_slot_error_does_not_hold_the_cursor(store: Store) -> None:
    fake = FakeShop()
    read(store, fake)
    fake.change("P1", handover_method="PICKUP")
    fake.slots_missing.add("P3")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        found = seller(store, fake).read_pickup_signals(["W1", "W2"], since=SINCE)
    assert [(e.record, e.field) for e in found.errors] == [("warehouse W2", "handover slots of package P3")]
    assert store.packages.cursor("demo").update_time == fake.clock()  # the packages were complete


def test_the_shared_session_keeps_a_connection_per_worker_and_no_cookie() -> None:
    session = shared_session(24)
    # a pool of workers per path side by side (details, orders, slots), each up to ``concurrency``,
    # and a later aspect's read ahead beside them
    assert session.get_adapter("https://open-api.test")._pool_maxsize == 3 * 24 + 1
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/x", json={}, headers={"Set-Cookie": "tracking=1; Path=/"})
        session.get(f"{BASE}/x", timeout=5)
    assert list(session.cookies) == []


def test_slot_calls_start_from_the_search_pages_one_per_warehouse() -> None:
    fake = FakeShop(n=6)
    signals = read(None, fake)
    assert sorted(fake.slot_ids) == ["P5", "P6"]  # each warehouse's newest, nothing read twice
    assert {s.warehouse_id: s.slots.package_id for s in signals if s.slots} == {"W1": "P6", "W2": "P5"}


def test_a_page_naming_no_orders_still_links_each_package_through_its_detail() -> None:
    fake = FakeShop(n=6)
    fake.page_orders = False
    signals = read(None, fake)
    assert {s.warehouse_id: [p.id for p in s.packages] for s in signals} == {
        "W1": ["P6", "P4", "P2"],
        "W2": ["P5", "P3", "P1"],
    }
    assert fake.order_calls == 1 and sorted(fake.slot_ids) == ["P5", "P6"]


def test_a_newest_package_the_detail_dates_otherwise_gets_its_own_slot_call() -> None:
    fake = FakeShop(n=6)
    fake.detail_created["P2"] = NOW  # the search dated it first of W1's; its detail, last
    signals = read(None, fake)
    slots = {s.warehouse_id: s.slots.package_id for s in signals if s.slots}
    assert slots == {"W1": "P2", "W2": "P5"}
    assert sorted(fake.slot_ids) == ["P2", "P5", "P6"]  # the early call for P6 went unused
