"""A shop's run reads the store once per question, not once per aspect: which aspects have an open
drift is read as the lease is taken, and the lease as taken needs no second read. Statements are
counted with SQLAlchemy's ``before_cursor_execute`` event on the real store (SQLite, and
PostgreSQL when one is configured), so a change that puts a query back on the hot path fails here.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from store_shop_setup import T0, drift, statements, store_fixture  # noqa: F401 (the fixture ``store``)
from test_batched_writes import make_syncer

from erpsync.core.store import Store
from erpsync.core.store.leases import this_host

BOTH = '"warehouse_address", "pickup"'


def test_open_aspects_names_the_aspects_with_an_open_drift(store: Store) -> None:
    assert store.drifts.open_aspects("acme") == frozenset()
    store.drifts.record("acme", "warehouse_address", [drift()], now=T0, run_id="r1")
    store.drifts.record("acme", "pickup", [drift("pickup")], now=T0, run_id="r1")
    store.drifts.record("acme", "pickup", [], now=T0, run_id="r2")  # resolved
    assert store.drifts.open_aspects("acme") == frozenset({"warehouse_address"})
    assert store.drifts.open_aspects("other") == frozenset()


def test_open_subjects_names_each_subject_with_an_open_drift_once(store: Store) -> None:
    """What the order-status aspect reads again by id each run (``ObserveContext.open_subjects``)."""
    from dataclasses import replace

    phone, name = drift(), replace(drift(), field="name")
    store.drifts.record("acme", "warehouse_address", [phone, name, replace(phone, subject="WH-2")], now=T0, run_id="r1")
    store.drifts.record("acme", "warehouse_address", [phone, name], now=T0, run_id="r2")  # WH-2 resolved
    with statements(store) as sent:
        assert store.drifts.open_subjects("acme", "warehouse_address") == frozenset({"WH-1"})
    assert len(sent) == 1
    assert store.drifts.open_subjects("acme", "pickup") == store.drifts.open_subjects("other", "x") == frozenset()


def test_nothing_seen_and_known_none_open_sends_no_statement(store: Store) -> None:
    with statements(store) as sent:
        changes = store.drifts.record("acme", "warehouse_address", [], now=T0, run_id="r1", none_open=True)
    assert sent == [] and changes.opened == changes.still_open == changes.resolved == []
    with statements(store) as sent:
        store.drifts.record("acme", "warehouse_address", [], now=T0, run_id="r1")
    assert len(sent) == 1  # unknown: one read says there is nothing to resolve


def test_known_none_open_still_opens_what_was_seen(store: Store) -> None:
    changes = store.drifts.record("acme", "warehouse_address", [drift()], now=T0, run_id="r1", none_open=True)
    assert [row.fingerprint for row in changes.opened] == [drift().fingerprint]
    assert store.drifts.open_aspects("acme") == frozenset({"warehouse_address"})


def test_holding_a_lease_reads_nothing_after_taking_it(store: Store) -> None:
    with statements(store) as sent, store.leases.hold("shop:acme", owner="run-1", ttl_seconds=60) as held:
        taken = list(sent)
        assert store.leases.get("shop:acme") == held  # what the block is given is what was written
    assert len(taken) == 1 and taken[0].upper().startswith("INSERT INTO LOCKS")
    assert (held.owner, held.fence) == ("run-1", 1)
    assert store.leases.get("shop:acme") is None  # released


def test_a_lease_taken_over_from_a_gone_holder_is_given_as_written(store: Store) -> None:
    assert store.leases.acquire("shop:acme", owner="dead", ttl_seconds=60, now=T0, host=this_host(), pid=1)
    with store.leases.hold(
        "shop:acme", owner="run-2", ttl_seconds=60, clock=lambda: T0 + timedelta(seconds=1), is_alive=lambda _: False
    ) as held:
        assert store.leases.get("shop:acme") == held
    assert (held.owner, held.fence, held.acquired_at) == ("run-2", 2, T0 + timedelta(seconds=1))


def count_drift_reads(tmp_path: Path, *, wrong_phones: int) -> tuple[int, Store]:
    """Statements on the drifts table in the second plan run of a two-aspect shop, and its store."""
    syncer = make_syncer(tmp_path, 2, wrong_phones=wrong_phones, aspects=BOTH)
    syncer.run()
    with statements(syncer.store) as sent:
        report = syncer.run()
    ran = [a.aspect for a in report.shops[0].aspects if not any("not enabled" in n for n in a.notes)]
    assert report.shops[0].error is None and ran == ["warehouse_address", "pickup"]
    return sum(" drifts" in s for s in sent), syncer.store


def test_a_steady_shop_reads_its_drifts_once_whatever_its_aspects(tmp_path: Path) -> None:
    reads, store = count_drift_reads(tmp_path, wrong_phones=0)
    assert reads == 1  # open_aspects as the lease is taken; neither aspect asks again
    store.close()


def test_an_open_drift_is_kept_open_and_its_aspect_checked(tmp_path: Path) -> None:
    reads, store = count_drift_reads(tmp_path, wrong_phones=1)
    assert reads > 1  # the aspect with an open drift records it as still open
    assert [row.field for row in store.drifts.list_open("s")] == ["phone"]
    store.close()


def test_a_drift_opened_and_fixed_in_one_run_resolves_in_that_run(tmp_path: Path) -> None:
    """The aspect had no open drift as the lease was taken; the re-read after the fix must resolve it."""
    syncer = make_syncer(tmp_path, 2, wrong_phones=1, aspects=BOTH)
    report = syncer.run(apply=True)
    assert report.shops[0].error is None
    assert syncer.store.drifts.list_open("s") == []
    lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["event"] for x in lines] == ["opened", "resolved"]
    syncer.close()


def test_a_drift_fixed_outside_resolves_on_the_next_run(tmp_path: Path) -> None:
    syncer = make_syncer(tmp_path, 2, wrong_phones=1, aspects=BOTH)
    syncer.run()
    assert len(syncer.store.drifts.list_open("s")) == 1
    syncer.close()
    fixed = make_syncer(tmp_path, 2, wrong_phones=0, aspects=BOTH)  # the ERP file rewritten, right
    report = fixed.run()
    assert report.shops[0].aspects[0].resolved and fixed.store.drifts.list_open("s") == []
    fixed.close()


def test_the_deferred_memory_reads_the_shops_pickup_confirmations_once(store: Store) -> None:
    """The pickup aspect asks for every warehouse's confirmation: a shop of many warehouses is one
    read, answered as the store answers each (an expired record, or another shop's, is None)."""
    later = T0 + timedelta(days=1)
    store.confirmations.confirm("acme", "WH-1", "active", now=T0, expires_at=later, note="seen")
    store.confirmations.confirm("acme", "WH-2", "not_subscribed", now=T0, expires_at=T0 + timedelta(hours=1))
    store.confirmations.confirm("other", "WH-3", "active", now=T0, expires_at=later)
    memory = store.observations.for_shop("acme", deferred=True)
    now = T0 + timedelta(hours=2)
    with statements(store) as sent:
        answers = {w: memory.pickup_confirmation(w, now) for w in [f"WH-{i}" for i in range(1, 300)]}
    assert len(sent) == 1
    assert answers == {w: store.confirmations.get("acme", w, now=now) for w in answers}
    assert answers["WH-1"] is not None and answers["WH-1"].note == "seen"
    assert answers["WH-2"] is None and answers["WH-3"] is None
