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

import time

import pytest
from pickup_world import open_world

from erpsync.core.http_observers import CALL_OBSERVERS
from erpsync.core.rate_limit import RATE_LIMITS

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
    assert world.ws.counts()["total"]["429"] == 0
