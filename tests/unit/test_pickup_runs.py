"""The pickup review lifecycle over several runs: observe → diff with a moving clock (no I/O).

The seller side is a plain object whose address, packages and pickup offer a test changes
between runs, as Seller Center would; the memory is an in-memory ``ObservationMemory`` that
keeps what the store keeps (the value, when it changed, the value before and when that was last
seen), so these tests exercise the aspect's own dating of saves and transitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from erpsync.core.address import address_fingerprint
from erpsync.core.aspects.base import ObserveContext
from erpsync.core.aspects.pickup import PickupAspect
from erpsync.core.models import (
    Address,
    Drift,
    HandoverMode,
    PackageSignal,
    PickupConfirmation,
    PickupSignals,
    PickupState,
    Records,
    Severity,
    SlotSignal,
    Warehouse,
)
from erpsync.core.models import SubscriptionStatus as S
from erpsync.core.pickup_regions import BEIJING
from erpsync.core.ports import Sighting

PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=BEIJING)
DG = Address("张三", "13800138000", "CN", "广东省", "东莞市", "长安镇", "步步高大道126号", "523000")
aspect = PickupAspect()


@dataclass
class _Row:
    value: str
    first_seen_at: datetime
    last_seen_at: datetime
    changed_at: datetime | None = None
    previous: str | None = None
    previous_seen_at: datetime | None = None


class Memory:
    """An in-memory ``ObservationMemory`` with the store's semantics."""

    def __init__(self) -> None:
        self.rows: dict[str, _Row] = {}
        self.confirmations: dict[str, PickupConfirmation] = {}

    def observe(self, key: str, value: str, now: datetime) -> Sighting:
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = _Row(value, now, now)
            return Sighting(value, now)
        if row.value != value:
            row.previous, row.previous_seen_at, row.changed_at, row.value = row.value, row.last_seen_at, now, value
        row.last_seen_at = now
        return Sighting(value, row.first_seen_at, row.changed_at, row.previous, row.previous_seen_at)

    def pickup_confirmation(self, warehouse_id: str, now: datetime) -> PickupConfirmation | None:
        c = self.confirmations.get(warehouse_id)
        return c if c is not None and c.expires_at > now else None


@dataclass
class World:
    """Seller Center and the ERP for one warehouse, as a test moves them."""

    address: Address = DG
    erp_mode: HandoverMode | None = PICKUP
    can_pickup: bool = False
    packages: list[PackageSignal] = field(default_factory=list)
    memory: Memory = field(default_factory=Memory)
    type: str = "fake"
    erp_bound: bool = True  # False: the ERP reads fine but lists no row bound to the warehouse

    def list_warehouses(self) -> Records[Warehouse]:
        return Records((Warehouse("WH-DG", "Dongguan", self.address),))

    def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        recent = sorted(
            (p for p in self.packages if p.created_at and p.created_at >= since), key=lambda p: p.created_at
        )
        if not recent:
            return Records()
        slots = SlotSignal(recent[-1].id, self.can_pickup, True)
        return Records((PickupSignals("WH-DG", slots, tuple(recent)),))

    def print_label(self, pid: str, at: datetime, status: str = "PROCESSING") -> None:
        method = PICKUP if self.can_pickup else DROP_OFF
        self.packages.append(PackageSignal(pid, "WH-DG", method, f"WS{pid}" if self.can_pickup else None, at, status))


class Erp:
    type = "files"

    def __init__(self, world: World) -> None:
        self.world = world

    def list_warehouses(self) -> Records[Warehouse]:
        mode = self.world.erp_mode
        if not self.world.erp_bound:
            return Records(())
        return Records(
            (Warehouse("E-1", "东莞仓", self.world.address, handover_mode=mode, seller_warehouse_id="WH-DG"),)
        )


def run(world: World, now: datetime) -> tuple[PickupState, dict[str, Drift]]:
    obs = aspect.observe(ObserveContext("acme", world, Erp(world), now, world.memory))
    drifts = aspect.diff(obs)
    assert aspect.plan(drifts, lambda d: "seller", obs) == [] or {d.kind for d in drifts} & {"mode_mismatch"}
    return obs.state_for(obs.seller_warehouses[0]), {d.kind: d for d in drifts}


def active_world() -> World:
    world = World(can_pickup=True)
    world.print_label("P0", T0 - HOUR)
    return world


