"""Pickup regions from the facts: switch dates only where a source gives one, city names as typed.

The 2023 switch notice (docs/domain.md) dates the J&T → Wanse switch for Dongguan only
(2023-09-19 00:00 Beijing time); Shenzhen and Guangzhou switched "in batches by the end of
September" on no stated day, so a J&T pickup waybill there is an alert only with a configured
``switch_at``. The sandbox and erpsync share one clock (``pickup_world``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pickup_world import World, drift, kinds, open_world, scenario, warehouse_of

from erpsync.core.timefmt import BEIJING

pytestmark = pytest.mark.integration

REGIONS = """
[[aspects.pickup.regions]]
name = "Dongguan"
cities = ["东莞", "Dongguan"]
provider = "Wanse"
prefix = "WS"
previous_provider = "J&T"
previous_prefix = "JT"
switch_at = 2023-09-19T00:00:00+08:00

[[aspects.pickup.regions]]
name = "{name}"
cities = ["{city}", "{name}"]
provider = "Wanse"
prefix = "WS"
previous_provider = "J&T"
previous_prefix = "JT"
switch_at = {switch_at}
"""
CITIES = {"深圳市": "Shenzhen", "广州市": "Guangzhou"}


def configure(world: World, name: str, city: str, switch_at: datetime) -> None:
    """Regions as a configuration lists them: Dongguan's known date, and one given for ``name``."""
    when = switch_at.astimezone(BEIJING).replace(microsecond=0).isoformat()
    world.ws.write_config(extra=REGIONS.format(name=name, city=city.removesuffix("市"), switch_at=when))


def moved_to(city: str) -> dict:
    """The demo scenario with WH-SZ (active, Wanse pickup) in ``city``."""
    data = scenario("demo")
    warehouse_of(data, "WH-SZ")["address"]["city"] = city
    return data


@pytest.mark.parametrize("city", list(CITIES))
def test_no_waybill_alert_without_a_known_switch_date(demo_ws, pm, registry, city):
    with open_world(demo_ws, pm, registry, moved_to(city)) as world:
        world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        jt = world.add_package("WH-SZ", handover_method="PICKUP", tracking_number="JT7000000001")

        report = world.run()
        assert ("waybill_provider_mismatch", "WH-SZ") not in kinds(report)
        notes = [n for s in report.shops for a in s.aspects for n in a.notes]
        assert any("JT7000000001" in n and "switch_at" in n for n in notes), notes  # said, not alerted

        configure(world, CITIES[city], city, datetime(2023, 9, 30, tzinfo=BEIJING))
        world.advance(hours=1)
        stale = drift(world.run(), "waybill_provider_mismatch", "WH-SZ")
        assert jt["tracking_number"] in stale.text("en")


def test_a_configured_switch_date_judges_only_waybills_printed_after_it(demo_ws, pm, registry):
    """A switch announced for tomorrow: J&T labels printed today are fine, those printed after are not."""
    with open_world(demo_ws, pm, registry) as world:
        world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        configure(world, "Shenzhen", "深圳市", world.now() + timedelta(days=1))
        world.add_package("WH-SZ", handover_method="PICKUP", tracking_number="JT7000000002")
        assert world.run().exit_code == 0

        world.advance(days=2)
        world.add_package("WH-SZ", handover_method="PICKUP", tracking_number="JT7000000003")
        stale = drift(world.run(), "waybill_provider_mismatch", "WH-SZ")
        assert "JT7000000003" in stale.text("en") and "JT7000000002" not in stale.text("en")


def test_dongguan_built_in_switch_date_still_raises_it(demo_ws, pm, registry):
    with open_world(demo_ws, pm, registry) as world:
        world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        world.add_package("WH-DG", handover_method="PICKUP", tracking_number="JT7000000004")
        stale = drift(world.run(), "waybill_provider_mismatch", "WH-DG")
        assert "JT7000000004" in stale.text("en") and "2023-09-19 00:00 Beijing time" in stale.text("en")


def test_default_scenario_raises_the_alert_only_drifts(default_ws, pm, registry):
    """A J&T pickup waybill in Dongguan after the switch, and PICK UP in 佛山, outside every region."""
    with open_world(default_ws, pm, registry) as world:
        world.set_erp({"WH-DG-01": "PICK UP", "WH-SZ-01": "DROP OFF", "WH-FS-01": "PICK UP"})
        report = world.run(apply=True)
    found = kinds(report)
    assert ("waybill_provider_mismatch", "WH-DG-01") in found
    assert ("pickup_out_of_coverage", "WH-FS-01") in found
    assert report.exit_code == 2, report.errors  # alert-only drifts stay open after --apply
    assert not [r for s in report.shops for a in s.aspects for r in a.actions if r.status == "failed"]


def typed_as(city: str) -> dict:
    """The demo scenario with WH-DG (never subscribed) in ``city``, which the sandbox's coverage
    lists as typed: Seller Center covers a city however its name is written."""
    data = scenario("demo")
    warehouse_of(data, "WH-DG")["address"]["city"] = city
    providers = [{"prefix": "JT", "since": None}, {"prefix": "WS", "since": "2023-09-19T00:00:00+08:00"}]
    data["regions"].append({"state": "广东省", "city": city, "providers": providers})
    return data


@pytest.mark.parametrize("city", ["東莞", "廣州市"])
def test_traditional_city_names_are_inside_coverage(demo_ws, pm, registry, city):
    with open_world(demo_ws, pm, registry, typed_as(city)) as world:
        world.set_erp({"WH-DG": "PICK UP", "WH-SZ": "PICK UP"})
        first = world.run()
        assert kinds(first) == {("mode_mismatch", "WH-DG")}  # not subscribed, yet a provider covers it
        assert "not subscribed" in drift(first, "mode_mismatch", "WH-DG").text("en")

        world.resave("WH-DG")  # the seller subscribes
        world.advance(hours=1)
        assert kinds(world.run()) == {("review_pending", "WH-DG")}
        world.advance(hours=4)
        assert world.run().exit_code == 0
