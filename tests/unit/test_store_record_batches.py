"""Recording many drifts at once costs a few statements, not one per drift: 2,000 tracking numbers
pushed open 2,000 drifts in one run and resolve them in its re-read, and a statement built and sent
per drift (and per alert) cost seconds on the run's critical path. Statements are counted with
SQLAlchemy's ``before_cursor_execute`` event on the real store (SQLite, and PostgreSQL when one is
configured); what the batched writes leave in the store is checked row by row."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from store_shop_setup import T0, drift, statements, store_fixture  # noqa: F401 (the fixture ``store``)

from erpsync.core.models import Drift, Severity
from erpsync.core.store import AlertKind, DriftRow, OutboxItem, Store


def drifts(n: int, *, severity: Severity = Severity.WARNING, erp: str = "139") -> list[Drift]:
    """``n`` drifts of shop "acme", one per warehouse, listed in a shuffled order (not by subject)."""
    order = sorted(range(n), key=lambda i: (i * 7) % n)
    return [replace(drift(), subject=f"WH-{i}", severity=severity, erp_value=erp) for i in order]


def one_alert(kind: AlertKind, row: DriftRow) -> list[OutboxItem]:
    return [OutboxItem(f"{kind}-{row.id}", "hook", {"severity": row.severity.value}, drift_id=row.id)]


def sent_by_record(store: Store, run: int, found: list[Drift]) -> list[str]:
    """The statements one ``record`` of ``found`` sends, with an alert per change."""
    with statements(store) as sent:
        store.drifts.record(
            "acme", "warehouse_address", found, now=T0 + timedelta(minutes=run), run_id=f"r{run}", alerts=one_alert
        )
    return sent


def test_the_statements_of_a_record_do_not_grow_with_its_drifts(store: Store) -> None:
    few: list[int] = []
    for run, found in enumerate([drifts(3), drifts(3, erp="140"), []]):  # opened, seen again, resolved
        few.append(len(sent_by_record(store, run, found)))
    store.drifts.record("acme", "warehouse_address", [], now=T0, run_id="clean")
    many: list[int] = []
    for run, found in enumerate([drifts(40), drifts(40, erp="140"), []]):
        many.append(len(sent_by_record(store, run + 10, found)))
    assert few == many, (few, many)


def test_batched_writes_open_update_and_alert_each_drift_in_the_order_given(store: Store) -> None:
    found = drifts(30)
    changes = store.drifts.record("acme", "warehouse_address", found, now=T0, run_id="r1", alerts=one_alert)
    assert [r.fingerprint for r in changes.opened] == [d.fingerprint for d in found]
    assert [r.subject for r in changes.opened] == [d.subject for d in found]
    assert len({r.id for r in changes.opened}) == 30
    assert [r.id for r in store.outbox.all_pending()] == [f"opened-{r.id}" for r in changes.opened]

    later = T0 + timedelta(minutes=1)
    worse = drifts(30, severity=Severity.CRITICAL, erp="140")
    again = store.drifts.record("acme", "warehouse_address", worse, now=later, run_id="r2", alerts=one_alert)
    ids = {r.fingerprint: r.id for r in changes.opened}
    assert [(r.id, r.erp_value, r.severity, r.last_seen_at) for r in again.still_open] == [
        (ids[d.fingerprint], "140", Severity.CRITICAL, later) for d in worse
    ]
    assert [r.id for r in again.escalated] == [ids[d.fingerprint] for d in worse]
    assert {r.id for r in store.drifts.list_open("acme")} == set(ids.values())
    assert len(store.outbox.all_pending()) == 60


def test_an_alert_given_twice_in_one_batch_is_written_once(store: Store) -> None:
    first = OutboxItem("alrt_a", "hook", {"message": "a"})
    assert store.outbox.add([first], now=T0) == ["alrt_a"]
    batch = [OutboxItem("alrt_b", "hook", {"message": "b"}), first, OutboxItem("alrt_b", "hook", {"message": "b2"})]
    batch += [OutboxItem("alrt_c", "hook", {"message": "c"})]
    assert store.outbox.add(batch, now=T0) == ["alrt_b", "alrt_c"]
    b = store.outbox.get("alrt_b")
    assert b is not None and b.event == {"message": "b"}  # the first of an id given twice is kept
    assert [r.id for r in store.outbox.all_pending()] == ["alrt_a", "alrt_b", "alrt_c"]
