"""Tracking reads only what moved: the package cache answers for unmoved, settled packages, and
so do the tracking read's own rows (a shop that runs tracking alone, shipments of any age).

The pure half (``cached_state``) with plain data; the connector over `responses`, with a small
fake of Search Package (honouring the documented ``update_time_ge``), Get Package Detail and Get
Order Detail, and the real state store on a temporary SQLite file as the cache.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from open_api_fakes import ok, query
from sqlalchemy import select

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.fulfillment.models import PackageStatus, PackageSummary
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.connectors.tiktok.shipping_reads import TrackedCheck, cached_state, tracked_states
from erpsync.core.connector import ShopContext
from erpsync.core.http import HttpPolicy
from erpsync.core.models import HandoverMode, PackageSignal
from erpsync.core.ports import CachedPackage, PackageCursor
from erpsync.core.shipping import ShippingStatus
from erpsync.core.store import Store
from erpsync.core.store.schema import tracked_packages

BASE = "https://open-api.test"
SHOP_ID = "7495000000000000001"
NOW = 1_700_000_000
T = datetime.fromtimestamp(NOW, tz=UTC)
SINCE = T - timedelta(days=14)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the tracking read's cursor keeps rows of any age
SEARCH = f"{BASE}/fulfillment/202309/packages/search"
DETAIL = f"{BASE}/fulfillment/202309/packages/"
ORDERS = f"{BASE}/order/202507/orders"


def row(
    pid: str, status: str, number: str | None, stamp: datetime, warehouse: str = "WH1", *, orders_shipped: bool = False
) -> CachedPackage:
    signal = PackageSignal(pid, warehouse, HandoverMode.DROP_OFF, number, T - timedelta(days=3), status)
    return CachedPackage(signal=signal, update_time=stamp, orders_shipped=orders_shipped)


def summary(pid: str, status: PackageStatus, number: str | None, stamp: datetime) -> PackageSummary:
    return PackageSummary(pid, status, ("O" + pid,), number, "7208", stamp - timedelta(days=3), stamp)


# -- pure ---------------------------------------------------------------------------------------

STAMP = T - timedelta(hours=2)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("FULFILLING", ShippingStatus.SHIPPED), ("COMPLETED", ShippingStatus.SHIPPED), ("CANCELLED", "cancelled")],
)
def test_an_unmoved_settled_package_is_answered_from_its_row(status, expected):
    state = cached_state(row("P1", status, "SF1", STAMP), None)
    assert state is not None and state.status == expected
    assert (state.tracking_number, state.warehouse_id, state.shipped_at) == ("SF1", "WH1", None)


def test_a_package_named_by_the_search_with_the_stamp_cached_is_unmoved():
    state = cached_state(row("P1", "FULFILLING", "SF1", STAMP), summary("P1", PackageStatus.FULFILLING, "SF1", STAMP))
    assert state is not None and state.order_ids == ("OP1",) and state.shipping_provider_id == "7208"


@pytest.mark.parametrize(
    "moved",
    [
        summary("P1", PackageStatus.FULFILLING, "SF9", STAMP + timedelta(seconds=1)),  # another stamp
        summary("P1", PackageStatus.FULFILLING, "SF9", STAMP),  # another number under the same stamp
        summary("P1", PackageStatus.CANCELLED, "SF1", STAMP),  # another status under the same stamp
        PackageSummary("P1", PackageStatus.FULFILLING, (), "SF1", None, None, None),  # undated
    ],
    ids=["stamp", "number", "status", "undated"],
)
def test_a_moved_package_needs_its_detail(moved):
    assert cached_state(row("P1", "FULFILLING", "SF1", STAMP), moved) is None


def test_a_processing_package_its_orders_said_shipped_is_answered_until_the_search_names_it_moved():
    cached = row("P1", "PROCESSING", "SF1", STAMP, orders_shipped=True)
    state = cached_state(cached, None)
    assert state is not None and (state.status, state.tracking_number, state.detail) == (
        ShippingStatus.SHIPPED,
        "SF1",
        "",
    )
    assert cached_state(cached, summary("P1", PackageStatus.PROCESSING, "SF1", STAMP)) is not None
    collected = summary("P1", PackageStatus.FULFILLING, "SF1", STAMP + timedelta(hours=20))
    assert cached_state(cached, collected) is None
    cancelled = summary("P1", PackageStatus.CANCELLED, "SF1", STAMP + timedelta(hours=1))
    assert cached_state(cached, cancelled) is None


@pytest.mark.parametrize(
    "cached",
    [
        row("P1", "PROCESSING", "SF1", STAMP),  # shipped or not is its orders' status, not known here
        row("P1", "PROCESSING", None, STAMP, orders_shipped=True),  # shipped without a number
        row("P1", "UNKNOWN", "SF1", STAMP, orders_shipped=True),  # only PROCESSING is told by its orders
        row("P1", "UNKNOWN", "SF1", STAMP),
        row("P1", "FULFILLING", None, STAMP),  # shipped without a number: read what the platform says
        row("P1", "FULFILLING", "SF1", datetime.min.replace(tzinfo=UTC)),  # read incompletely
    ],
    ids=["processing", "processing-no-number", "unknown-orders-shipped", "unknown", "no-number", "incomplete"],
)
def test_a_row_that_does_not_settle_the_state_needs_the_detail(cached):
    assert cached_state(cached, None) is None


@pytest.mark.parametrize(("shipping_type", "expected"), [("TIKTOK", True), ("SELLER", False), (None, None)])
def test_a_state_answered_from_a_row_keeps_who_ships_the_package(shipping_type, expected):
    cached = dataclasses.replace(row("P1", "FULFILLING", "SF1", STAMP), shipping_type=shipping_type)
    state = cached_state(cached, None)
    assert state is not None and state.platform_ships is expected


# -- the connector over responses -----------------------------------------------------------------


class FakeShop:
    """Packages (with their one order each) served as the reference documents them."""

    def __init__(self) -> None:
        self.packages: dict[str, dict[str, Any]] = {
            "P1": {"status": "FULFILLING", "number": "SF1", "order": "IN_TRANSIT", "update_time": NOW - 7200},
            "P2": {"status": "PROCESSING", "number": "SF2", "order": "AWAITING_COLLECTION", "update_time": NOW - 7200},
            "P3": {"status": "COMPLETED", "number": "SF3", "order": "DELIVERED", "update_time": NOW - 7200},
        }
        self.searches: list[dict[str, Any]] = []
        self.details: list[str] = []
        self.order_calls = 0
        self.updates: list[str] = []

    def search(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        body = json.loads(request.body or b"{}")
        self.searches.append(body)
        found = [
            {"id": pid, "orders": [{"id": "O" + pid}], "status": p["status"], "tracking_number": p["number"],
             "create_time": NOW - 3 * 86400, "update_time": p["update_time"]}
            for pid, p in self.packages.items()
            if p["update_time"] >= body.get("update_time_ge", 0)
        ]  # fmt: skip
        return 200, {}, json.dumps(ok({"packages": found, "next_page_token": "", "total_count": len(found)}))

    def detail(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        path = (request.path_url or "").split("?")[0]
        if path.endswith("/shipping_info/update"):
            pid = path.split("/")[-3]
            self.updates.append(pid)
            # the stamp is left as it was: a search that does not show the write yet (lag)
            self.packages[pid]["number"] = json.loads(request.body or b"{}")["tracking_number"]
            return 200, {}, json.dumps(ok({}))
        pid = path.rstrip("/").split("/")[-1]
        self.details.append(pid)
        p = self.packages[pid]
        data = {"package_id": pid, "package_status": p["status"], "tracking_number": p["number"],
                "shipping_provider_id": "7208", "orders": [{"id": "O" + pid}], "handover_method": "DROP_OFF",
                "create_time": NOW - 3 * 86400, "update_time": p["update_time"]}  # fmt: skip
        for name in ("shipping_type", "delivery_option_id"):
            if name in p:
                data[name] = p[name]
        return 200, {}, json.dumps(ok(data))

    def orders(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        self.order_calls += 1
        found = [
            {"id": o, "status": self.packages[o[1:]]["order"], "warehouse_id": "WH1", "create_time": NOW - 3 * 86400,
             "update_time": NOW - 7200, "packages": [{"id": o[1:]}]}
            for o in query(request)["ids"].split(",")
        ]  # fmt: skip
        return 200, {}, json.dumps(ok({"orders": found}))

    def serve(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, SEARCH, callback=self.search)
        mock.add_callback(responses.POST, re.compile(re.escape(DETAIL) + r".+/update"), callback=self.detail)
        mock.add_callback(responses.GET, re.compile(re.escape(DETAIL) + r".+"), callback=self.detail)
        mock.add_callback(responses.GET, ORDERS, callback=self.orders)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def remember(store: Store, fake: FakeShop, scope: str = SHOP_ID) -> None:
    """The cache as a pickup read leaves it: every package as it is now, complete up to ``T``."""
    cache = store.packages.for_shop("demo")
    stamp = {pid: datetime.fromtimestamp(p["update_time"], tz=UTC) for pid, p in fake.packages.items()}
    cache.put([row(pid, p["status"], p["number"], stamp[pid]) for pid, p in fake.packages.items()])
    cache.advance(PackageCursor(scope, SINCE, T), now=T)


def seller(store: Store) -> TikTokSellerConnector:
    client = TikTokClient(BASE, "key", "app-secret-xyz", "token-xyz", policy=HttpPolicy(max_attempts=1),
                          clock=lambda: NOW)  # fmt: skip
    client._ciphers[SHOP_ID] = "ROW_cipher"  # the cipher lookup is the client's own, tested elsewhere
    shop = ShopContext(name="demo", base_dir=Path("."), packages=store.packages.for_shop("demo"))
    options = {"app_key": "key", "app_secret": "s", "access_token": "t", "shop_id": SHOP_ID, "base_url": BASE}
    return TikTokSellerConnector({**options, "concurrency": 2}, shop=shop, client=client)


def states(connector: TikTokSellerConnector, fake: FakeShop, ids: list[str]) -> dict[str, Any]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        found = connector.read_shipping_states(ids)
    assert not found.errors, found.errors
    return {s.id: (s.status, s.tracking_number) for s in found.items}


def test_unmoved_shipped_packages_cost_one_search_and_no_detail(store: Store) -> None:
    fake = FakeShop()
    remember(store, fake)
    found = states(seller(store), fake, ["P1", "P2", "P3"])
    assert found == {
        "P1": (ShippingStatus.SHIPPED, "SF1"),
        "P2": (ShippingStatus.SHIPPED, "SF2"),  # PROCESSING: its orders tell, so it was read
        "P3": (ShippingStatus.SHIPPED, "SF3"),
    }
    assert fake.details == ["P2"] and fake.order_calls == 1
    assert fake.searches == [{"create_time_ge": int(SINCE.timestamp()), "update_time_ge": NOW - 600}]


def test_a_moved_package_is_read_and_its_new_state_used(store: Store) -> None:
    fake = FakeShop()
    remember(store, fake)
    fake.packages["P1"].update(number="SF9", update_time=NOW + 60)  # corrected in Seller Center since
    found = states(seller(store), fake, ["P1", "P3"])
    assert fake.details == ["P1"]
    assert found == {"P1": (ShippingStatus.SHIPPED, "SF9"), "P3": (ShippingStatus.SHIPPED, "SF3")}


def test_a_package_written_in_the_run_is_read_again_not_taken_from_the_cache(store: Store) -> None:
    fake = FakeShop()
    remember(store, fake)
    connector = seller(store)
    states(connector, fake, ["P1"])
    assert fake.details == []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        connector.update_tracking("P1", "SF7", "7208", shipped_at=None)
    assert states(connector, fake, ["P1"]) == {"P1": (ShippingStatus.SHIPPED, "SF7")}
    assert fake.updates == ["P1"] and fake.details == ["P1"]
    assert len(fake.searches) == 1  # the re-read of what was written searches nothing


@pytest.mark.parametrize("cursor", ["none", "other-scope"])
def test_without_a_cursor_of_this_shop_every_detail_is_read_and_nothing_searched(store: Store, cursor: str) -> None:
    fake = FakeShop()
    if cursor == "other-scope":
        remember(store, fake, scope="7495000000000009999")
    states(seller(store), fake, ["P1", "P3"])
    assert sorted(fake.details) == ["P1", "P3"] and fake.searches == []


def test_no_search_when_no_wanted_package_could_be_settled_by_the_cache(store: Store) -> None:
    fake = FakeShop()
    remember(store, fake)
    states(seller(store), fake, ["P2"])
    assert fake.details == ["P2"] and fake.searches == []


# -- the tracking read's own rows: a shop that runs tracking alone, shipments of any age -----------


def tracking_seller(store: Store, at: datetime, scope: str = SHOP_ID) -> TikTokSellerConnector:
    """A seller connector of one shop run starting at ``at``: no pickup cache, the tracking read's
    rows. Its clock moves a second each time it is asked, as a run's does."""
    client = TikTokClient(BASE, "key", "app-secret-xyz", "token-xyz", policy=HttpPolicy(max_attempts=1),
                          clock=lambda: NOW)  # fmt: skip
    client._ciphers[scope] = "ROW_cipher"
    ticks = iter(range(10_000))

    def clock() -> datetime:
        return at + timedelta(seconds=next(ticks))

    shop = ShopContext(name="demo", base_dir=Path("."), tracked=store.tracked.for_shop("demo"), clock=clock)
    options = {"app_key": "key", "app_secret": "s", "access_token": "t", "shop_id": scope, "base_url": BASE}
    return TikTokSellerConnector({**options, "concurrency": 2}, shop=shop, client=client)