def test_a_punctuation_only_save_starts_a_review_that_is_stuck_after_24_hours_until_active() -> None:
    world = active_world()
    world.can_pickup = False  # pickup is not offered, and erpsync has never seen it offered
    world.erp_mode = PICKUP
    assert run(world, T0)[0].status is S.NOT_SUBSCRIBED
    comma = replace(DG, street=DG.street + "，")
    assert address_fingerprint(comma) == address_fingerprint(DG)  # the normalised comparison sees no change
    world.address = comma  # saved in Seller Center between T0 and T0 + 1 h
    state, found = run(world, T0 + HOUR)
    assert state.status is S.PENDING_REVIEW and state.pending_since == T0  # counted from the last run before
    assert set(found) == {"review_pending"}  # no mode_mismatch: the review leads to the ERP's PICK UP
    assert found["review_pending"].severity is Severity.WARNING
    state, found = run(world, T0 + 23 * HOUR)
    assert set(found) == {"review_pending"}
    pending = found["review_pending"]
    state, found = run(world, T0 + 24 * HOUR)  # the first run at or past 24 h after the save
    stuck = found["review_stuck"]
    assert set(found) == {"review_stuck"} and stuck.severity is Severity.CRITICAL
    # two stages of one drift: the open one escalates (alerted as such), none resolves
    assert stuck.fingerprint == pending.fingerprint
    state, found = run(world, T0 + 15 * DAY)  # no longer bounded by a lookback: still stuck
    assert set(found) == {"review_stuck"} and found["review_stuck"].fingerprint == stuck.fingerprint
    assert "360 h" in found["review_stuck"].message and "14 days" not in found["review_stuck"].message
    world.can_pickup = True  # the provider finally reviews it
    world.print_label("P1", T0 + 15 * DAY + HOUR)
    state, found = run(world, T0 + 15 * DAY + 2 * HOUR)
    assert state.status is S.ACTIVE and found == {}


def test_a_routine_review_is_a_warning_and_nothing_is_planned() -> None:
    world = World(erp_mode=DROP_OFF)
    world.print_label("P0", T0 - DAY)
    assert run(world, T0)[1] == {}  # not subscribed, ERP DROP OFF: in sync
    world.address = replace(DG, street="振安中路 88号 3栋 1楼")  # the seller subscribes
    world.erp_mode = PICKUP  # and the ERP is set to what the review will reach
    state, found = run(world, T0 + HOUR)
    assert state.status is S.PENDING_REVIEW and set(found) == {"review_pending"}
    world.print_label("P1", T0 + 2 * HOUR)  # printed during the review: DROP OFF, which is allowed
    state, found = run(world, T0 + 3 * HOUR)
    assert set(found) == {"review_pending"}
    world.can_pickup = True  # reviewed within 4 h
    state, found = run(world, T0 + 5 * HOUR)
    assert state.status is S.ACTIVE and state.since == T0 + 5 * HOUR and found == {}


def test_a_deliberate_cancellation_is_never_a_stuck_review() -> None:
    world = active_world()
    assert run(world, T0)[1] == {}
    world.erp_mode = DROP_OFF  # the seller goes back to self-shipping
    world.address = replace(DG, street=DG.street + "。")  # re-saved; the provider's call declined
    world.can_pickup = False
    for at in (T0 + HOUR, T0 + 2 * DAY, T0 + 13 * DAY):
        state, found = run(world, at)
        assert state.status is S.CANCELLED and found == {}, found
        assert state.since == T0


def test_a_save_while_the_erp_already_says_drop_off_is_a_review_the_erp_disagrees_with() -> None:
    """Only a save followed by a switch to DROP OFF is a cancellation (docs/domain.md): an ERP on
    DROP OFF before the save, unchanged after it, disagrees with the subscription the save asks for."""
    world = World(erp_mode=DROP_OFF)
    world.print_label("P0", T0 - DAY)
    assert run(world, T0)[1] == {}  # not subscribed, ERP DROP OFF: in sync
    world.address = replace(DG, street=DG.street + "，")  # saved in Seller Center: a subscription request
    state, found = run(world, T0 + HOUR)
    assert state.status is S.PENDING_REVIEW and set(found) == {"review_pending"}
    assert any("has not changed since" in e for e in state.evidence)
    pending = found["review_pending"]
    assert "says DROP OFF, though the save asks for pickup" in pending.message
    assert pending.summary is not None and "但保存即申请揽收" in pending.summary.zh
    assert "--status not_subscribed" in pending.message and "ERP 设置不变" not in pending.summary.zh
    state, found = run(world, T0 + 25 * HOUR)
    advice = found["review_stuck"].why[-1]
    assert "set the ERP to DROP OFF" not in advice.en and "ERP 已设为自寄" in advice.zh
    assert "erpsync pickup confirm --shop acme --warehouse WH-DG --status not_subscribed" in advice.en
    world.can_pickup = True  # the review went through: the ERP's DROP OFF is now a mode mismatch
    state, found = run(world, T0 + 26 * HOUR)
    assert state.status is S.ACTIVE and set(found) == {"mode_mismatch"}
    assert (found["mode_mismatch"].seller_value, found["mode_mismatch"].erp_value) == ("PICK UP", "DROP OFF")


