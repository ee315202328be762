"""The pickup aspect: inference table, drift rules, plan, apply (fake connectors, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from erpsync.core.address import address_fingerprint
from erpsync.core.aspects.base import ObserveContext, UnsupportedAction
from erpsync.core.aspects.pickup import PickupAspect, PickupObservation, infer_pickup_state, pickup_notes
from erpsync.core.aspects.pickup_settings import PickupSettings
from erpsync.core.errors import RecordError, UsageError
from erpsync.core.models import (
    Address,
    Drift,
    HandoverMode,
    PackageSignal,
    PickupSignals,
    Records,
    Severity,
    SlotSignal,
    Warehouse,
)
from erpsync.core.models import SubscriptionStatus as S
from erpsync.core.pickup_regions import BEIJING, DEFAULT_REGIONS

PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=BEIJING)
SWITCH = datetime(2023, 9, 19, 0, 0, tzinfo=BEIJING)
DG = Address("张三", "13800138000", "CN", "广东省", "东莞市", "长安镇", "步步高大道126号", "523000")
YIWU = replace(DG, state="浙江省", city="义乌市")
aspect = PickupAspect()


def pkg(pid: str, method: HandoverMode | None, tracking: str | None, at: datetime) -> PackageSignal:
    return PackageSignal(pid, "WH-DG", method, tracking, at)


def sig(*packages: PackageSignal, can_pickup: bool | None = None) -> PickupSignals:
    slots = None if can_pickup is None else SlotSignal("P-slot", can_pickup, True)
    return PickupSignals("WH-DG", slots, packages)


def infer(signals: PickupSignals | None, address: Address = DG, changed: datetime | None = None, now=NOW):  # type: ignore[no-untyped-def]
    return infer_pickup_state(signals, address, changed, DEFAULT_REGIONS, now, warehouse_id="WH-DG")


# --- inference ---------------------------------------------------------------------------------

HOUR = timedelta(hours=1)
WS = pkg("P1", PICKUP, "WS000111", NOW - 5 * HOUR)
DROP = pkg("P2", DROP_OFF, "UK123", NOW - 4 * HOUR)


@pytest.mark.parametrize(
    ("signals", "address", "changed", "status", "confidence", "mode"),
    [
        (sig(can_pickup=True), DG, None, S.ACTIVE, "strong", PICKUP),
        (sig(can_pickup=True), YIWU, None, S.ACTIVE, "strong", PICKUP),  # the platform knows better
        (sig(can_pickup=False), YIWU, None, S.OUT_OF_COVERAGE, "strong", DROP_OFF),
        (sig(can_pickup=False), YIWU, NOW - HOUR, S.OUT_OF_COVERAGE, "strong", DROP_OFF),
        (sig(can_pickup=False), DG, NOW - 2 * HOUR, S.PENDING_REVIEW, "strong", DROP_OFF),
        (sig(can_pickup=False), DG, None, S.NOT_SUBSCRIBED, "strong", DROP_OFF),
        (sig(can_pickup=False), DG, NOW - timedelta(days=20), S.NOT_SUBSCRIBED, "strong", DROP_OFF),
        (sig(WS), DG, None, S.ACTIVE, "weak", PICKUP),
        (sig(WS, DROP), DG, None, S.NOT_SUBSCRIBED, "weak", DROP_OFF),  # the newest package decides
        (sig(DROP, replace(WS, created_at=NOW - HOUR)), DG, None, S.ACTIVE, "weak", PICKUP),
        (sig(DROP), YIWU, None, S.OUT_OF_COVERAGE, "weak", DROP_OFF),
        (sig(), YIWU, None, S.OUT_OF_COVERAGE, "weak", DROP_OFF),
        (sig(DROP), DG, NOW - 6 * HOUR, S.PENDING_REVIEW, "weak", DROP_OFF),
        (sig(DROP), DG, NOW - 3 * HOUR, S.UNKNOWN, "none", None),  # nothing since the change
        (sig(), DG, None, S.UNKNOWN, "none", None),
        (None, DG, None, S.UNKNOWN, "none", None),
        (sig(pkg("P3", PICKUP, "UK999", NOW - HOUR)), DG, None, S.UNKNOWN, "none", None),
        (sig(pkg("P3", PICKUP, None, NOW - HOUR)), DG, None, S.UNKNOWN, "none", None),
    ],
)
def test_inference_table(signals, address, changed, status, confidence, mode) -> None:  # type: ignore[no-untyped-def]
    state = infer(signals, address, changed)
    assert (state.status, state.confidence, state.effective_mode) == (status, confidence, mode)
    assert state.warehouse_id == "WH-DG" and state.evidence
    assert state.pending_since == (changed if status is S.PENDING_REVIEW else None)


def test_provider_follows_the_switch_date() -> None:
    assert infer(sig(can_pickup=True)).provider == "Wanse"
    assert infer(sig(can_pickup=True), now=SWITCH - timedelta(seconds=1)).provider == "J&T"
    assert infer(sig(can_pickup=True), now=SWITCH).provider == "Wanse"
    old = pkg("P0", PICKUP, "JT777", SWITCH - HOUR)
    assert infer(sig(old), now=SWITCH + HOUR).provider == "J&T"
    assert infer(sig(WS)).provider == "Wanse"


def test_evidence_says_what_it_could_not_see() -> None:
    assert infer(sig()).evidence[-1] == "no packages in the last 14 days"
    assert any("cancelled" in e for e in infer(sig(can_pickup=False)).evidence)
    assert any("cancelled" in e for e in infer(sig(DROP)).evidence)
    assert "no provider prefix" in infer(sig(pkg("P3", PICKUP, "UK999", NOW - HOUR))).evidence[-1]


# --- diff --------------------------------------------------------------------------------------

SELLER = Warehouse("WH-DG", "Dongguan", DG)


def erp(mode: HandoverMode | None) -> Warehouse:
    return Warehouse("E-1", "东莞仓", DG, handover_mode=mode, seller_warehouse_id="WH-DG")


def observation(
    signals: PickupSignals | None,
    erp_mode: HandoverMode | None = DROP_OFF,
    *,
    address: Address = DG,
    changed: datetime | None = None,
    now: datetime = NOW,
    sla: float = 24,
) -> PickupObservation:
    seller = replace(SELLER, address=address)
    return PickupObservation(
        "acme",
        now,
        seller_warehouses=[seller],
        erp_warehouses=[replace(erp(erp_mode), address=address)],
        signals={"WH-DG": signals} if signals else {},
        address_changed_at={"WH-DG": changed},
        review_sla_hours=sla,
    )


def kinds(obs: PickupObservation) -> dict[str, Drift]:
    drifts = aspect.diff(obs)
    assert all(d.subject == "WH-DG" and d.aspect == "pickup" for d in drifts)
    return {d.kind: d for d in drifts}


def test_in_sync() -> None:
    assert kinds(observation(sig(can_pickup=True), PICKUP)) == {}
    assert kinds(observation(sig(can_pickup=False), DROP_OFF)) == {}


def test_mode_mismatch_both_ways() -> None:
    d = kinds(observation(sig(can_pickup=False), PICKUP))["mode_mismatch"]
    assert (d.field, d.seller_value, d.erp_value, d.severity) == (
        "handover_mode",
        "DROP OFF",
        "PICK UP",
        Severity.CRITICAL,
    )
    assert "not subscribed" in d.message and "E-1" in d.message
    d = kinds(observation(sig(can_pickup=True), DROP_OFF))["mode_mismatch"]
    assert (d.seller_value, d.erp_value, d.severity) == ("PICK UP", "DROP OFF", Severity.WARNING)


def test_unknown_state_and_modeless_erp_are_notes_not_drifts() -> None:
    obs = observation(sig(), PICKUP)
    assert kinds(obs) == {}
    assert pickup_notes(obs) == ["WH-DG: pickup state unknown (no packages in the last 14 days): not compared"]
    obs = observation(sig(can_pickup=False), None)
    assert kinds(obs) == {}
    assert pickup_notes(obs) == ["WH-DG: ERP warehouse E-1 keeps no handover mode: not compared"]
    assert pickup_notes(observation(sig(can_pickup=False), PICKUP)) == []


def test_label_mode_mismatch_pickup_labels_without_subscription() -> None:
    labels = [pkg(f"P{i}", PICKUP, f"WS{i}", NOW - i * HOUR) for i in range(1, 6)]
    d = kinds(observation(sig(*labels, can_pickup=False)))["label_mode_mismatch"]
    assert d.severity is Severity.CRITICAL and d.field == "handover_method"
    assert d.erp_value == "5 package(s) labelled PICK UP: P1, P2, P3 and 2 more"


def test_label_mode_mismatch_drop_off_while_subscribed_after_the_latest_change_only() -> None:
    changed = NOW - 10 * HOUR
    before = pkg("P-old", DROP_OFF, "UK1", changed - HOUR)
    assert "label_mode_mismatch" not in kinds(observation(sig(before, can_pickup=True), PICKUP, changed=changed))
    after = pkg("P-new", DROP_OFF, "UK2", changed + HOUR)
    d = kinds(observation(sig(before, after, can_pickup=True), PICKUP, changed=changed))["label_mode_mismatch"]
    assert d.severity is Severity.WARNING and d.erp_value == "1 package(s) labelled DROP OFF: P-new"


def test_labels_not_judged_on_weak_evidence_or_while_pending() -> None:
    older = pkg("P0", DROP_OFF, "UK1", NOW - 9 * HOUR)
    assert "label_mode_mismatch" not in kinds(observation(sig(older, WS), PICKUP))
    pending = sig(pkg("P9", PICKUP, "WS9", NOW - HOUR), can_pickup=False)
    assert "label_mode_mismatch" not in kinds(observation(pending, changed=NOW - 2 * HOUR))


@pytest.mark.parametrize(("age", "stuck"), [(timedelta(hours=24), False), (timedelta(hours=24, seconds=1), True)])
def test_review_stuck_after_24_hours(age: timedelta, stuck: bool) -> None:
    found = kinds(observation(sig(can_pickup=False), changed=NOW - age))
    assert ("review_stuck" in found) is stuck
    if stuck:
        d = found["review_stuck"]
        assert d.severity is Severity.CRITICAL and d.field == "subscription_status"
        assert "phone or address is probably wrong: check it" in d.message and "Wanse" in d.message


def test_review_stuck_weak_is_a_warning_and_sla_is_configurable() -> None:
    late = pkg("P5", DROP_OFF, "UK5", NOW - HOUR)
    d = kinds(observation(sig(late), changed=NOW - 30 * HOUR))["review_stuck"]
    assert d.severity is Severity.WARNING
    assert "review_stuck" not in kinds(observation(sig(can_pickup=False), changed=NOW - 30 * HOUR, sla=48))


def test_pickup_out_of_coverage() -> None:
    found = kinds(observation(sig(), PICKUP, address=YIWU))
    d = found["pickup_out_of_coverage"]
    assert d.severity is Severity.CRITICAL and d.seller_value == "义乌市" and "no driver will come" in d.message
    assert "mode_mismatch" in found  # the fixable side of the same problem
    assert "pickup_out_of_coverage" not in kinds(observation(sig(can_pickup=True), PICKUP, address=YIWU))
    assert "pickup_out_of_coverage" not in kinds(observation(sig(), DROP_OFF, address=YIWU))
    assert "pickup_out_of_coverage" not in kinds(observation(sig(WS), PICKUP))


@pytest.mark.parametrize(
    ("package", "flagged"),
    [
        (pkg("P1", PICKUP, "JT123", SWITCH), True),  # the switch instant is already Wanse's
        (pkg("P1", PICKUP, "JT123", SWITCH - timedelta(seconds=1)), False),  # old J&T waybills are fine
        (pkg("P1", PICKUP, "ws123", SWITCH + HOUR), False),
        (pkg("P1", DROP_OFF, "JT123", SWITCH + HOUR), False),
        (pkg("P1", PICKUP, None, SWITCH + HOUR), False),
    ],
)
def test_waybill_provider_mismatch_switch_boundary(package: PackageSignal, flagged: bool) -> None:
    found = kinds(observation(sig(package), PICKUP, now=SWITCH + timedelta(days=1)))
    assert ("waybill_provider_mismatch" in found) is flagged
    if flagged:
        d = found["waybill_provider_mismatch"]
        assert (d.field, d.seller_value, d.erp_value) == ("tracking_number", "WS…", "JT123")
        assert "Wanse took over Dongguan from J&T" in d.message


def test_no_waybill_rule_outside_regions() -> None:
    obs = observation(sig(replace(WS, tracking_number="JT1", created_at=NOW - HOUR)), PICKUP, address=YIWU)
    assert "waybill_provider_mismatch" not in kinds(obs)


# --- plan and apply ----------------------------------------------------------------------------


def test_plan_seller_wins_sets_erp_mode_and_resolves_coverage() -> None:
    obs = observation(sig(), PICKUP, address=YIWU)
    drifts = aspect.diff(obs)
    (action,) = aspect.plan(drifts, lambda d: "seller", obs)
    assert (action.kind, action.target, action.subject, action.field, action.value) == (
        "set_handover_mode",
        "erp",
        "E-1",
        "handover_mode",
        "DROP_OFF",
    )
    assert set(action.drifts) == {d.fingerprint for d in drifts}
    assert action.description == "set ERP warehouse E-1 handover mode to DROP OFF from Seller Center"


def test_plan_erp_wins_targets_seller_and_report_plans_nothing() -> None:
    obs = observation(sig(can_pickup=False), PICKUP)
    drifts = aspect.diff(obs)
    (action,) = aspect.plan(drifts, lambda d: "erp", obs)
    assert (action.target, action.subject, action.value) == ("seller", "WH-DG", "PICKUP")
    assert aspect.plan(drifts, lambda d: "report", obs) == []


def test_plan_only_fixes_mode_mismatch() -> None:
    obs = observation(sig(can_pickup=False), DROP_OFF, changed=NOW - 30 * HOUR)
    drifts = aspect.diff(obs)
    assert [d.kind for d in drifts] == ["review_stuck"]
    assert aspect.plan(drifts, lambda d: "seller", obs) == []


class Writer:
    type = "tryton"

    def __init__(self) -> None:
        self.calls: list[tuple[str, HandoverMode]] = []

    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        self.calls.append((warehouse_id, mode))


class Files:
    type = "files"


def _action(winner: str):  # type: ignore[no-untyped-def]
    obs = observation(sig(can_pickup=False), PICKUP)
    (action,) = aspect.plan(aspect.diff(obs), lambda d: winner, obs)  # type: ignore[arg-type, return-value]
    return action


def test_apply_to_erp() -> None:
    writer = Writer()
    aspect.apply(_action("seller"), Files(), writer)
    assert writer.calls == [("E-1", DROP_OFF)]
    with pytest.raises(UnsupportedAction, match="ERP 'files' cannot set handover modes"):
        aspect.apply(_action("seller"), Files(), Files())


def test_apply_to_seller_is_seller_center_only() -> None:
    with pytest.raises(UnsupportedAction, match="subscribe or cancel pickup in Seller Center: re-save"):
        aspect.apply(_action("erp"), Files(), Writer())


# --- observe -----------------------------------------------------------------------------------


class Seller:
    type = "tiktok"

    def __init__(self) -> None:
        self.since: datetime | None = None

    def list_warehouses(self) -> Records[Warehouse]:
        return Records((SELLER,))

    def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        self.since = since
        bad = RecordError("no slots", record="P-9")
        return Records((sig(can_pickup=True),), (bad,))


class Erp:
    type = "files"

    def list_warehouses(self) -> Records[Warehouse]:
        return Records((erp(PICKUP),))


class Memory:
    def __init__(self, changed: datetime | None) -> None:
        self.changed, self.calls = changed, []  # type: ignore[var-annotated]

    def note_seller_address(self, warehouse_id: str, fingerprint: str, now: datetime) -> datetime | None:
        self.calls.append((warehouse_id, fingerprint, now))
        return self.changed


def test_observe_reads_signals_and_remembers_the_address() -> None:
    seller, memory = Seller(), Memory(NOW - HOUR)
    region = {
        "name": "Yiwu",
        "cities": ["义乌"],
        "provider": "Wanse",
        "prefix": "WS",
        "switch_at": "2024-01-01T00:00:00+08:00",
    }
    # through the aspect's Settings schema, as the configuration loader hands them over
    settings = PickupSettings().load({"lookback_days": 7, "review_sla_hours": 12, "regions": [region]})
    obs = aspect.observe(ObserveContext("acme", seller, Erp(), NOW, memory, settings))
    assert seller.since == NOW - timedelta(days=7)
    assert memory.calls == [("WH-DG", address_fingerprint(DG), NOW)]
    assert obs.address_changed_at == {"WH-DG": NOW - HOUR}
    assert [r.name for r in obs.regions] == ["Yiwu"] and obs.review_sla_hours == 12
    assert [str(e) for e in obs.record_errors] == ["P-9: no slots"]
    assert obs.state_for(SELLER).status is S.ACTIVE
    assert obs.notes == []


def test_observe_stores_the_notes() -> None:
    class Quiet(Seller):
        def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
            return Records()

    obs = aspect.observe(ObserveContext("acme", Quiet(), Erp(), NOW, Memory(None)))
    assert obs.notes == ["WH-DG: pickup state unknown (no packages in the last 14 days): not compared"]


def test_observe_defaults_and_missing_capability() -> None:
    obs = aspect.observe(ObserveContext("acme", Seller(), Erp(), NOW, Memory(None)))
    assert obs.regions == DEFAULT_REGIONS and obs.lookback_days == 14 and obs.review_sla_hours == 24
    with pytest.raises(UsageError, match="seller 'files' cannot read pickup signals"):
        aspect.observe(ObserveContext("acme", Erp(), Erp(), NOW, Memory(None)))