def test_tracking_alone_reads_each_settled_package_once_then_searches(store: Store) -> None:
    fake = FakeShop()
    fake.packages["P4"] = {"status": "PROCESSING", "number": "SF4", "order": "AWAITING_SHIPMENT", "update_time": NOW}
    first = states(tracking_seller(store, T), fake, ["P1", "P2", "P3", "P4"])
    assert sorted(fake.details) == ["P1", "P2", "P3", "P4"] and fake.searches == []  # nothing kept yet
    assert first["P4"] == (ShippingStatus.AWAITING_SHIPMENT, "SF4")
    kept = store.tracked.for_shop("demo")
    # P2 is PROCESSING with its order AWAITING_COLLECTION: shipped, waiting for the carrier, kept;
    # P4 is PROCESSING with its order AWAITING_SHIPMENT: not shipped, not kept
    assert {p.signal.id: p.orders_shipped for p in kept.packages(EPOCH)} == {"P1": False, "P2": True, "P3": False}
    assert kept.cursor() == PackageCursor(SHOP_ID, EPOCH, T)  # dated before the reads
    fake.details.clear()
    later = T + timedelta(days=30)  # long past any pickup lookback
    assert states(tracking_seller(store, later), fake, ["P1", "P2", "P3", "P4"]) == first
    assert fake.details == ["P4"] and fake.searches == [{"update_time_ge": NOW - 600}]
    assert kept.cursor() == PackageCursor(SHOP_ID, EPOCH, later)  # when that search started (the first tick)