def test_following_the_mode_mismatch_cancel_steps_reads_as_a_cancellation() -> None:
    """Pickup in effect, the ERP says DROP OFF: the mode mismatch's steps to cancel are to re-save
    the address and decline the provider's call. The ERP already says DROP OFF, so it does not
    change; the save, with no activation after it, is the cancellation, never a stuck review."""
    world = World(erp_mode=DROP_OFF, can_pickup=True)
    world.print_label("P0", T0 - HOUR)
    state, found = run(world, T0)
    assert state.status is S.ACTIVE and set(found) == {"mode_mismatch"}
    steps = " ".join(t.en for t in found["mode_mismatch"].steps)
    assert "To cancel" in steps and "save again" in steps
    world.address = replace(DG, street=DG.street + "，")  # the seller follows them
    world.can_pickup = False
    world.print_label("P1", T0 + 2 * HOUR)
    for at in (T0 + 3 * HOUR, T0 + 28 * HOUR, T0 + 9 * DAY):
        world.print_label(f"P-{at:%d%H}", at - HOUR)
        state, found = run(world, at)
        assert state.status is S.CANCELLED and found == {}, (state.status, set(found))
    assert "as the steps to cancel pickup have it" in state.why[-1].en and "与取消揽收的步骤一致" in state.why[-1].zh
    world.can_pickup = True  # had the save gone through instead, pickup is back in effect: the mismatch too
    state, found = run(world, T0 + 10 * DAY)
    assert state.status is S.ACTIVE and set(found) == {"mode_mismatch"}


def record(world: World, status: S, at: datetime) -> None:
    """An operator's ``erpsync pickup confirm`` at ``at``, valid for a week."""
    world.memory.confirmations["WH-DG"] = PickupConfirmation("WH-DG", status, at, at + 7 * DAY)


def test_a_stuck_review_that_an_operators_record_holds_advises_a_new_record() -> None:
    """No save is known: the review is the operator's record, which the ERP's mode cannot end."""
    world = World(erp_mode=PICKUP)
    world.print_label("P0", T0 - DAY)
    record(world, S.PENDING_REVIEW, T0)
    state, found = run(world, T0 + 25 * HOUR)
    assert (state.status, state.confidence) == (S.PENDING_REVIEW, "operator") and set(found) == {"review_stuck"}
    advice = found["review_stuck"].why[-1]
    assert "set the ERP to DROP OFF" not in advice.en and "ERP 设为自寄" not in advice.zh
    assert "this review is an operator's record" in advice.en and "来自操作员的记录" in advice.zh
    assert "erpsync pickup confirm --shop acme --warehouse WH-DG --status not_subscribed" in advice.en
    assert "erpsync pickup confirm --shop acme --warehouse WH-DG --status not_subscribed" in advice.zh
    world.erp_mode = DROP_OFF  # what the advice said before: it does not end the review
    assert run(world, T0 + 26 * HOUR)[0].status is S.PENDING_REVIEW
    record(world, S.NOT_SUBSCRIBED, T0 + 27 * HOUR)  # what it says now does
    state, found = run(world, T0 + 28 * HOUR)
    assert state.status is S.NOT_SUBSCRIBED and found == {}


def test_the_erp_switched_to_drop_off_after_a_save_ends_a_review_a_newer_record_holds() -> None:
    """A save is known and the ERP says PICK UP: switching it to DROP OFF ends the review, as the
    advice says, even when an operator recorded the review after the save (the switch is newer)."""
    world = active_world()
    run(world, T0)
    world.can_pickup = False  # pickup stopped being offered: a save
    run(world, T0 + HOUR)
    record(world, S.PENDING_REVIEW, T0 + 2 * HOUR)
    state, found = run(world, T0 + 30 * HOUR)
    assert state.status is S.PENDING_REVIEW and "set the ERP to DROP OFF" in found["review_stuck"].why[-1].en
    world.erp_mode = DROP_OFF
    state, found = run(world, T0 + 31 * HOUR)
    assert state.status is S.CANCELLED and found == {}
    assert any("overrides the operator's record" in e for e in state.evidence)


