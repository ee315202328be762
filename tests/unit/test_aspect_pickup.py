"""The pickup aspect: inference table, drift basics, plan, apply, observe (fake connectors, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from erpsync.core.address import address_fingerprint, raw_address_fingerprint
from erpsync.core.aspects.base import ObserveContext, UnsupportedAction
from erpsync.core.aspects.pickup import PickupAspect, PickupObservation, infer_pickup_state, pickup_notes
from erpsync.core.aspects.pickup_evidence import PickupHistory
from erpsync.core.aspects.pickup_settings import PickupSettings
from erpsync.core.errors import RecordError, UsageError
from erpsync.core.models import (
    Address,
    Drift,
    HandoverMode,
    PackageSignal,
    PickupConfirmation,
    PickupSignals,
    Records,
    Severity,
    SlotSignal,
    Warehouse,
)
from erpsync.core.models import SubscriptionStatus as S
from erpsync.core.pickup_regions import BEIJING, DEFAULT_REGIONS
from erpsync.core.ports import Sighting

PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=BEIJING)
SWITCH = datetime(2023, 9, 19, 0, 0, tzinfo=BEIJING)
HOUR = timedelta(hours=1)
DG = Address("张三", "13800138000", "CN", "广东省", "东莞市", "长安镇", "步步高大道126号", "523000")
YIWU = replace(DG, state="浙江省", city="义乌市")
aspect = PickupAspect()


def pkg(pid: str, method: HandoverMode | None, tracking: str | None, at: datetime) -> PackageSignal:
    return PackageSignal(pid, "WH-DG", method, tracking, at)


def sig(*packages: PackageSignal, can_pickup: bool | None = None) -> PickupSignals:
    slots = None if can_pickup is None else SlotSignal("P-slot", can_pickup, True)
    return PickupSignals("WH-DG", slots, packages)


def saved(at: datetime, before: datetime | None = None) -> PickupHistory:
    """The memory after erpsync saw the address change at ``at`` (the old one last at ``before``)."""
    return PickupHistory(address=Sighting("new", at - timedelta(days=60), at, "old", before))


def was_active(at: datetime, before: datetime | None = None) -> PickupHistory:
    """A save seen at ``at``, and the state before it was ACTIVE."""
    return replace(saved(at, before), active=Sighting("no", at - timedelta(days=60), at, "yes", before))


def offered_stopped(at: datetime, before: datetime | None = None) -> PickupHistory:
    """No address change, but pickup offered at the run before ``at`` and not any more."""
    return PickupHistory(offered=Sighting("no", at - timedelta(days=60), at, "yes", before))


def dropped(history: PickupHistory, at: datetime) -> PickupHistory:
    """``history`` with the ERP seen switched to DROP OFF at ``at`` (from PICK UP, last seen an hour before)."""
    return replace(history, erp_mode=Sighting("DROP_OFF", at - timedelta(days=60), at, "PICKUP", at - HOUR))


def kept_drop_off(history: PickupHistory) -> PickupHistory:
    """``history`` with the ERP on DROP OFF since long before anything else, never changed."""
    return replace(history, erp_mode=Sighting("DROP_OFF", NOW - timedelta(days=90)))


def declined_record(
    history: PickupHistory, lapsed: datetime, status: str = "not_subscribed", made: datetime | None = None
) -> PickupHistory:
    """``history`` with an operator's record of ``status`` made after the save (at ``made``; None:
    a row from before erpsync kept when), lapsed at ``lapsed``."""
    value = status if made is None else f"{status}@{made.isoformat()}"
    record = Sighting("none", NOW - timedelta(days=60), lapsed, value, lapsed - HOUR)
    return replace(history, record=record)


def offered_after(history: PickupHistory, *, this_run: bool, under: str | None = None) -> PickupHistory:
    """``history``, whose record expired, with the slots seen offering pickup since the record
    ``under`` (default: the expired one) was made: by this run, or (``this_run`` False) by an
    earlier run, a later one having read no slots."""
    assert history.record is not None and history.record.previous is not None
    expired = history.record.previous
    offered = f"{under or expired}+offered"
    if this_run:
        return replace(history, offered_after_record=Sighting(offered, NOW - HOUR))
    return replace(history, offered_after_record=Sighting(expired, NOW - HOUR, NOW - HOUR / 2, offered, NOW - HOUR))


def activated(save_at: datetime, at: datetime) -> PickupHistory:
    """A save seen at ``save_at``; a later run (``at``) saw pickup in effect, this run did not."""
    return replace(saved(save_at), activation=Sighting("no", save_at, at, "yes", at - HOUR))


def infer(signals, history=None, erp_mode=None, address=DG, now=NOW):  # type: ignore[no-untyped-def]
    return infer_pickup_state(signals, address, history, DEFAULT_REGIONS, now, warehouse_id="WH-DG", erp_mode=erp_mode)


# --- inference ---------------------------------------------------------------------------------

WS = pkg("P1", PICKUP, "WS000111", NOW - 5 * HOUR)
DROP = pkg("P2", DROP_OFF, "UK123", NOW - 4 * HOUR)
SAVE = NOW - 2 * HOUR


@pytest.mark.parametrize(
    ("signals", "history", "erp_mode", "address", "status", "confidence"),
    [
        # row 1: the slots offer pickup (the platform knows better than the region table)
        (sig(can_pickup=True), None, DROP_OFF, DG, S.ACTIVE, "strong"),
        (sig(can_pickup=True), saved(SAVE), PICKUP, YIWU, S.ACTIVE, "strong"),
        # row 2: outside every region
        (sig(can_pickup=False), None, PICKUP, YIWU, S.OUT_OF_COVERAGE, "strong"),
        (sig(can_pickup=False), saved(SAVE), PICKUP, YIWU, S.OUT_OF_COVERAGE, "strong"),
        (sig(DROP), None, PICKUP, YIWU, S.OUT_OF_COVERAGE, "weak"),
        (sig(WS), None, PICKUP, YIWU, S.OUT_OF_COVERAGE, "weak"),
        (sig(), None, None, YIWU, S.OUT_OF_COVERAGE, "weak"),
        # row 3: a save is known
        (sig(can_pickup=False), saved(SAVE), PICKUP, DG, S.PENDING_REVIEW, "strong"),
        (sig(DROP), saved(SAVE), PICKUP, DG, S.PENDING_REVIEW, "weak"),
        (sig(), saved(SAVE), None, DG, S.PENDING_REVIEW, "weak"),
        (None, saved(SAVE), PICKUP, DG, S.PENDING_REVIEW, "weak"),
        (sig(WS), saved(SAVE), PICKUP, DG, S.PENDING_REVIEW, "weak"),  # WS printed before the save
        (sig(replace(WS, created_at=SAVE + HOUR)), saved(SAVE), PICKUP, DG, S.ACTIVE, "weak"),
        (sig(replace(WS, created_at=SAVE + HOUR)), saved(SAVE), DROP_OFF, DG, S.ACTIVE, "weak"),
        (sig(), activated(NOW - 20 * 24 * HOUR, NOW - 5 * 24 * HOUR), PICKUP, DG, S.ACTIVE, "weak"),
        # a save, then the ERP switched to DROP OFF (seen in the run that saw the save, or later)
        (sig(can_pickup=False), dropped(saved(SAVE), SAVE), DROP_OFF, DG, S.NOT_SUBSCRIBED, "strong"),
        (sig(), dropped(saved(SAVE, SAVE - HOUR), NOW), DROP_OFF, DG, S.NOT_SUBSCRIBED, "weak"),
        (sig(can_pickup=False), dropped(was_active(SAVE), SAVE), DROP_OFF, DG, S.CANCELLED, "strong"),
        (sig(), dropped(was_active(SAVE), SAVE), DROP_OFF, DG, S.CANCELLED, "weak"),
        (sig(can_pickup=False), dropped(offered_stopped(SAVE), SAVE), DROP_OFF, DG, S.CANCELLED, "strong"),
        # the ERP on DROP OFF since before a save while pickup was in effect: a mode mismatch's
        # cancel steps (re-save, decline the call), a cancellation as when the ERP switches
        (sig(), kept_drop_off(was_active(SAVE)), DROP_OFF, DG, S.CANCELLED, "weak"),
        (sig(can_pickup=False), kept_drop_off(was_active(SAVE)), DROP_OFF, DG, S.CANCELLED, "strong"),
        # the ERP on DROP OFF since before the save, pickup not in effect: the save asks for pickup
        (sig(can_pickup=False), kept_drop_off(saved(SAVE)), DROP_OFF, DG, S.PENDING_REVIEW, "strong"),
        (
            sig(can_pickup=False),
            dropped(saved(SAVE, SAVE - HOUR), SAVE - HOUR),
            DROP_OFF,
            DG,
            S.PENDING_REVIEW,
            "strong",
        ),
        (sig(can_pickup=False), saved(SAVE), DROP_OFF, DG, S.PENDING_REVIEW, "strong"),  # no switch seen
        # an ERP row unbound for a run ("none"), then DROP OFF again: no switch from PICK UP
        (
            sig(can_pickup=False),
            replace(saved(SAVE), erp_mode=Sighting("DROP_OFF", NOW - 90 * 24 * HOUR, SAVE + HOUR, "none", SAVE)),
            DROP_OFF,
            DG,
            S.PENDING_REVIEW,
            "strong",
        ),
        # an operator's record of a declined call made after the save, since expired: still declined
        (sig(can_pickup=False), declined_record(saved(SAVE), SAVE + HOUR), DROP_OFF, DG, S.NOT_SUBSCRIBED, "strong"),
        (sig(), declined_record(saved(SAVE), NOW, "cancelled"), PICKUP, DG, S.CANCELLED, "weak"),
        (sig(can_pickup=False), declined_record(saved(SAVE), SAVE), PICKUP, DG, S.PENDING_REVIEW, "strong"),  # lapsed
        (sig(replace(WS, created_at=SAVE + HOUR)), declined_record(saved(SAVE), NOW), PICKUP, DG, S.ACTIVE, "weak"),
        # pickup seen in effect after the save (a run, or a package), then the call declined and recorded:
        # the newer decline wins; pickup seen after the record still wins, and so does a remembered
        # activation over a record kept without its time (a row from before erpsync kept it)
        (
            sig(),
            declined_record(activated(SAVE, SAVE + HOUR), NOW, made=SAVE + HOUR / 2),
            DROP_OFF,
            DG,
            S.NOT_SUBSCRIBED,
            "weak",
        ),
        (
            sig(),
            declined_record(activated(SAVE, NOW), NOW, made=SAVE + HOUR / 2),
            DROP_OFF,
            DG,
            S.ACTIVE,
            "weak",
        ),
        (sig(), declined_record(activated(SAVE, SAVE + HOUR), NOW), DROP_OFF, DG, S.ACTIVE, "weak"),
        (
            sig(pkg("P9", PICKUP, "WS999", SAVE + HOUR)),
            declined_record(saved(SAVE), NOW, made=SAVE + HOUR * 1.5),
            PICKUP,
            DG,
            S.NOT_SUBSCRIBED,
            "weak",
        ),
        (
            sig(pkg("P9", PICKUP, "WS999", SAVE + HOUR)),
            declined_record(saved(SAVE), NOW, made=SAVE + HOUR / 2),
            PICKUP,
            DG,
            S.ACTIVE,
            "weak",
        ),
        # the slots offered pickup since the record was made (this run or an earlier one, the
        # slot read failing since): newer than the decline, whatever the package's date; a
        # sighting kept for another record says nothing about this one
        (
            sig(pkg("P9", PICKUP, "WS999", SAVE + HOUR)),
            offered_after(declined_record(saved(SAVE), NOW, made=SAVE + HOUR * 1.5), this_run=True),
            PICKUP,
            DG,
            S.ACTIVE,
            "weak",
        ),
        (
            sig(pkg("P9", PICKUP, "WS999", SAVE + HOUR)),
            offered_after(declined_record(saved(SAVE), NOW, made=SAVE + HOUR * 1.5), this_run=False),
            PICKUP,
            DG,
            S.ACTIVE,
            "weak",
        ),
        (
            sig(),
            offered_after(declined_record(activated(SAVE, SAVE + HOUR), NOW, made=SAVE + HOUR / 2), this_run=False),
            DROP_OFF,
            DG,
            S.ACTIVE,
            "weak",
        ),
        (
            sig(pkg("P9", PICKUP, "WS999", SAVE + HOUR)),
            offered_after(
                declined_record(saved(SAVE), NOW, made=SAVE + HOUR * 1.5), this_run=False, under="not_subscribed@x"
            ),
            PICKUP,
            DG,
            S.NOT_SUBSCRIBED,
            "weak",
        ),
        (sig(can_pickup=False), offered_stopped(SAVE), PICKUP, DG, S.PENDING_REVIEW, "strong"),
        # row 4: no save known
        (sig(can_pickup=False), None, PICKUP, DG, S.NOT_SUBSCRIBED, "strong"),
        (sig(WS), None, DROP_OFF, DG, S.ACTIVE, "weak"),
        (sig(WS, DROP), None, PICKUP, DG, S.NOT_SUBSCRIBED, "weak"),  # the newest package decides
        (sig(DROP, replace(WS, created_at=NOW - HOUR)), None, DROP_OFF, DG, S.ACTIVE, "weak"),
        (sig(pkg("P0", PICKUP, "JT777", SWITCH - HOUR)), None, PICKUP, DG, S.ACTIVE, "weak"),
        (sig(), None, PICKUP, DG, S.UNKNOWN, "none"),
        (None, None, PICKUP, DG, S.UNKNOWN, "none"),
        (sig(pkg("P3", PICKUP, "UK999", NOW - HOUR)), None, PICKUP, DG, S.UNKNOWN, "none"),
        (sig(pkg("P3", PICKUP, None, NOW - HOUR)), None, PICKUP, DG, S.UNKNOWN, "none"),
    ],
)
def test_inference_table(signals, history, erp_mode, address, status, confidence) -> None:  # type: ignore[no-untyped-def]
    state = infer(signals, history, erp_mode, address)
    mode = None if status is S.UNKNOWN else PICKUP if status is S.ACTIVE else DROP_OFF
    assert (state.status, state.confidence, state.effective_mode) == (status, confidence, mode)
    assert state.warehouse_id == "WH-DG" and state.evidence and len(state.why) == len(state.evidence)
    assert all(w.en and w.zh for w in state.why)
    assert (state.pending_since is not None) is (status is S.PENDING_REVIEW)


@pytest.mark.parametrize("created", [NOW - HOUR, None])
def test_tied_packages_decide_the_same_in_any_order(created: datetime | None) -> None:
    """Packages of the same second (or undated) are told apart by package id, the greater being the
    newer, so two runs over the same packages listed in another order infer the same state."""
    drop, ws = pkg("P7", DROP_OFF, None, created), pkg("P8", PICKUP, "WS000888", created)
    states = [infer(sig(*order), None, DROP_OFF) for order in [(drop, ws), (ws, drop)]]
    assert {(s.status, s.evidence[0]) for s in states} == {
        (S.ACTIVE, "newest package P8 is PICK UP with waybill WS000888")
    }
    # and after a save, the package that shows the review went through is chosen the same way
    jt, ws2 = pkg("P5", PICKUP, "JT000555", NOW - HOUR), pkg("P6", PICKUP, "WS000666", NOW - HOUR)
    history = PickupHistory(
        address=Sighting("new", NOW - 60 * 24 * HOUR, NOW - 3 * HOUR, "old", NOW - 4 * HOUR),
    )
    old = replace(DEFAULT_REGIONS[0], previous_prefix="JT", previous_provider="J&T")
    found = {
        infer_pickup_state(sig(*o), DG, history, (old,), NOW, erp_mode=PICKUP).evidence[-1]
        for o in [(jt, ws2), (ws2, jt)]
    }
    assert found == {"package P6 created after the save is PICK UP with waybill WS000666"}


def test_pending_starts_at_the_save_and_is_not_bounded_by_the_lookback() -> None:
    long_ago = NOW - timedelta(days=20)
    state = infer(sig(can_pickup=False), saved(long_ago, long_ago - HOUR), PICKUP)
    assert state.status is S.PENDING_REVIEW and state.pending_since == long_ago - HOUR
    assert state.since == state.pending_since and state.save is not None and state.save.at == long_ago - HOUR


def test_state_since() -> None:
    cancelled = infer(sig(can_pickup=False), dropped(was_active(SAVE, SAVE - HOUR), SAVE), DROP_OFF)
    assert cancelled.status is S.CANCELLED and cancelled.since == SAVE - HOUR
    back = PickupHistory(offered=Sighting("yes", NOW - 9 * HOUR, NOW - 3 * HOUR, "no", NOW - 4 * HOUR))
    active = infer(sig(can_pickup=True), back)
    assert active.since == NOW - 3 * HOUR and "pickup offered since" in active.evidence[-1]
    assert infer(sig(can_pickup=True)).since is None
    assert infer(sig(can_pickup=True), saved(SAVE)).since == SAVE  # the review that made it active
    assert infer(sig(can_pickup=False)).since is None


def test_provider_follows_the_switch_date() -> None:
    assert infer(sig(can_pickup=True)).provider == "Wanse"
    assert infer(sig(can_pickup=True), now=SWITCH - timedelta(seconds=1)).provider == "J&T"
    assert infer(sig(can_pickup=True), now=SWITCH).provider == "Wanse"
    old = pkg("P0", PICKUP, "JT777", SWITCH - HOUR)
    assert infer(sig(old), now=SWITCH + HOUR).provider == "J&T"
    assert infer(sig(WS)).provider == "Wanse"
    # a J&T waybill printed after the switch is a stale label: Wanse's driver is the one who comes
    stale = pkg("P1", PICKUP, "JT778", SWITCH + HOUR)
    assert infer(sig(stale), now=SWITCH + 2 * HOUR).provider == "Wanse"


def test_evidence_says_what_it_could_not_see() -> None:
    assert infer(sig()).evidence[-1] == "no packages in the last 14 days"
    assert infer(sig()).why[-1].zh == "近14天该仓库没有包裹：无法看出揽收订阅状态"
    assert any("cancelled" in e for e in infer(sig(can_pickup=False)).evidence)
    assert any("cancelled" in e for e in infer(sig(DROP)).evidence)
    assert "no provider prefix" in infer(sig(pkg("P3", PICKUP, "UK999", NOW - HOUR))).evidence[-1]


def test_cancellation_explains_itself_in_both_languages() -> None:
    state = infer(sig(can_pickup=False), dropped(was_active(SAVE), SAVE), DROP_OFF)
    last = state.why[-1]
    assert "declining the provider's call" in last.en and "set the ERP to PICK UP" in last.en
    assert "取消揽收" in last.zh and "重新保存地址并在服务商来电时拒绝" in last.zh
    assert "best estimate" in state.why[1].en.lower() and "最佳估计" in state.why[1].zh


# --- diff --------------------------------------------------------------------------------------

SELLER = Warehouse("WH-DG", "Dongguan", DG)


def erp(mode: HandoverMode | None) -> Warehouse:
    return Warehouse("E-1", "东莞仓", DG, handover_mode=mode, seller_warehouse_id="WH-DG")


def observation(
    signals: PickupSignals | None,
    erp_mode: HandoverMode | None = DROP_OFF,
    *,
    address: Address = DG,
    history: PickupHistory | None = None,
    now: datetime = NOW,
) -> PickupObservation:
    seller = replace(SELLER, address=address)
    return PickupObservation(
        "acme",
        now,
        seller_warehouses=[seller],
        erp_warehouses=[replace(erp(erp_mode), address=address)],
        signals={"WH-DG": signals} if signals else {},
        history={"WH-DG": history} if history else {},
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
    assert "not subscribed" in d.message and "E-1" in d.message and "Dongguan (WH-DG)" in d.message
    assert d.summary is not None and "未订阅" in d.summary.zh and "上门揽收（PICK UP）" in d.summary.zh
    other = kinds(observation(sig(can_pickup=True), DROP_OFF))["mode_mismatch"]
    assert (other.seller_value, other.erp_value, other.severity) == ("PICK UP", "DROP OFF", Severity.WARNING)
    # a drift that turns the other way is another drift: the old alert resolves, a new one opens
    assert (d.identity, other.identity) == ("DROP OFF|PICK UP", "PICK UP|DROP OFF")
    assert d.fingerprint != other.fingerprint


def test_unknown_state_is_an_unconfirmed_drift_not_a_note() -> None:
    obs = observation(sig(), PICKUP)
    d = kinds(obs)["pickup_unconfirmed"]
    assert set(kinds(obs)) == {"pickup_unconfirmed"} and pickup_notes(obs) == []
    assert d.severity is Severity.CRITICAL and d.field == "subscription_status" and d.identity == "PICK UP"
    assert "erpsync pickup confirm --shop acme --warehouse WH-DG" in d.message
    quiet = kinds(observation(sig(), DROP_OFF))["pickup_unconfirmed"]
    assert quiet.severity is Severity.WARNING and quiet.identity == "DROP OFF"
    assert quiet.fingerprint != d.fingerprint


def test_modeless_erp_keeps_the_note() -> None:
    obs = observation(sig(can_pickup=False), None)
    assert kinds(obs) == {}
    assert pickup_notes(obs) == ["WH-DG: ERP warehouse E-1 keeps no handover mode: not compared"]
    assert pickup_notes(observation(sig(can_pickup=False), PICKUP)) == []
    unknown = observation(sig(), None)
    assert kinds(unknown)["pickup_unconfirmed"].identity == "none"
    assert pickup_notes(unknown) == ["WH-DG: ERP warehouse E-1 keeps no handover mode: not compared"]


def test_pickup_out_of_coverage() -> None:
    found = kinds(observation(sig(), PICKUP, address=YIWU))
    d = found["pickup_out_of_coverage"]
    assert d.severity is Severity.CRITICAL and d.seller_value == "义乌市" and "no driver will come" in d.message
    assert "mode_mismatch" in found  # the fixable side of the same problem
    assert "pickup_out_of_coverage" not in kinds(observation(sig(can_pickup=True), PICKUP, address=YIWU))
    assert "pickup_out_of_coverage" not in kinds(observation(sig(), DROP_OFF, address=YIWU))
    assert "pickup_out_of_coverage" not in kinds(observation(sig(WS), PICKUP))


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


@pytest.mark.parametrize("age", [2 * HOUR, 30 * HOUR])
def test_plan_never_flips_the_erp_during_a_review(age: timedelta) -> None:
    obs = observation(sig(can_pickup=False), PICKUP, history=saved(NOW - age))
    drifts = aspect.diff(obs)
    assert [d.kind for d in drifts] == ["review_pending" if age < 24 * HOUR else "review_stuck"]
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

    def __init__(self, signals: Sequence[PickupSignals] = (sig(can_pickup=True),)) -> None:
        self.since: datetime | None = None
        self.signals = tuple(signals)

    def list_warehouses(self) -> Records[Warehouse]:
        return Records((SELLER,))

    def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        self.since = since
        return Records(self.signals, (RecordError("no slots", record="P-9"),))


class Erp:
    type = "files"

    def list_warehouses(self) -> Records[Warehouse]:
        return Records((erp(PICKUP),))


class Memory:
    """Records every call; answers as a memory that has seen each value before, unchanged."""

    def __init__(self, confirmation: PickupConfirmation | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.confirmation = confirmation

    def observe(self, key: str, value: str, now: datetime) -> Sighting:
        self.calls.append((key, value))
        return Sighting(value, now - timedelta(days=30))

    def pickup_confirmation(self, warehouse_id: str, now: datetime) -> PickupConfirmation | None:
        return self.confirmation


def test_observe_reads_signals_and_records_what_it_saw() -> None:
    seller, memory = Seller(), Memory()
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
    assert memory.calls == [
        ("seller_address_raw:WH-DG", raw_address_fingerprint(DG)),
        ("pickup_offered:WH-DG", "yes"),
        ("erp_mode:WH-DG", "PICKUP"),
        ("pickup_active:WH-DG", "yes"),
    ]
    assert raw_address_fingerprint(DG) != address_fingerprint(DG)  # a new key: no "change" on upgrade
    assert [r.name for r in obs.regions] == ["Yiwu"] and obs.review_sla_hours == 12 and obs.lookback_days == 7
    assert [str(e) for e in obs.record_errors] == ["P-9: no slots"]
    assert obs.state_for(SELLER).status is S.ACTIVE
    assert obs.notes == []
    assert obs.scope == set()  # unreadable packages: the evidence is incomplete, nothing resolves


class TwoWarehouses:
    """A seller with WH-DG and WH-SZ whose read has ``errors``, those in ``own`` being WH-SZ's slots'."""

    type = "tiktok"

    def __init__(self, *errors: RecordError, own: tuple[RecordError, ...] = ()) -> None:
        self.errors, self.own = errors, own

    def list_warehouses(self) -> Records[Warehouse]:
        return Records((SELLER, Warehouse("WH-SZ", "Shenzhen", replace(DG, city="深圳市"))))

    def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        sz = PickupSignals("WH-SZ", None, (pkg("P4", DROP_OFF, None, NOW - HOUR),), errors=self.own)
        return Records((sig(can_pickup=True), sz), self.errors)


def test_one_warehouses_slot_error_leaves_only_that_warehouse_out_of_scope() -> None:
    slots = RecordError("rate limited", record="warehouse WH-SZ", field="handover slots of package P4")
    obs = aspect.observe(ObserveContext("acme", TwoWarehouses(slots, own=(slots,)), Erp(), NOW, Memory()))
    assert obs.scope == {"WH-DG"} and obs.record_errors == [slots]
    # an error the connector did not attach to a warehouse (a package whose warehouse is unknown)
    package = RecordError("not this shop's", record="package P3")
    obs = aspect.observe(ObserveContext("acme", TwoWarehouses(package, slots, own=(slots,)), Erp(), NOW, Memory()))
    assert obs.scope == set()
    assert aspect.observe(ObserveContext("acme", TwoWarehouses(), Erp(), NOW, Memory())).scope == {"WH-DG", "WH-SZ"}


def test_observe_without_evidence_records_no_state() -> None:
    memory = Memory()
    obs = aspect.observe(ObserveContext("acme", Seller(()), Erp(), NOW, memory))
    assert [k for k, _ in memory.calls] == ["seller_address_raw:WH-DG", "erp_mode:WH-DG"]
    assert obs.state_for(SELLER).status is S.UNKNOWN and obs.notes == []


def test_observe_keeps_the_operators_record() -> None:
    confirmation = PickupConfirmation("WH-DG", S.ACTIVE, NOW - HOUR, NOW + 7 * 24 * HOUR)
    obs = aspect.observe(ObserveContext("acme", Seller(()), Erp(), NOW, Memory(confirmation)))
    state = obs.state_for(SELLER)
    assert (state.status, state.confidence, state.confirmation) == (S.ACTIVE, "operator", confirmation)


def test_observe_defaults_and_missing_capability() -> None:
    obs = aspect.observe(ObserveContext("acme", Seller(), Erp(), NOW, Memory()))
    assert obs.regions == DEFAULT_REGIONS and obs.lookback_days == 14 and obs.review_sla_hours == 24
    with pytest.raises(UsageError, match="seller 'files' cannot read pickup signals"):
        aspect.observe(ObserveContext("acme", Erp(), Erp(), NOW, Memory()))
