"""A later aspect's reads go on beside the earlier aspects' own, in a real run against the sandbox.

The ship-by aspect reads the orders awaiting shipment in full every run, on an API with a rate
budget of its own, and nothing the pickup aspect does changes them: so the run names that read as
the shop starts (``Aspect.read_ahead``) and starts it once the pickup read has sent its calls and
only waits for them (``core/shop_waits.py``): it is answered while the pickup aspect still reads
its package details, instead of after them, and not before the pickup read's own search, whose
CPU it would slow. When each call was answered comes from an observer of every HTTP call
(``core/http_observers.py``).
"""

from __future__ import annotations

import csv
import threading
import time
from concurrent.futures import wait

import pytest
from pacing import assert_paced
from pickup_world import open_world

import erpsync.connectors.tiktok.pickup_reads as pickup_reads
from erpsync.core.http_observers import CALL_OBSERVERS
from erpsync.core.rate_limit import RATE_LIMITS
from erpsync.core.run_guard import Heartbeat
from erpsync.plugins.manager import load_settings
from erpsync.shop_reads import SharedReads
from erpsync.sync import Syncer

pytestmark = pytest.mark.integration

PACKAGES = 60  # at 45 calls a second, their details take more than a second


@pytest.fixture
def world(demo_ws, pm, registry):
    RATE_LIMITS.clear()
    with open_world(demo_ws, pm, registry) as w:
        w.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        w.ws.admin("POST", "packages", {"warehouse_id": "WH-DG", "count": PACKAGES})
        yield w
    RATE_LIMITS.clear()


def test_the_orders_awaiting_shipment_are_read_beside_the_package_details(world) -> None:
    answered: list[tuple[str, float]] = []

    def note(api: str, status: int | None, rate_limited: bool) -> None:
        answered.append((api, time.monotonic()))

    CALL_OBSERVERS.append(note)
    try:
        report = world.run(aspects=("pickup", "ship_by"))
    finally:
        CALL_OBSERVERS.remove(note)
    assert report.shops[0].error is None
    assert [a.aspect for a in report.shops[0].aspects if a.error is None] == ["pickup", "ship_by"]
    details = [t for api, t in answered if api.endswith("/fulfillment/202309/packages/{package_id}")]
    searches = [t for api, t in answered if api.endswith("/order/202309/orders/search")]
    pages = [t for api, t in answered if api.endswith("/fulfillment/202309/packages/search")]
    assert len(details) >= PACKAGES and searches and pages
    assert max(searches) < max(details)  # every order search answered while details were still read
    assert max(pages) < min(searches)  # held until the pickup read had its pages and sent its calls
    assert_paced(world.ws.counts()["total"]["429"])


ORDER, PACKAGE = "5769000000000000931", "1154990000000931"
SF = "SF Express (顺丰)"


@pytest.fixture
def small_world(demo_ws, pm, registry):
    with open_world(demo_ws, pm, registry) as w:
        w.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        yield w


def test_an_order_shipped_after_the_read_ahead_and_before_its_deadline_is_not_alerted_overdue(
    small_world, monkeypatch
) -> None:
    """The orders were read while the pickup aspect ran; the seller ships one 30 s before its
    deadline and the run reaches ship_by a minute after it: judged when the read started, the
    order was still inside its window (a warning the next run resolves), not past it."""
    world = small_world
    # its latest ship time (3 days after creation) is one minute away
    world.ws.admin("POST", "orders", {"id": ORDER, "warehouse_id": "WH-DG", "create_time": "-4319m",
                                      "package": {"id": PACKAGE}})  # fmt: skip
    run_aspect = Syncer._run_aspect

    def between(self, run, shop, aspect, seller, erp):
        if aspect.name == "ship_by":
            read = [held.answer for held in seller._ahead.values() if held.answer is not None]
            assert read, "the orders were read ahead"
            wait(read)
            inner = seller.inner  # past the wrapper: the seller, in Seller Center
            inner.client.call("POST", f"/fulfillment/202309/packages/{PACKAGE}/ship", cipher=inner.cipher(),
                              body={}, operation="ship")  # fmt: skip
            world.advance(minutes=2)
        return run_aspect(self, run, shop, aspect, seller, erp)

    monkeypatch.setattr(Syncer, "_run_aspect", between)
    report = world.run(aspects=("pickup", "ship_by"))
    assert report.shops[0].error is None
    assert [d.kind for d in report.drifts if d.subject == ORDER] == ["ship_by_near"]