def test_the_tracking_read_reads_only_the_rows_it_needs_and_marks_the_wanted_ones(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shop's rows grow with its ERP's shipments: a run reads those of the packages it wants
    and of those the search names (to mark the moved), never all of them; and it marks the wanted
    ones, so ``erpsync prune`` can drop the rows of shipments the ERP no longer lists."""
    fake = FakeShop()
    states(tracking_seller(store, T), fake, ["P1", "P3"])
    fake.packages["P1"].update(number="SF9", update_time=NOW + 3600)  # corrected in Seller Center

    def every_row(self: object, shop: str, created_since: datetime) -> list[CachedPackage]:
        raise AssertionError("the tracking read loaded every row of the shop")

    monkeypatch.setattr(type(store.tracked), "packages", every_row)
    later = T + timedelta(days=2)
    assert states(tracking_seller(store, later), fake, ["P3"]) == {"P3": (ShippingStatus.SHIPPED, "SF3")}
    monkeypatch.undo()
    kept = {p.signal.id: p.update_time for p in store.tracked.for_shop("demo").packages(EPOCH)}
    assert kept["P1"] < datetime(1971, 1, 1, tzinfo=UTC)  # named moved by the search though unwanted: marked
    t = tracked_packages.c
    with store.engine.connect() as conn:
        marks = dict(conn.execute(select(t.package_id, t.wanted_at).where(t.shop == "demo")).all())
    assert marks["P3"] == later and marks["P1"] < T + timedelta(minutes=1)  # P1 not wanted since the first run


def test_a_package_waiting_for_the_carrier_is_read_again_once_collected(store: Store) -> None:
    fake = FakeShop()
    states(tracking_seller(store, T), fake, ["P2"])
    fake.details.clear()
    assert states(tracking_seller(store, T + timedelta(hours=1)), fake, ["P2"]) == {
        "P2": (ShippingStatus.SHIPPED, "SF2")
    }
    assert fake.details == []  # answered by its row: its orders said it shipped
    fake.packages["P2"].update(status="FULFILLING", order="IN_TRANSIT", update_time=NOW + 7200)  # collected
    assert states(tracking_seller(store, T + timedelta(hours=3)), fake, ["P2"]) == {
        "P2": (ShippingStatus.SHIPPED, "SF2")
    }
    assert fake.details == ["P2"]
    (kept,) = store.tracked.for_shop("demo").packages(EPOCH)
    assert (kept.signal.status, kept.orders_shipped) == ("FULFILLING", False)


def test_a_record_error_elsewhere_still_keeps_a_package_its_orders_said_shipped(store: Store) -> None:
    """One order read as shipped says shipped; a package that could not be read is read next run."""
    fake = FakeShop()
    fake.packages["P5"] = {
        "status": 5,
        "number": "SF5",
        "order": "AWAITING_COLLECTION",
        "update_time": NOW,
    }  # unreadable
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        found = tracking_seller(store, T).read_shipping_states(["P1", "P2", "P5"])
    assert [e.record for e in found.errors] == ["package P5"]
    kept = {p.signal.id: p.orders_shipped for p in store.tracked.for_shop("demo").packages(EPOCH)}
    assert kept == {"P1": False, "P2": True}


def test_a_package_moved_while_unwanted_is_read_again_when_next_wanted(store: Store) -> None:
    fake = FakeShop()
    states(tracking_seller(store, T), fake, ["P1", "P3"])
    fake.packages["P1"].update(number="SF9", update_time=NOW + 3600)  # corrected in Seller Center
    states(tracking_seller(store, T + timedelta(hours=2)), fake, ["P3"])  # the search names P1: marked
    fake.details.clear()
    # this search starts past P1's change (less the overlap): only the mark says P1 moved
    found = states(tracking_seller(store, T + timedelta(hours=3)), fake, ["P1", "P3"])
    assert found == {"P1": (ShippingStatus.SHIPPED, "SF9"), "P3": (ShippingStatus.SHIPPED, "SF3")}
    assert fake.details == ["P1"] and fake.searches[-1] == {"update_time_ge": NOW + 7200 - 600}
    fake.details.clear()
    states(tracking_seller(store, T + timedelta(hours=4)), fake, ["P1", "P3"])
    assert fake.details == []  # read once more, then kept again


def test_a_search_page_with_an_unreadable_package_drops_the_rows_and_starts_again(store: Store) -> None:
    fake = FakeShop()
    states(tracking_seller(store, T), fake, ["P1", "P3"])
    fake.packages[""] = {"status": "FULFILLING", "number": None, "order": "UNPAID", "update_time": NOW}  # no id
    fake.details.clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        found = tracking_seller(store, T + timedelta(hours=1)).read_shipping_states(["P1", "P3"])
    assert {s.id for s in found.items} == {"P1", "P3"} and sorted(fake.details) == ["P1", "P3"]
    # read again after that search, so kept again; the unreadable record is behind the new cursor
    assert store.tracked.for_shop("demo").cursor() == PackageCursor(SHOP_ID, EPOCH, T + timedelta(hours=1))
    fake.details.clear()
    assert states(tracking_seller(store, T + timedelta(hours=2)), fake, ["P1", "P3"])["P1"][1] == "SF1"
    assert fake.details == [] and fake.searches[-1] == {"update_time_ge": NOW + 3600 - 600}


def test_the_cursor_stays_while_no_wanted_package_has_a_row(store: Store) -> None:
    fake = FakeShop()
    states(tracking_seller(store, T), fake, ["P1", "P3"])
    fake.packages["P1"].update(number="SF9", update_time=NOW + 3600)
    states(tracking_seller(store, T + timedelta(hours=2)), fake, ["P2"])  # no row wanted: no search
    assert fake.searches == [] and store.tracked.for_shop("demo").cursor() == PackageCursor(SHOP_ID, EPOCH, T)
    fake.details.clear()
    assert states(tracking_seller(store, T + timedelta(hours=3)), fake, ["P1"]) == {
        "P1": (ShippingStatus.SHIPPED, "SF9")
    }
    assert fake.details == ["P1"]


def test_with_no_row_kept_the_cursor_moves_on_without_a_search(store: Store) -> None:
    fake = FakeShop()
    fake.packages["P2"]["order"] = "AWAITING_SHIPMENT"
    states(tracking_seller(store, T), fake, ["P2"])  # PROCESSING and not shipped: nothing kept
    states(tracking_seller(store, T + timedelta(hours=5)), fake, ["P2"])
    assert fake.searches == [] and store.tracked.for_shop("demo").cursor() == PackageCursor(
        SHOP_ID, EPOCH, T + timedelta(hours=5)
    )


def test_a_package_written_in_the_run_is_not_answered_from_the_tracking_rows(store: Store) -> None:
    fake = FakeShop()
    states(tracking_seller(store, T), fake, ["P1"])
    connector = tracking_seller(store, T + timedelta(hours=1))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        connector.update_tracking("P1", "SF7", "7208", shipped_at=None)  # the stamp does not move (FakeShop)
    fake.details.clear()
    assert states(connector, fake, ["P1"]) == {"P1": (ShippingStatus.SHIPPED, "SF7")} and fake.details == ["P1"]


def test_a_write_whose_re_read_never_came_leaves_a_row_that_answers_nothing(store: Store) -> None:
    fake = FakeShop()
    states(tracking_seller(store, T), fake, ["P1"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        tracking_seller(store, T + timedelta(hours=1)).update_tracking("P1", "SF7", "7208", shipped_at=None)
    fake.details.clear()  # that run stopped here: the next run must not trust the row from before the write
    assert states(tracking_seller(store, T + timedelta(hours=2)), fake, ["P1"]) == {
        "P1": (ShippingStatus.SHIPPED, "SF7")
    }
    assert fake.details == ["P1"]


def test_a_shipped_package_whose_orders_named_no_warehouse_is_not_kept(store: Store) -> None:
    fake = FakeShop()
    serve_orders = fake.orders

    def no_orders(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        serve_orders(request)
        return 200, {}, json.dumps(ok({"orders": []}))  # unknown ids are left out, with no error

    fake.orders = no_orders  # type: ignore[method-assign]
    states(tracking_seller(store, T), fake, ["P1"])
    assert store.tracked.for_shop("demo").packages(EPOCH) == []


def test_rows_of_another_seller_account_are_dropped_not_answered(store: Store) -> None:
    fake = FakeShop()
    states(tracking_seller(store, T, scope="7495000000000009999"), fake, ["P1", "P3"])
    fake.details.clear()
    states(tracking_seller(store, T + timedelta(hours=1)), fake, ["P1", "P3"])
    assert sorted(fake.details) == ["P1", "P3"] and fake.searches == []
    assert store.tracked.for_shop("demo").cursor() == PackageCursor(SHOP_ID, EPOCH, T + timedelta(hours=1))


def test_rows_kept_by_a_run_that_stopped_before_its_cursor_are_not_trusted(store: Store) -> None:
    fake = FakeShop()
    kept = store.tracked.for_shop("demo")
    kept.put([row("P3", "COMPLETED", "SF-OLD", datetime.fromtimestamp(NOW - 7200, tz=UTC))])  # no cursor stored
    states(tracking_seller(store, T), fake, ["P1"])
    found = states(tracking_seller(store, T + timedelta(hours=1)), fake, ["P3"])
    assert found == {"P3": (ShippingStatus.SHIPPED, "SF3")} and fake.details == ["P1", "P3"]


def test_no_wanted_package_looks_at_nothing() -> None:
    """The re-read after a run's writes wants only what it wrote: the rows are not even loaded."""

    class Untouchable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the rows were asked for: {name}")

    check = tracked_states(Untouchable(), Untouchable(), scope=SHOP_ID, package_ids=[], now=T)  # type: ignore[arg-type]
    assert check == TrackedCheck({}, None)


def test_who_ships_a_package_is_kept_by_both_caches_and_answered_from_them(store: Store) -> None:
    """A state answered from the tracking read's rows or from the pickup read's cache says, as its
    detail did, whether TikTok ships the package: the plan never self-ships such a package."""
    fake = FakeShop()
    fake.packages["P1"]["shipping_type"] = "TIKTOK"
    fake.packages["P3"]["shipping_type"] = "SELLER"

    def who(connector: TikTokSellerConnector) -> dict[str, bool | None]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            fake.serve(mock)
            found = connector.read_shipping_states(["P1", "P2", "P3"])
        return {s.id: s.platform_ships for s in found.items}

    expected = {"P1": True, "P2": None, "P3": False}
    assert who(tracking_seller(store, T)) == expected  # read from the details
    assert {p.signal.id: p.shipping_type for p in store.tracked.for_shop("demo").packages(EPOCH)} == {
        "P1": "TIKTOK",
        "P2": None,
        "P3": "SELLER",
    }
    fake.details.clear()
    assert who(tracking_seller(store, T + timedelta(days=30))) == expected  # from the rows
    assert fake.details == []
    # the pickup read's cache, as a pickup read that read the details leaves it
    cache = store.packages.for_shop("demo")
    stamp = {pid: datetime.fromtimestamp(p["update_time"], tz=UTC) for pid, p in fake.packages.items()}
    cache.put(
        [
            dataclasses.replace(row(pid, p["status"], p["number"], stamp[pid]), shipping_type=p.get("shipping_type"))
            for pid, p in fake.packages.items()
        ]
    )
    cache.advance(PackageCursor(SHOP_ID, SINCE, T), now=T)
    fake.details.clear()
    found = who(seller(store))
    assert (found["P1"], found["P3"]) == (True, False) and sorted(fake.details) == ["P2"]  # P2: PROCESSING, read


def test_the_delivery_option_is_kept_by_the_tracking_rows_and_answered_from_them(store: Store) -> None:
    """A carrier name two delivery options share is settled by the package's own option: a
    package answered from its row must still give it, or a correction would need its id in the
    carriers table on every run after the first."""
    fake = FakeShop()
    fake.packages["P1"]["delivery_option_id"] = "OPT-ECO"

    def options(connector: TikTokSellerConnector) -> dict[str, str | None]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            fake.serve(mock)
            found = connector.read_shipping_states(["P1", "P3"])
        return {s.id: s.delivery_option_id for s in found.items}

    assert options(tracking_seller(store, T)) == {"P1": "OPT-ECO", "P3": None}  # read from the details
    fake.details.clear()
    assert options(tracking_seller(store, T + timedelta(days=30))) == {"P1": "OPT-ECO", "P3": None}  # from the rows
    assert fake.details == []


def test_a_package_answered_from_the_pickup_cache_keeps_its_delivery_option(store: Store) -> None:
    """A shop that runs pickup too: a shipped package of the pickup lookback is answered from the
    pickup read's cache, which the tracking read asks first; the option its detail gave must come
    with it, or a carrier name two options share is an error every run until the window closes."""
    fake = FakeShop()
    fake.packages["P1"]["delivery_option_id"] = "OPT-ECO"
    cache = store.packages.for_shop("demo")  # as a pickup read that read P1's detail leaves it
    stamp = datetime.fromtimestamp(fake.packages["P1"]["update_time"], tz=UTC)
    cache.put([dataclasses.replace(row("P1", "FULFILLING", "SF1", stamp), delivery_option_id="OPT-ECO")])
    cache.advance(PackageCursor(SHOP_ID, SINCE, T), now=T)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.serve(mock)
        found = seller(store).read_shipping_states(["P1"])
    assert fake.details == []  # answered from the pickup read's cache
    assert [(s.id, s.delivery_option_id) for s in found.items] == [("P1", "OPT-ECO")]
