"""Dating a save, seeing every save, and weighing an operator's record against the evidence (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from erpsync.core.address import address_fingerprint, raw_address_fingerprint
from erpsync.core.aspects.pickup_evidence import PickupHistory, save_estimate
from erpsync.core.aspects.pickup_state import infer_pickup_state
from erpsync.core.models import (
    Address,
    HandoverMode,
    PackageSignal,
    PickupConfirmation,
    PickupSignals,
    PickupState,
    SlotSignal,
)
from erpsync.core.models import SubscriptionStatus as S
from erpsync.core.pickup_regions import BEIJING, DEFAULT_REGIONS
from erpsync.core.ports import Sighting

PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=BEIJING)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
DG = Address("张三", "13800138000", "CN", "广东省", "东莞市", "长安镇", "步步高大道126号", "523000")


# --- the raw fingerprint -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        {"street": "步步高大道126号，"},
        {"street": "步步高大道126号。"},
        {"street": "步步高大道 126号"},
        {"phone": "138-0013-8000"},
        {"contact_person": "张三 "},
        {"city": "东莞"},
    ],
)
def test_a_cosmetic_save_changes_the_raw_fingerprint_only(edit: dict[str, str]) -> None:
    saved = replace(DG, **edit)
    assert address_fingerprint(saved) == address_fingerprint(DG)
    assert raw_address_fingerprint(saved) != raw_address_fingerprint(DG)
    assert raw_address_fingerprint(replace(DG)) == raw_address_fingerprint(DG)
    assert len(raw_address_fingerprint(DG)) == 64


# --- the save estimate -------------------------------------------------------------------------


def address_seen(changed_at: datetime | None, before: datetime | None) -> Sighting:
    return Sighting("b", NOW - 90 * DAY, changed_at, "a" if changed_at else None, before)


def test_no_change_seen_no_save() -> None:
    assert save_estimate(PickupHistory(), 24) is None
    assert save_estimate(PickupHistory(address=address_seen(None, None)), 24) is None
    offered_back = Sighting("yes", NOW - DAY, NOW - HOUR, "no", NOW - 2 * HOUR)  # no → yes is no save
    assert save_estimate(PickupHistory(offered=offered_back), 24) is None


def test_save_counted_from_the_run_before_the_change() -> None:
    save = save_estimate(PickupHistory(address=address_seen(NOW, NOW - 2 * HOUR)), 24)
    assert save is not None and (save.at, save.seen_at, save.after) == (NOW - 2 * HOUR, NOW, NOW - 2 * HOUR)
    assert save.basis.en == (
        "saved between 2024-05-01 08:00 Beijing time and 2024-05-01 10:00 Beijing time; "
        "counted from 2024-05-01 08:00 Beijing time"
    )
    assert save.basis.zh == (
        "保存于2024-05-01 08:00 北京时间至2024-05-01 10:00 北京时间之间；从2024-05-01 08:00 北京时间起计"
    )


def test_save_without_a_previous_sighting_counts_from_when_it_was_seen() -> None:
    save = save_estimate(PickupHistory(address=address_seen(NOW, None)), 24)
    assert save is not None and (save.at, save.after) == (NOW, None)
    assert save.basis.en == (
        "saved before 2024-05-01 10:00 Beijing time (first seen then); counted from 2024-05-01 10:00 Beijing time"
    )
    assert "之前（当时首次发现）" in save.basis.zh


@pytest.mark.parametrize(("gap", "counted_from_before"), [(24 * HOUR, True), (24 * HOUR + timedelta(seconds=1), False)])
def test_a_gap_over_the_sla_counts_from_when_it_was_seen(gap: timedelta, counted_from_before: bool) -> None:
    save = save_estimate(PickupHistory(address=address_seen(NOW, NOW - gap)), 24)
    assert save is not None and save.after == NOW - gap
    assert save.at == (NOW - gap if counted_from_before else NOW)


def test_the_newest_of_address_change_and_pickup_stopping_is_the_save() -> None:
    address = address_seen(NOW - 3 * DAY, NOW - 3 * DAY - HOUR)
    stopped = Sighting("no", NOW - 9 * DAY, NOW - HOUR, "yes", NOW - 2 * HOUR)
    save = save_estimate(PickupHistory(address=address, offered=stopped), 24)
    assert save is not None and (save.at, save.seen_at) == (NOW - 2 * HOUR, NOW - HOUR)
    older_stop = replace(stopped, changed_at=NOW - 5 * DAY, previous_seen_at=NOW - 5 * DAY - HOUR)
    save = save_estimate(PickupHistory(address=address, offered=older_stop), 24)
    assert save is not None and save.seen_at == NOW - 3 * DAY


def test_naive_times_from_the_store_are_utc() -> None:
    naive = datetime(2024, 5, 1, 2, 0)  # 10:00 Beijing time
    save = save_estimate(PickupHistory(address=address_seen(naive, naive - HOUR)), 24)
    assert save is not None and save.at == NOW - HOUR


# --- the operator's record ---------------------------------------------------------------------


def confirmed(status: S, at: datetime = NOW - HOUR, days: int = 7) -> PickupConfirmation:
    return PickupConfirmation("WH-DG", status, at, at + days * DAY, note="checked 商家后台")


def infer(
    signals: PickupSignals | None,
    c: PickupConfirmation | None,
    *,
    history: PickupHistory | None = None,
    erp_mode: HandoverMode | None = PICKUP,
) -> PickupState:
    h = replace(history or PickupHistory(), confirmation=c)
    return infer_pickup_state(signals, DG, h, DEFAULT_REGIONS, NOW, warehouse_id="WH-DG", erp_mode=erp_mode)


def packages(*items: tuple[HandoverMode, str | None, datetime]) -> PickupSignals:
    return PickupSignals("WH-DG", None, tuple(PackageSignal(f"P{i}", "WH-DG", *it) for i, it in enumerate(items)))


SLOTS_NO = PickupSignals("WH-DG", SlotSignal("P9", False, True), ())
SLOTS_YES = PickupSignals("WH-DG", SlotSignal("P9", True, True), ())


@pytest.mark.parametrize(("status", "mode"), [(S.ACTIVE, PICKUP), (S.NOT_SUBSCRIBED, DROP_OFF)])
def test_a_record_settles_an_unknown_state(status: S, mode: HandoverMode) -> None:
    state = infer(packages(), confirmed(status))
    assert (state.status, state.confidence, state.effective_mode) == (status, "operator", mode)
    assert state.confirmation == confirmed(status)
    assert "an operator saw" in state.why[-1].en and "操作员于" in state.why[-1].zh


def test_a_pending_record_starts_the_review_clock_when_it_was_made() -> None:
    state = infer(packages(), confirmed(S.PENDING_REVIEW, NOW - 3 * HOUR))
    assert (state.status, state.pending_since, state.effective_mode) == (S.PENDING_REVIEW, NOW - 3 * HOUR, DROP_OFF)


def test_an_expired_record_is_not_used() -> None:
    expired = confirmed(S.ACTIVE, NOW - 8 * DAY)
    state = infer(packages(), expired)
    assert state.status is S.UNKNOWN and state.confirmation is None


def test_a_record_replaces_weak_evidence_older_than_it() -> None:
    older = packages((DROP_OFF, None, NOW - 2 * DAY))
    state = infer(older, confirmed(S.ACTIVE))
    assert (state.status, state.confidence) == (S.ACTIVE, "operator") and state.provider == "Wanse"
    newer = packages((DROP_OFF, None, NOW - timedelta(minutes=10)))
    state = infer(newer, confirmed(S.ACTIVE))
    assert (state.status, state.confidence) == (S.NOT_SUBSCRIBED, "weak")
    assert state.why[-1].en.startswith("this overrides the operator's record of active at 2024-05-01 09:00")
    assert "推翻了操作员" in state.why[-1].zh


def test_slots_read_now_override_a_contrary_record() -> None:
    state = infer(SLOTS_NO, confirmed(S.ACTIVE))
    assert (state.status, state.confidence) == (S.NOT_SUBSCRIBED, "strong")
    assert "overrides the operator's record of active" in state.evidence[-1]
    state = infer(SLOTS_YES, confirmed(S.NOT_SUBSCRIBED))
    assert (state.status, state.confidence) == (S.ACTIVE, "strong") and "overrides" in state.evidence[-1]


def test_an_agreeing_record_is_mentioned() -> None:
    state = infer(SLOTS_YES, confirmed(S.ACTIVE))
    assert (state.status, state.confidence) == (S.ACTIVE, "strong")
    assert state.why[-1].en == (
        "confirmed by an operator at 2024-05-01 09:00 Beijing time, until 2024-05-08 09:00 Beijing time"
    )
    weak = infer(packages((DROP_OFF, None, NOW - 2 * DAY)), confirmed(S.NOT_SUBSCRIBED))
    assert (weak.status, weak.confidence) == (S.NOT_SUBSCRIBED, "operator") and "confirmed by" in weak.evidence[-1]


@pytest.mark.parametrize("recorded", [S.PENDING_REVIEW, S.NOT_SUBSCRIBED])
def test_activation_seen_after_a_record_wins_over_it(recorded: S) -> None:
    """A save 20 days ago, an operator's record of it 2 h later, then the review went through:
    a run saw pickup in effect days later. That evidence is newer than the record and wins; it was
    dated at the save (or not at all), so the record won, a review read stuck for 480 h."""
    save = NOW - 20 * DAY
    history = PickupHistory(
        address=Sighting("b", save - 60 * DAY, save, "a", save - HOUR),
        activation=Sighting("no", save, NOW - 14 * DAY, "yes", NOW - 14 * DAY - HOUR),  # quiet for 14 days since
    )
    record = confirmed(recorded, save + 2 * HOUR, days=30)
    assert infer(packages(), record, history=history).status is S.ACTIVE
    after_the_record = packages((PICKUP, "WS123", save + 5 * HOUR))  # a WS waybill printed after the record
    no_memory = PickupHistory(address=history.address)
    assert infer(after_the_record, record, history=no_memory).status is S.ACTIVE


def test_a_pending_record_after_a_settled_save_counts_from_the_record() -> None:
    """The last save erpsync saw was 60 days ago and a run saw pickup in effect after it: that
    review is over. A "pending" record today is a review of a save erpsync did not see, counted
    from the record (from the old save it read as stuck for 1,440 h at once)."""
    save = NOW - 60 * DAY
    history = PickupHistory(
        address=Sighting("b", save - 60 * DAY, save, "a", save - HOUR),
        activation=Sighting("no", save, NOW - 30 * DAY, "yes", NOW - 31 * DAY),
    )
    state = infer(packages(), confirmed(S.PENDING_REVIEW, NOW - HOUR), history=history)
    assert (state.status, state.pending_since) == (S.PENDING_REVIEW, NOW - HOUR)


def test_a_record_newer_than_the_save_ends_a_review() -> None:
    save = PickupHistory(address=Sighting("b", NOW - 90 * DAY, NOW - 30 * HOUR, "a", NOW - 31 * HOUR))
    state = infer(SLOTS_NO, confirmed(S.NOT_SUBSCRIBED), history=save)
    assert (state.status, state.confidence) == (S.NOT_SUBSCRIBED, "operator")
    before_the_save = confirmed(S.NOT_SUBSCRIBED, NOW - 40 * HOUR)
    state = infer(SLOTS_NO, before_the_save, history=save)
    assert state.status is S.PENDING_REVIEW and "overrides" in state.evidence[-1]
    active = infer(SLOTS_NO, confirmed(S.ACTIVE), history=save)  # slots read now win
    assert active.status is S.PENDING_REVIEW and "overrides" in active.evidence[-1]
