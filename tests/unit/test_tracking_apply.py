"""The tracking aspect's ``apply_many``: one ``ship_packages`` call, each action its own outcome.

The seller here is plain data answering as the ``PackageShipper`` contract says (``ShipOutcomes``);
the real connector against the sandbox is ``tests/integration/test_tracking.py``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from erpsync.core.aspects.tracking import TrackingAspect
from erpsync.core.errors import ConnectorError, PermanentError
from erpsync.core.models import Action, Records
from erpsync.core.shipping import PackageShippingState, ShipOutcomes, ShipRequest


class Shipper:
    """A ``PackageShipper`` answering each ship call from ``outcome``; records what it was asked."""

    def __init__(self, outcome: ShipOutcomes) -> None:
        self.outcome = outcome
        self.calls: list[list[ShipRequest]] = []

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        return Records()

    def shipping_provider_ids(self, warehouse_id: str) -> Mapping[str, str]:
        return {}

    def ship_packages(self, requests: Sequence[ShipRequest]) -> ShipOutcomes:
        self.calls.append(list(requests))
        return self.outcome

    def update_tracking(self, package_id: str, tracking_number: str, shipping_provider_id: str, **_: Any) -> None:
        raise AssertionError("not a ship")


def ship(package: str, number: str, kind: str = "ship") -> Action:
    return Action("s", "tracking", kind, "seller", package, "7208", number, f"ship {package}", (package,), False)


def test_one_call_for_all_and_each_action_gets_its_own_outcome() -> None:
    refused = PermanentError("provider 999 is not allowed", connector="tiktok", code=21011001)
    seller = Shipper(ShipOutcomes(shipped=("P1",), already_shipped=("P2",), failed={"P3": refused}))
    outcomes = TrackingAspect().apply_many([ship("P1", "SF1"), ship("P2", "SF2"), ship("P3", "SF3")], seller, seller)
    assert [r.package_id for r in seller.calls[0]] == ["P1", "P2", "P3"] and len(seller.calls) == 1
    assert seller.calls[0][0] == ShipRequest("P1", "SF1", "7208")
    assert outcomes[0] is None and outcomes[1] is None  # "already shipped" counts as done
    assert outcomes[2] is refused


def test_a_package_the_backend_does_not_answer_for_is_a_failure_and_a_twice_planned_one_ships_once() -> None:
    seller = Shipper(ShipOutcomes(shipped=("P1",)))
    outcomes = TrackingAspect().apply_many([ship("P1", "SF1"), ship("P1", "SF1"), ship("P4", "SF4")], seller, seller)
    assert [r.package_id for r in seller.calls[0]] == ["P1", "P4"]
    assert outcomes[:2] == [None, None]
    assert isinstance(outcomes[2], ConnectorError) and "P4" in str(outcomes[2]) and "no outcome" in str(outcomes[2])


def test_a_package_planned_under_two_numbers_ships_under_the_first_and_the_second_fails() -> None:
    seller = Shipper(ShipOutcomes(shipped=("P1",)))
    outcomes = TrackingAspect().apply_many([ship("P1", "SF1"), ship("P1", "SF9")], seller, seller)
    assert seller.calls == [[ShipRequest("P1", "SF1", "7208")]]
    assert outcomes[0] is None and "planned twice" in str(outcomes[1])


def test_only_ships_go_in_bulk() -> None:
    assert TrackingAspect.bulk_kinds == frozenset(["ship"]) and TrackingAspect.bulk_size == 50
    seller = Shipper(ShipOutcomes())
    with pytest.raises(ValueError, match="update_tracking"):
        TrackingAspect().apply_many([ship("P1", "SF1", kind="update_tracking")], seller, seller)
    assert seller.calls == []


def test_apply_of_one_ship_raises_that_packages_error() -> None:
    refused = PermanentError("no", connector="tiktok")
    seller = Shipper(ShipOutcomes(failed={"P1": refused}))
    with pytest.raises(PermanentError, match="no"):
        TrackingAspect().apply(ship("P1", "SF1"), seller, seller)
