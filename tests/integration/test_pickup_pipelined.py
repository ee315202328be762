"""Pickup reads pipelined within each (app, shop, API) rate limit, against the real sandbox.

A shop with many warehouses needs one package detail and one handover-slots call per warehouse,
on two API paths with budgets of their own. The slot calls start as soon as each warehouse's
newest package is known from the search pages and their orders, so they run beside the details
instead of after them; the call times come from a session that notes when each request starts
and ends. Neither path ever goes over the platform's 50 calls per second: the sandbox, which
limits per (app, shop, path) like the platform, answers at most one 429 (a late thread on a loaded
machine, ``pacing.py``), and no second of the noted start times holds more than 50 calls of a path.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from pacing import assert_paced

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.orders.api import OrdersApi
from erpsync.connectors.tiktok.pickup_reads import PickupReads
from erpsync.core.rate_limit import RateLimits
from erpsync.sandbox import SandboxServer
from erpsync.sandbox.scenario import resolve_source

pytestmark = pytest.mark.integration

APP_KEY, APP_SECRET, TOKEN, SHOP_ID = "demo-app-key", "demo-app-secret", "demo-access-token", "7496000000000000000"
WAREHOUSES = 60
DETAIL = re.compile(r"/fulfillment/202309/packages/(?!search$)[^/]+$")
SLOTS = re.compile(r"/fulfillment/202309/packages/[^/]+/handover_time_slots$")


def scenario() -> dict[str, Any]:
    """One shop with many warehouses, the demo's geography and carriers."""
    demo = resolve_source("demo")
    template = demo["shops"][0]["warehouses"][1]  # active pickup
    warehouses = [
        {"id": f"WH-{j:03d}", "name": f"Warehouse {j}", "is_default": j == 0, "address": template["address"],
         "subscription": template["subscription"]}
        for j in range(WAREHOUSES)
    ]  # fmt: skip
    shop = {"id": SHOP_ID, "name": "Wide shop", "region": "GB", "cipher": "ROW_wide", "warehouses": warehouses}
    token = {"access_token": TOKEN, "expires_at": 4102444800, "shops": [SHOP_ID]}
    return {
        "name": "pipelined",
        "rate_limit_qps": 50,
        "apps": [{"app_key": APP_KEY, "app_secret": APP_SECRET, "tokens": [token]}],
        "carriers": demo["carriers"],
        "regions": demo["regions"],
        "shops": [shop],
    }


class NotingSession(requests.Session):
    """A real session that notes each request's path, start and end (monotonic seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, float, float]] = []
        self._lock = threading.Lock()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        started = time.monotonic()
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            with self._lock:
                self.calls.append((str(url).split("?")[0], started, time.monotonic()))

    def of(self, pattern: re.Pattern[str]) -> list[tuple[float, float]]:
        return sorted((s, e) for path, s, e in self.calls if pattern.search(path))

    def paths(self, pattern: re.Pattern[str]) -> set[str]:
        return {path for path, _s, _e in self.calls if pattern.search(path)}


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(scenario=scenario()) as server:
        for j in range(WAREHOUSES):
            requests.post(f"{server.url}/_sandbox/packages", json={"warehouse_id": f"WH-{j:03d}"}, timeout=10)
        requests.post(f"{server.url}/_sandbox/faults", json={"latency_ms": 10}, timeout=10).raise_for_status()
        requests.delete(f"{server.url}/_sandbox/counts", timeout=10)
        yield server


def test_slot_calls_overlap_the_package_details_and_no_path_goes_over_its_limit(sandbox: SandboxServer) -> None:
    session = NotingSession()
    client = TikTokClient(sandbox.url, APP_KEY, APP_SECRET, TOKEN, session=session, rate_limits=RateLimits())
    try:
        cipher = client.shop_cipher(SHOP_ID)
        reads = PickupReads(
            FulfillmentApi(client, cipher), OrdersApi(client, cipher), scope=SHOP_ID, cache=None, concurrency=8
        )
        found = reads.read([f"WH-{j:03d}" for j in range(WAREHOUSES)], since=datetime(2000, 1, 1, tzinfo=UTC))
    finally:
        client.close()
    assert not found.errors
    assert all(s.slots is not None and len(s.packages) == 1 for s in found.items)
    details, slots = session.of(DETAIL), session.of(SLOTS)
    # one of each per warehouse (a call retried after a connection the loaded machine dropped is
    # the same read again, so paths are counted, not calls)
    assert len(session.paths(DETAIL)) == len(session.paths(SLOTS)) == WAREHOUSES
    # pipelined: the first slot call starts while most package details are still to come
    first_slot = slots[0][0]
    assert sum(1 for s, _ in details if s > first_slot) > WAREHOUSES // 2
    assert first_slot < details[-1][1]
    counts = requests.get(f"{sandbox.url}/_sandbox/counts", timeout=10).json()["data"]
    assert_paced(counts["total"]["429"])
    for calls in (details, slots):
        starts = [s for s, _ in calls]
        assert max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts) <= 50