def test_a_stop_during_pickup_sends_nothing_for_the_aspects_it_skips(small_world, monkeypatch) -> None:
    world = small_world
    stop = threading.Event()
    said_waiting = pickup_reads.waiting

    def stop_then_wait() -> None:
        stop.set()  # SIGTERM arrives while the pickup read sends its slot calls
        said_waiting()

    monkeypatch.setattr(pickup_reads, "waiting", stop_then_wait)
    answered: list[str] = []
    CALL_OBSERVERS.append(lambda api, status, limited: answered.append(api))
    syncer = Syncer(load_settings(world.ws.config, world.registry), pm=world.pm, registry=world.registry,
                    clock=world.now)  # fmt: skip
    try:
        report = syncer.run(aspects=["pickup", "ship_by"], stop=stop)
    finally:
        CALL_OBSERVERS.pop()
        syncer.close()
    assert [a.aspect for a in report.shops[0].aspects] == ["pickup"]  # ship_by was not run
    assert "stopped by SIGTERM" in (report.shops[0].error or "")
    assert not [a for a in answered if a.endswith("/order/202309/orders/search")]


def test_a_shop_that_lost_its_lease_during_pickup_sends_nothing_for_the_aspects_it_skips(
    small_world, monkeypatch
) -> None:
    """Another run took the shop (its lease lapsed) while the pickup read sent its slot calls: the
    shop stops before ship_by, so the orders it named are not read for it, under a lease it lost."""
    beats: list[Heartbeat] = []
    hold, said_waiting = Heartbeat.hold, pickup_reads.waiting
    monkeypatch.setattr(Heartbeat, "hold", lambda self, lease: (beats.append(self), hold(self, lease))[1])

    def lose_then_wait() -> None:
        beats[0].lost.add("shop:shop")  # what the heartbeat notes when its renewal is refused
        said_waiting()

    monkeypatch.setattr(pickup_reads, "waiting", lose_then_wait)
    answered: list[str] = []
    CALL_OBSERVERS.append(lambda api, status, limited: answered.append(api))
    try:
        report = small_world.run(aspects=("pickup", "ship_by"))
    finally:
        CALL_OBSERVERS.pop()
    assert "lost the lease" in (report.shops[0].error or "")
    assert [a.aspect for a in report.shops[0].aspects] == ["pickup"]  # ship_by was not run
    assert not [a for a in answered if a.endswith("/order/202309/orders/search")]


def test_the_shops_lease_is_renewed_until_its_sides_are_closed(small_world, monkeypatch) -> None:
    """Closing a side waits for a read ahead still running: the heartbeat keeps the lease until
    then, so it cannot lapse (and another run take the shop) while that read's calls go out."""
    events: list[str] = []
    close, drop = SharedReads.close, Heartbeat.drop
    monkeypatch.setattr(SharedReads, "close", lambda self: (events.append("closed"), close(self))[1])
    monkeypatch.setattr(Heartbeat, "drop", lambda self, lease: (events.append("dropped"), drop(self, lease))[1])
    report = small_world.run(aspects=("pickup", "ship_by"))
    assert report.shops[0].error is None
    assert events == ["closed", "closed", "dropped"]


def test_a_write_before_ship_by_drops_what_was_read_ahead(small_world) -> None:
    """The tracking aspect ships the order before ship_by runs: the orders read ahead (while the
    pickup aspect waited) no longer hold, so ship_by reads them again and sees the order shipped.
    The read ahead was made for nothing in such a run: the price of starting it before anyone
    knows whether an aspect will write (one more read of the orders awaiting shipment)."""
    world = small_world
    cfg = world.ws.config.read_text(encoding="utf-8")
    world.ws.config.write_text(cfg.replace('path = "erp"\n', 'path = "erp"\nshipments = "shipments.csv"\n'), "utf-8")
    # its latest ship time is an hour away: alerted near, were the answer read ahead used
    world.ws.admin("POST", "orders", {"id": ORDER, "warehouse_id": "WH-DG", "create_time": "-71h",
                                      "package": {"id": PACKAGE}, "shipping_type": "SELLER"})  # fmt: skip
    with (world.ws.root / "erp" / "shipments.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
        out.writerow(["S1", PACKAGE, "", "SF931", SF])  # the tracking aspect ships it
    answered: list[str] = []
    CALL_OBSERVERS.append(lambda api, status, limited: answered.append(api))
    try:
        report = world.run(apply=True, aspects=("pickup", "tracking", "ship_by"))
    finally:
        CALL_OBSERVERS.pop()
    assert [r.action.kind for a in report.shops[0].aspects for r in a.actions if r.status == "applied"] == ["ship"]
    assert [d for d in report.drifts if d.subject == ORDER and d.aspect == "ship_by"] == []
    # two reads of the two statuses: the one ahead, dropped by the write, and ship_by's own
    assert sum(a.endswith("/order/202309/orders/search") for a in answered) == 4