def test_a_declined_call_recorded_as_advised_stays_declined_after_the_record_expires() -> None:
    """A shop on DROP OFF re-saves its address and declines the provider's call; the stuck review's
    advice is to record it. The record expires (a week here); the save it answered does not come
    back as a review. A newer save is a new review."""
    world = World(erp_mode=DROP_OFF)
    world.print_label("P0", T0 - DAY)
    assert run(world, T0)[1] == {}
    world.address = replace(DG, street=DG.street + "，")  # the save
    run(world, T0 + HOUR)
    state, found = run(world, T0 + 26 * HOUR)
    advice = found["review_stuck"].why[-1]
    assert set(found) == {"review_stuck"} and "--status not_subscribed" in advice.en
    assert "keeps this answer for the save after the record expires" in advice.en and "记录过期后" in advice.zh
    record(world, S.NOT_SUBSCRIBED, T0 + 27 * HOUR)  # what the advice says
    world.print_label("P1", T0 + 28 * HOUR)  # the seller keeps shipping DROP OFF
    state, found = run(world, T0 + 30 * HOUR)
    assert (state.status, state.confidence) == (S.NOT_SUBSCRIBED, "operator") and found == {}
    for at in (T0 + 9 * DAY, T0 + 40 * DAY):  # the record has expired
        world.print_label(f"P-{at:%d}", at - HOUR)
        state, found = run(world, at)
        assert state.status is S.NOT_SUBSCRIBED and found == {}, (state.status, set(found))
    assert "the record's expiry does not reopen the review" in state.why[-1].en
    world.address = DG  # saved again: a new subscription request
    state, found = run(world, T0 + 40 * DAY + HOUR)
    assert state.status is S.PENDING_REVIEW and set(found) == {"review_pending"}


def test_a_declined_call_recorded_after_pickup_was_seen_in_effect_stays_declined_after_the_record_expires() -> None:
    """A save while pickup is in effect; the warehouse goes quiet (no package in the lookback, the
    slots unread); the seller declines the provider's call and an operator records it, the ERP
    following. The record is newer than the last run that saw pickup in effect: once it expires,
    the older activation does not make the warehouse ACTIVE again (nor reopen a mode_mismatch)."""
    world = World(can_pickup=True, erp_mode=PICKUP)
    world.print_label("P0", T0 - HOUR)
    run(world, T0)
    world.address = replace(DG, street=DG.street + "，")  # a save; pickup stays in effect
    assert run(world, T0 + HOUR)[0].status is S.ACTIVE
    record(world, S.NOT_SUBSCRIBED, T0 + 20 * DAY)
    world.erp_mode = DROP_OFF
    state, found = run(world, T0 + 20 * DAY + HOUR)
    assert state.status is S.NOT_SUBSCRIBED and found == {}
    for at in (T0 + 28 * DAY, T0 + 40 * DAY):  # the record has expired
        state, found = run(world, at)
        assert state.status is S.NOT_SUBSCRIBED and found == {}, (state.status, set(found))
    assert "the record's expiry does not reopen the review" in state.why[-1].en


def test_pickup_seen_in_effect_after_a_recorded_decline_wins_once_the_record_expires() -> None:
    """As above, but the provider's pickup is seen in effect after the record (the slots offer it):
    that is newer evidence, so once the warehouse is quiet and the record expired, it is ACTIVE."""
    world = World(can_pickup=True, erp_mode=PICKUP)
    world.print_label("P0", T0 - HOUR)
    run(world, T0)
    world.address = replace(DG, street=DG.street + "，")
    run(world, T0 + HOUR)
    record(world, S.NOT_SUBSCRIBED, T0 + 20 * DAY)
    assert run(world, T0 + 20 * DAY + HOUR)[0].status is S.NOT_SUBSCRIBED
    world.print_label("P1", T0 + 21 * DAY)  # the slots offer pickup again: newer than the record
    assert run(world, T0 + 21 * DAY + HOUR)[0].status is S.ACTIVE
    state, _ = run(world, T0 + 40 * DAY)  # quiet, the record expired
    assert state.status is S.ACTIVE


