"""Reading only what changed, against the sandbox: a run reads the details of changed packages only.

The real Syncer runs the pickup aspect twice on the sandbox's clock; between the runs packages are
added and collected. The second run's detail calls are exactly the packages changed since the
first, and its warehouse signals are those a run without a cache (a fresh store) reads.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pickup_world import World, open_world

from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.connector import ShopContext
from erpsync.core.store import Store
from erpsync.plugins.manager import load_settings

pytestmark = pytest.mark.integration

DETAIL = "/fulfillment/202309/packages/{package_id}"
SEARCH = "/fulfillment/202309/packages/search"
SLOTS = "/fulfillment/202309/packages/{package_id}/handover_time_slots"


@pytest.fixture
def world(demo_ws, pm, registry):
    with open_world(demo_ws, pm, registry) as w:
        yield w


def calls(world: World) -> dict[str, int]:
    counted = world.ws.counts()["paths"]
    world.ws.admin("DELETE", "counts")
    return {path: row["calls"] for path, row in counted.items()}


def test_second_run_reads_the_details_of_changed_packages_only(world: World) -> None:
    world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
    added = [world.add_package("WH-SZ")["id"] for _ in range(5)]
    world.ws.admin("DELETE", "counts")
    first = world.run()
    first_calls = calls(world)
    packages = first_calls[DETAIL]
    assert packages >= 5

    world.advance(minutes=30)
    unchanged = world.run()
    quiet = calls(world)
    assert quiet.get(DETAIL, 0) == 0 and quiet[SEARCH] == 1
    assert quiet[SLOTS] == first_calls[SLOTS]  # live state: read once per warehouse every run
    assert unchanged.exit_code == first.exit_code and unchanged.drifts == first.drifts

    world.advance(minutes=30)
    new = world.add_package("WH-DG", handover_method="DROP_OFF")["id"]
    world.collect(added[0])
    world.advance(minutes=1)
    world.run()
    assert calls(world)[DETAIL] == 2  # the new package and the collected one, nothing else
    assert new not in added


def signals(world: World, *, cached: bool) -> tuple:
    """The shop's pickup signals as the seller connector reads them now, with or without the cache."""
    settings = load_settings(world.ws.config, world.registry)
    shop = settings.shops[0]
    with Store.open(settings.state_url) as store:
        context = ShopContext(
            name=shop.name,
            base_dir=settings.base_dir,
            packages=store.packages.for_shop(shop.name) if cached else None,
        )
        seller = TikTokSellerConnector(dict(shop.seller.options), shop=context)
        try:
            ids = [w.id for w in seller.list_warehouses().items]
            found = seller.read_pickup_signals(ids, since=world.now() - timedelta(days=14))
        finally:
            seller.close()
    assert not found.errors
    return found.items


def test_a_cached_read_sees_what_a_fresh_read_sees(world: World) -> None:
    world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
    shipped = [world.add_package("WH-DG")["id"] for _ in range(3)]
    world.run()
    world.advance(minutes=20)
    world.collect(shipped[1])
    world.collect(world.add_package("WH-SZ")["id"])
    world.advance(minutes=5)
    world.run()
    world.ws.admin("DELETE", "counts")
    from_cache = signals(world, cached=True)
    assert calls(world).get(DETAIL, 0) == 0  # all of it came from the cache
    assert from_cache == signals(world, cached=False)
    assert sum(len(s.packages) for s in from_cache) >= 4
