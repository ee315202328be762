"""The tracking aspect's pure rules: which shipments drift, and which pushes are planned."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from erpsync.core.aspects.tracking_plan import TrackingObservation, diff_tracking, plan_tracking
from erpsync.core.models import Drift
from erpsync.core.shipping import ErpShipment, PackageShippingState, ShippingStatus

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SF = "7208000000000000001"


def shipment(pkg: str, number: str = "SF1001", carrier: str = "SF Express") -> ErpShipment:
    return ErpShipment(f"S-{pkg}", pkg, f"O-{pkg}", number, carrier, f"erp/shipments.csv:{pkg[-1]}")


def observe(*pairs: tuple[ErpShipment, PackageShippingState]) -> TrackingObservation:
    obs = TrackingObservation(shop="shop", now=NOW)
    for s, state in pairs:
        obs.shipments.append(s)
        obs.states[state.id] = state
        obs.providers[s.package_id] = SF
    return obs


def state(pkg: str, status: ShippingStatus, number: str | None = None, shipped_at: datetime | None = None):
    return PackageShippingState(pkg, status, (f"O-{pkg}",), number, SF if number else None, shipped_at, "WH1")


def erp_wins(_: Drift) -> str:
    return "erp"


def test_an_unshipped_package_is_planned_as_one_ship_keyed_by_package_and_number():
    obs = observe((shipment("P1"), state("P1", ShippingStatus.AWAITING_SHIPMENT)))
    drifts = diff_tracking(obs)
    assert [(d.kind, d.subject, d.erp_value) for d in drifts] == [("tracking_not_pushed", "P1", "SF1001")]
    assert "erp/shipments.csv:1" in drifts[0].message
    (action,) = plan_tracking(drifts, erp_wins, obs)
    assert (action.kind, action.target, action.subject, action.value, action.field) == (
        "ship",
        "seller",
        "P1",
        "SF1001",
        SF,
    )
    assert action.idempotent is False
    assert action.drifts == (drifts[0].fingerprint,)


def test_each_package_ships_under_its_own_carrier_when_two_shipments_share_an_id():
    """The providers are the packages' (one shipment each), not the shipments' ids: two shipments
    of one id (the aspect refuses them, a caller building an observation may not) never swap."""
    jt = "7208000000000000002"
    obs = TrackingObservation(shop="shop", now=NOW)
    obs.shipments += [
        ErpShipment("WH/OUT/1", "P1", "O1", "SF1001", "SF Express", "company A"),
        ErpShipment("WH/OUT/1", "P2", "O2", "JT2002", "J&T Express", "company B"),
    ]
    obs.states.update({p: state(p, ShippingStatus.AWAITING_SHIPMENT) for p in ("P1", "P2")})
    obs.providers.update({"P1": SF, "P2": jt})
    planned = plan_tracking(diff_tracking(obs), erp_wins, obs)
    assert sorted((a.subject, a.value, a.field) for a in planned) == [("P1", "SF1001", SF), ("P2", "JT2002", jt)]


def test_the_ledger_key_is_per_shop_package_and_number():
    a = observe((shipment("P1"), state("P1", ShippingStatus.AWAITING_SHIPMENT)))
    b = observe((shipment("P1", "SF9999"), state("P1", ShippingStatus.AWAITING_SHIPMENT)))
    (first,) = plan_tracking(diff_tracking(a), erp_wins, a)
    (again,) = plan_tracking(diff_tracking(a), erp_wins, a)
    (other,) = plan_tracking(diff_tracking(b), erp_wins, b)
    assert first.idempotency_key == again.idempotency_key
    assert first.idempotency_key != other.idempotency_key


def test_shipped_with_the_same_number_is_done():
    obs = observe((shipment("P1"), state("P1", ShippingStatus.SHIPPED, "SF1001", NOW - timedelta(days=9))))
    assert diff_tracking(obs) == []
    assert plan_tracking([], erp_wins, obs) == []


def test_another_number_inside_the_window_is_corrected_when_the_erp_wins():
    obs = observe((shipment("P1"), state("P1", ShippingStatus.SHIPPED, "JT77", NOW - timedelta(hours=71))))
    (drift,) = diff_tracking(obs)
    assert (drift.kind, drift.seller_value, drift.erp_value) == ("tracking_differs", "JT77", "SF1001")
    (action,) = plan_tracking([drift], erp_wins, obs)
    assert (action.kind, action.value, action.idempotent) == ("update_tracking", "SF1001", False)
    assert plan_tracking([drift], lambda _d: "report", obs) == []
    assert plan_tracking([drift], lambda _d: "seller", obs) == []


def test_each_erp_number_is_its_own_difference_so_a_number_that_comes_back_is_a_new_drift():
    """The correction's ledger row keys on the drift's occurrence: one drift across the ERP's
    numbers would find the first correction to SF1001 done when SF1001 came back, and skip it."""
    shipped = state("P1", ShippingStatus.SHIPPED, "JT77", NOW - timedelta(hours=1))
    (first,) = diff_tracking(observe((shipment("P1", "SF1001"), shipped)))
    (other,) = diff_tracking(observe((shipment("P1", "SF2002"), shipped)))
    (again,) = diff_tracking(observe((shipment("P1", "SF1001"), shipped)))
    assert first.fingerprint != other.fingerprint and first.fingerprint == again.fingerprint


def test_the_erp_number_in_another_case_is_the_same_difference_and_an_upper_case_one_keeps_its_identity():
    """A case change alone opens no new occurrence (its alert and the ledger's refusals stay);
    an upper-case number's identity is the number itself, as before case was set aside, so a
    drift opened then keeps its fingerprint."""
    shipped = state("P1", ShippingStatus.SHIPPED, "JT77", NOW - timedelta(hours=1))
    (upper,) = diff_tracking(observe((shipment("P1", "SF1001AB"), shipped)))
    (lower,) = diff_tracking(observe((shipment("P1", "sf1001ab"), shipped)))
    assert upper.fingerprint == lower.fingerprint
    assert (upper.identity, lower.identity, lower.erp_value) == ("SF1001AB", "SF1001AB", "sf1001ab")


def test_another_number_outside_the_window_is_only_reported_with_the_reason():
    obs = observe((shipment("P1"), state("P1", ShippingStatus.SHIPPED, "JT77", NOW - timedelta(hours=73))))
    (drift,) = diff_tracking(obs)
    assert drift.kind == "tracking_differs" and "past the 72 h" in drift.message
    assert plan_tracking([drift], erp_wins, obs) == []


def test_a_package_whose_number_was_changed_once_is_only_reported_with_the_reason():
    """One delivery-information update per order (21011051): a second correction is never planned."""
    obs = observe((shipment("P1", "SF3003"), state("P1", ShippingStatus.SHIPPED, "SF2002", None)))
    obs.corrected["P1"] = "JT77"
    (drift,) = diff_tracking(obs)
    assert (drift.kind, drift.seller_value, drift.erp_value) == ("tracking_differs", "SF2002", "SF3003")
    assert "changed once already (from JT77)" in drift.message and "one update per order" in drift.message
    assert plan_tracking([drift], erp_wins, obs) == []
    # a package of another order keeps its own update
    other = observe(
        (shipment("P1", "SF1001"), state("P1", ShippingStatus.SHIPPED, "SF1001", None)),
        (shipment("P2", "SF3003"), state("P2", ShippingStatus.SHIPPED, "SF2002", None)),
    )
    other.corrected["P1"] = "JT77"
    assert [a.kind for a in plan_tracking(diff_tracking(other), erp_wins, other)] == ["update_tracking"]


def of_order(order: str, found: PackageShippingState) -> PackageShippingState:
    return replace(found, order_ids=(order,))


def test_a_package_whose_order_was_updated_through_another_package_is_only_reported_with_the_reason():
    """The one update is the order's: once any package of it was changed, none of its packages is
    corrected again (21011051 on every run otherwise)."""
    obs = observe(
        (shipment("P1", "SF1001"), of_order("O1", state("P1", ShippingStatus.SHIPPED, "SF1001", None))),
        (shipment("P2", "SF3003"), of_order("O1", state("P2", ShippingStatus.SHIPPED, "SF2002", None))),
    )
    obs.corrected["P1"] = "JT77"
    (drift,) = diff_tracking(obs)
    assert (drift.subject, drift.seller_value, drift.erp_value) == ("P2", "SF2002", "SF3003")
    assert "order O1" in drift.message and "package P1" in drift.message and "(from JT77)" in drift.message
    assert "one update per order" in drift.message
    assert plan_tracking([drift], erp_wins, obs) == []


def test_two_packages_of_one_order_differing_at_once_plan_one_correction_the_smallest_package_id():
    """Both sent in one run, the second is sure to be refused (21011051): the other is reported."""
    shipped = NOW - timedelta(hours=1)
    obs = observe(
        (shipment("P2", "SF2"), of_order("O1", state("P2", ShippingStatus.SHIPPED, "JT2", shipped))),
        (shipment("P1", "SF1"), of_order("O1", state("P1", ShippingStatus.SHIPPED, "JT1", shipped))),
        (shipment("P3", "SF3"), of_order("O3", state("P3", ShippingStatus.SHIPPED, "JT3", shipped))),
    )
    drifts = diff_tracking(obs)
    assert [(a.kind, a.subject) for a in plan_tracking(drifts, erp_wins, obs)] == [
        ("update_tracking", "P1"),
        ("update_tracking", "P3"),
    ]
    (deferred,) = (d for d in drifts if d.subject == "P2")
    assert "package P1 of the same order O1 takes the order's update first" in deferred.message
    assert "one update per order" in deferred.message
    assert "order" not in next(d for d in drifts if d.subject == "P1").message


def test_a_package_past_the_window_leaves_its_order_s_update_to_another_package():
    obs = observe(
        (shipment("P1", "SF1"), of_order("O1", state("P1", ShippingStatus.SHIPPED, "JT1", NOW - timedelta(hours=73)))),
        (shipment("P2", "SF2"), of_order("O1", state("P2", ShippingStatus.SHIPPED, "JT2", NOW - timedelta(hours=1)))),
    )
    assert [(a.kind, a.subject) for a in plan_tracking(diff_tracking(obs), erp_wins, obs)] == [
        ("update_tracking", "P2")
    ]


def test_an_unknown_shipping_time_leaves_the_window_to_the_platform():
    obs = observe((shipment("P1"), state("P1", ShippingStatus.SHIPPED, "JT77", None)))
    (action,) = plan_tracking(diff_tracking(obs), erp_wins, obs)
    assert action.kind == "update_tracking"


def test_cancelled_unknown_and_unshippable_packages_are_reported_by_id_never_written():
    obs = observe(
        (shipment("P1"), state("P1", ShippingStatus.CANCELLED)),
        (shipment("P2", "SF2"), PackageShippingState("P2", ShippingStatus.UNKNOWN)),
        (
            shipment("P3", "SF3"),
            PackageShippingState("P3", ShippingStatus.NOT_SHIPPABLE, detail="order O-P3 is UNPAID"),
        ),
    )
    drifts = diff_tracking(obs)
    assert [(d.kind, d.subject) for d in drifts] == [
        ("package_cancelled", "P1"),
        ("package_unknown", "P2"),
        ("package_not_shippable", "P3"),
    ]
    assert "UNPAID" in drifts[2].message
    assert plan_tracking(drifts, erp_wins, obs) == []


def test_a_shipment_without_a_resolved_carrier_is_not_planned():
    obs = observe((shipment("P1"), state("P1", ShippingStatus.AWAITING_SHIPMENT)))
    obs.providers.clear()
    assert plan_tracking(diff_tracking(obs), erp_wins, obs) == []


def by(platform_ships: bool | None, pkg: str, status: ShippingStatus, number: str | None = None):
    found = state(pkg, status, number, NOW - timedelta(hours=1) if number else None)
    return replace(found, platform_ships=platform_ships)


def test_a_package_tiktok_ships_awaiting_shipment_is_reported_never_shipped():
    obs = observe((shipment("P1"), by(True, "P1", ShippingStatus.AWAITING_SHIPMENT)))
    (drift,) = diff_tracking(obs)
    assert (drift.kind, drift.severity.value, drift.subject, drift.erp_value) == (
        "shipped_by_platform",
        "info",
        "P1",
        "SF1001",
    )
    assert "TikTok" in drift.message and "label" in drift.message and "pushes nothing" in drift.message
    assert plan_tracking([drift], erp_wins, obs) == []


def test_a_package_tiktok_shipped_under_another_number_warns_that_the_erp_is_wrong_and_plans_nothing():
    obs = observe((shipment("P1"), by(True, "P1", ShippingStatus.SHIPPED, "JT77")))
    (drift,) = diff_tracking(obs)
    assert (drift.kind, drift.severity.value, drift.seller_value, drift.erp_value) == (
        "tracking_differs",
        "warning",
        "JT77",
        "SF1001",
    )
    assert "label carries tracking number JT77" in drift.message and "correct the ERP" in drift.message
    assert plan_tracking([drift], erp_wins, obs) == []


def test_a_package_tiktok_shipped_under_the_erp_s_number_is_done():
    obs = observe((shipment("P1"), by(True, "P1", ShippingStatus.SHIPPED, "SF1001")))
    assert diff_tracking(obs) == []


def test_a_package_the_seller_ships_or_whose_shipper_is_unknown_is_shipped_and_corrected_as_before():
    for who in (False, None):
        obs = observe(
            (shipment("P1"), by(who, "P1", ShippingStatus.AWAITING_SHIPMENT)),
            (shipment("P2", "SF2"), by(who, "P2", ShippingStatus.SHIPPED, "JT77")),
        )
        drifts = diff_tracking(obs)
        assert [(d.kind, d.severity.value) for d in drifts] == [
            ("tracking_not_pushed", "info"),
            ("tracking_differs", "warning"),
        ]
        actions = plan_tracking(drifts, erp_wins, obs)
        assert [(a.kind, a.subject, a.value, a.idempotent) for a in actions] == [
            ("ship", "P1", "SF1001", False),
            ("update_tracking", "P2", "SF2", False),
        ]


def test_a_number_that_differs_only_in_case_is_done_not_the_order_s_one_update():
    """The ERP writes sf1234567890, Seller Center has SF1234567890: the same parcel. Correcting
    the case would spend the one update TikTok allows per order (docs/tracking.md)."""
    obs = observe((shipment("P1", "sf1234567890"), state("P1", ShippingStatus.SHIPPED, "SF1234567890", NOW)))
    assert diff_tracking(obs) == []
    assert plan_tracking([], erp_wins, obs) == []


def test_a_package_of_an_order_whose_other_package_differs_only_in_case_takes_the_order_s_update():
    """P1 differs only in case (nothing to correct), P2 really differs: P2's correction is the
    order's one update, not held back behind P1."""
    p1, p2 = shipment("P1", "sf1001"), shipment("P2", "SF2002")
    one_order = ("O-1",)
    obs = observe(
        (p1, replace(state("P1", ShippingStatus.SHIPPED, "SF1001", NOW), order_ids=one_order)),
        (p2, replace(state("P2", ShippingStatus.SHIPPED, "JT77", NOW), order_ids=one_order)),
    )
    (drift,) = diff_tracking(obs)
    assert drift.subject == "P2"
    (action,) = plan_tracking([drift], erp_wins, obs)
    assert (action.kind, action.subject, action.value) == ("update_tracking", "P2", "SF2002")


def test_a_first_ship_pushes_the_number_as_the_erp_writes_it():
    obs = observe((shipment("P1", "sf1234567890"), state("P1", ShippingStatus.AWAITING_SHIPMENT)))
    (action,) = plan_tracking(diff_tracking(obs), erp_wins, obs)
    assert (action.kind, action.value) == ("ship", "sf1234567890")
