"""Runs whose handover slots cannot be read, after an operator's record of a declined call expired.

The runs of ``test_pickup_runs.py``, with a seller whose slot read fails for the runs a test says
(``FlakySlots``): the package read still answers, so the state rests on the packages in the lookback
and on what erpsync remembers, and it must not flip from one run to the next with the slot read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from test_pickup_runs import DAY, DG, DROP_OFF, HOUR, PICKUP, T0, World, record, run

from erpsync.core.models import PickupSignals, RecordError, Records
from erpsync.core.models import SubscriptionStatus as S
from erpsync.core.store import Store


@dataclass
class FlakySlots(World):
    """``World`` whose slot read fails while ``slots_fail`` says so: "error" (the read of the slots
    failed, an error of the warehouse) or "missing" (no slots came back for the warehouse)."""

    slots_fail: str | None = None

    def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        read = super().read_pickup_signals(warehouse_ids, since=since)
        if self.slots_fail is None or not read.items:
            return read
        signals = read.items[0]
        if self.slots_fail == "missing":
            return Records((replace(signals, slots=None),))
        package = signals.packages[-1].id
        error = RecordError("rate limited", record="warehouse WH-DG", field=f"handover slots of package {package}")
        return Records((replace(signals, slots=None, errors=(error,)),), (error,))


def declined_then_offered(
    slots_fail: str, world: FlakySlots | None = None, confirm: Callable[[datetime], None] | None = None
) -> FlakySlots:
    """A save while pickup is in effect, a PICK UP parcel, then an operator's record of a declined
    call (valid a week, from T0 + 11 days: ``confirm``), while the slots still offer pickup after it."""
    world = world or FlakySlots(can_pickup=True, erp_mode=PICKUP)
    world.print_label("P0", T0 - HOUR)
    run(world, T0)
    world.address = replace(DG, street=DG.street + "，")  # a save; pickup stays in effect
    assert run(world, T0 + HOUR)[0].status is S.ACTIVE
    world.print_label("P1", T0 + 10 * DAY)  # PICK UP: older than the record, newer than the save
    assert run(world, T0 + 10 * DAY + HOUR)[0].status is S.ACTIVE
    if confirm is None:
        record(world, S.NOT_SUBSCRIBED, T0 + 11 * DAY)
    else:
        confirm(T0 + 11 * DAY)
    state, found = run(world, T0 + 12 * DAY)  # the slots offer pickup after the record: they win
    assert state.status is S.ACTIVE and found == {}
    assert any("overrides the operator's record" in e for e in state.evidence)
    world.slots_fail = slots_fail
    return world


def test_a_failed_slot_read_after_an_expired_decline_keeps_pickup_seen_since_in_effect() -> None:
    """The slots offered pickup after the record was made: that is newer than the decline. Once the
    record expires, a run whose slot read fails, with only the older PICK UP parcel in the
    lookback, stays ACTIVE (no mode_mismatch, nothing a seller-wins policy would write), and so
    does the next run that reads the slots."""
    for slots_fail in ("error", "missing"):
        world = declined_then_offered(slots_fail)
        for at in (T0 + 19 * DAY, T0 + 20 * DAY):  # the record expired at T0 + 18 days; P1 is in the lookback
            state, found = run(world, at)
            assert (state.status, found) == (S.ACTIVE, {}), (slots_fail, at, state.status, set(found))
        world.slots_fail = None
        state, found = run(world, T0 + 21 * DAY)
        assert (state.status, found) == (S.ACTIVE, {}), (slots_fail, state.status, set(found))
        world.slots_fail = slots_fail
        state, found = run(world, T0 + 22 * DAY)
        assert (state.status, found) == (S.ACTIVE, {}), (slots_fail, state.status, set(found))
        state, found = run(world, T0 + 40 * DAY)  # quiet: every package left the lookback
        assert (state.status, found) == (S.ACTIVE, {}), (slots_fail, state.status, set(found))


def test_the_slots_sighting_after_the_record_is_kept_in_the_real_store(tmp_path: Path) -> None:
    """As above, with the state store's memory: the sighting outlives the runs that read no slots."""
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        world = FlakySlots(can_pickup=True, erp_mode=PICKUP, memory=store.observations.for_shop("acme"))

        def confirm(at: datetime) -> None:
            store.confirmations.confirm("acme", "WH-DG", "not_subscribed", now=at, expires_at=at + 7 * DAY)

        declined_then_offered("error", world, confirm)
        run(world, T0 + 15 * DAY)  # the slot read fails while the record is in force: it decides
        for at in (T0 + 19 * DAY, T0 + 20 * DAY):  # expired
            state, found = run(world, at)
            assert (state.status, found) == (S.ACTIVE, {}), (at, state.status, set(found))


def test_a_failed_slot_read_after_an_expired_decline_not_contradicted_keeps_the_decline() -> None:
    """Nothing showed pickup in effect after the record (the slots were never read under it): the
    decline is newer than the PICK UP parcel, so it still answers the save once it expires."""
    world = FlakySlots(can_pickup=True, erp_mode=PICKUP)
    world.print_label("P0", T0 - HOUR)
    run(world, T0)
    world.address = replace(DG, street=DG.street + "，")
    run(world, T0 + HOUR)
    world.print_label("P1", T0 + 10 * DAY, status="FULFILLING")  # collected: no label alert
    assert run(world, T0 + 10 * DAY + HOUR)[0].status is S.ACTIVE
    record(world, S.NOT_SUBSCRIBED, T0 + 11 * DAY)
    world.slots_fail = "error"
    world.erp_mode = DROP_OFF  # the ERP follows the record
    for at in (T0 + 12 * DAY, T0 + 19 * DAY, T0 + 20 * DAY):  # under the record, then expired
        state, found = run(world, at)
        assert (state.status, found) == (S.NOT_SUBSCRIBED, {}), (at, state.status, set(found))


def test_pickup_offered_after_the_record_expired_outlives_a_failed_slot_read() -> None:
    """No run read the slots while the record was in force; the first run after it expired does,
    and they offer pickup: newer than the decline. A run whose slot read then fails stays ACTIVE,
    so the mode_mismatch against the ERP, which followed the record to DROP OFF, stays open
    instead of resolving and opening again with the slot read."""
    world = FlakySlots(can_pickup=True, erp_mode=PICKUP)
    world.print_label("P0", T0 - HOUR)
    run(world, T0)
    world.address = replace(DG, street=DG.street + "，")
    run(world, T0 + HOUR)
    world.print_label("P1", T0 + 10 * DAY)
    assert run(world, T0 + 10 * DAY + HOUR)[0].status is S.ACTIVE
    record(world, S.NOT_SUBSCRIBED, T0 + 11 * DAY)
    world.erp_mode, world.slots_fail = DROP_OFF, "missing"
    assert run(world, T0 + 12 * DAY)[0].status is S.NOT_SUBSCRIBED  # the record decides weak, older evidence
    world.slots_fail = None
    state, found = run(world, T0 + 19 * DAY)  # expired; the slots offer pickup
    assert state.status is S.ACTIVE and set(found) == {"mode_mismatch"}
    mismatch = found["mode_mismatch"]
    world.slots_fail = "missing"
    for at in (T0 + 20 * DAY, T0 + 21 * DAY):
        state, found = run(world, at)
        assert state.status is S.ACTIVE and set(found) == {"mode_mismatch"}, (at, state.status, set(found))
        assert found["mode_mismatch"].fingerprint == mismatch.fingerprint