def test_a_save_then_the_erp_switched_to_drop_off_stays_declined_without_a_record() -> None:
    """The advised way for an ERP on PICK UP: switched to DROP OFF after the save, it needs no record."""
    world = World(erp_mode=PICKUP)
    world.print_label("P0", T0 - DAY)
    run(world, T0)
    world.address = replace(DG, street=DG.street + "，")
    run(world, T0 + HOUR)
    world.erp_mode = DROP_OFF
    run(world, T0 + 2 * HOUR)
    world.print_label("P2", T0 + 9 * DAY)
    state, found = run(world, T0 + 9 * DAY)
    assert state.status is S.NOT_SUBSCRIBED and found == {}


def test_an_erp_row_missing_for_one_run_is_no_switch_to_drop_off() -> None:
    """The ERP said DROP OFF since before the save; one run it reads fine but lists no row bound to
    the warehouse ("none"). The same DROP OFF back is no switch after the save: the review goes on."""
    world = World(erp_mode=DROP_OFF)
    world.print_label("P0", T0 - DAY)
    run(world, T0)
    world.address = replace(DG, street=DG.street + "，")
    assert run(world, T0 + HOUR)[0].status is S.PENDING_REVIEW
    world.erp_bound = False
    run(world, T0 + 2 * HOUR)
    world.erp_bound = True
    state, found = run(world, T0 + 3 * HOUR)
    assert state.status is S.PENDING_REVIEW and set(found) == {"review_pending"}


def test_a_review_that_ends_in_a_cancellation_resolves_the_stuck_alert() -> None:
    world = active_world()
    run(world, T0)
    world.can_pickup = False  # pickup stopped being offered: a save
    state, found = run(world, T0 + HOUR)
    assert state.status is S.PENDING_REVIEW and state.save is not None and state.save.at == T0
    assert set(run(world, T0 + 30 * HOUR)[1]) == {"review_stuck"}
    world.erp_mode = DROP_OFF  # the seller declined: the operator sets the ERP accordingly
    state, found = run(world, T0 + 31 * HOUR)
    assert state.status is S.CANCELLED and found == {}


def test_a_completed_review_stays_active_when_the_warehouse_goes_quiet() -> None:
    world = World()
    world.print_label("P0", T0 - DAY)
    run(world, T0)
    world.address = replace(DG, street=DG.street + " ")
    run(world, T0 + HOUR)
    world.can_pickup = True
    world.print_label("P1", T0 + 4 * HOUR)
    assert run(world, T0 + 5 * HOUR)[0].status is S.ACTIVE
    state, found = run(world, T0 + 30 * DAY)  # every package left the lookback window
    assert state.status is S.ACTIVE and state.confidence == "weak" and found == {}


def test_a_drift_that_turns_the_other_way_is_a_new_drift() -> None:
    world = active_world()
    world.can_pickup, world.erp_mode = False, PICKUP
    first = run(world, T0)[1]["mode_mismatch"]
    world.can_pickup, world.erp_mode = True, DROP_OFF
    second = run(world, T0 + HOUR)[1]["mode_mismatch"]
    assert (first.seller_value, first.erp_value, second.seller_value, second.erp_value) == (
        "DROP OFF",
        "PICK UP",
        "PICK UP",
        "DROP OFF",
    )
    assert first.fingerprint != second.fingerprint


def test_a_long_gap_between_runs_counts_from_the_run_that_saw_the_save() -> None:
    world = World()
    world.print_label("P0", T0 - DAY)
    run(world, T0)
    world.address = replace(DG, street=DG.street + ",")
    state, found = run(world, T0 + 3 * DAY)  # erpsync did not run for three days
    assert state.save is not None and (state.save.after, state.save.at) == (T0, T0 + 3 * DAY)
    assert set(found) == {"review_pending"}
    assert "counted from 2024-05-04 09:00 Beijing time" in state.save.basis.en


def test_parcels_collected_before_a_fix_raise_no_label_alert() -> None:
    world = active_world()
    world.erp_mode = DROP_OFF
    world.print_label("P1", T0 - 30 * HOUR, status="FULFILLING")  # already collected
    world.packages.append(PackageSignal("P2", "WH-DG", DROP_OFF, None, T0 - 20 * HOUR, "PROCESSING"))
    found = run(world, T0)[1]
    assert found["label_mode_mismatch"].erp_value == "1 package(s) labelled DROP OFF: P2"
    world.packages[-1] = replace(world.packages[-1], status="FULFILLING")  # handed over to the carrier
    world.erp_mode = PICKUP
    assert run(world, T0 + HOUR)[1] == {}
