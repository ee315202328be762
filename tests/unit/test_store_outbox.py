"""store.outbox on every engine: ids written once, retries, expiry, and the same order everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from store_backends import BACKENDS, open_store

from erpsync.core.models import Severity
from erpsync.core.store import OutboxItem, Retention, Store
from erpsync.core.store.outbox import alerted_severity
from erpsync.core.store.schema import alert_outbox

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


def test_ids_are_written_once_retried_expired_and_pruned(store: Store) -> None:
    items = [OutboxItem(f"alrt_{n}", "hook", {"message": str(n)}) for n in range(3)]
    assert store.outbox.add(items, now=T0) == ["alrt_0", "alrt_1", "alrt_2"]
    assert store.outbox.add(items[:1], now=T0) == []  # the same id twice: one alert
    later = T0 + timedelta(minutes=5)
    store.outbox.mark_failed("alrt_0", now=T0, error="busy", retry_at=later)
    store.outbox.mark_failed("alrt_1", now=T0, error="refused", retry_at=None)
    store.outbox.mark_delivered("alrt_2", now=T0, answer="ok")
    assert [r.id for r in store.outbox.all_pending()] == ["alrt_0"]
    assert store.outbox.due(now=T0) == [] and [r.id for r in store.outbox.due(now=later, sink="hook")] == ["alrt_0"]
    assert store.outbox.messages_since("hook", T0 - timedelta(seconds=60), until=T0) == 1
    failed = store.outbox.get("alrt_1")
    assert failed is not None and (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "refused")
    (gone,) = store.outbox.expire(now=T0 + timedelta(hours=73), older_than=timedelta(hours=72))
    assert (gone.id, gone.status) == ("alrt_0", "expired")
    removed = store.prune(Retention(), now=T0 + timedelta(days=31))
    assert removed["alerts (delivered, failed or expired)"] == 3


def test_alerts_without_a_drift_come_first_within_a_moment_on_every_engine(store: Store) -> None:
    store.outbox.add([OutboxItem("b", "hook", {}, drift_id=2), OutboxItem("c", "hook", {}, drift_id=1)], now=T0)
    store.outbox.add([OutboxItem("z", "hook", {})], now=T0)  # token trouble: no drift
    store.outbox.add([OutboxItem("a", "hook", {}, drift_id=1)], now=T0 + timedelta(seconds=1))
    assert [r.id for r in store.outbox.all_pending()] == ["z", "c", "b", "a"]
    assert [r.id for r in store.outbox.due(now=T0 + timedelta(seconds=1))] == ["z", "c", "b", "a"]
    assert [r.id for r in store.outbox.recent()] == ["a", "b", "c", "z"]


def test_a_resolving_drifts_alerts_are_read_through_the_drift_id_index(store: Store) -> None:
    """``alerted_severity`` runs inside ``drifts.record``'s write transaction on every record that
    resolves something: scanning every alert kept there held the writer for tens of milliseconds."""
    items = [OutboxItem(f"alrt_{n}", "hook", {"severity": "warning"}, drift_id=n % 3) for n in range(6)]
    items.append(OutboxItem("alrt_top", "hook", {"severity": "critical"}, drift_id=2))
    store.outbox.add(items, now=T0)
    read = select(alert_outbox.c.drift_id, alert_outbox.c.event).where(alert_outbox.c.drift_id.in_([2]))
    sql = str(read.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.engine.begin() as conn:
        assert alerted_severity(conn, [1, 2, 9]) == {1: Severity.WARNING, 2: Severity.CRITICAL}
        if conn.dialect.name == "postgresql":  # a handful of rows: the planner would scan them anyway
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(str(r[0]) for r in conn.execute(text(f"EXPLAIN {sql}")))
        else:
            plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "ix_alert_outbox_drift_id" in plan, plan


def test_a_hold_is_renewed_only_on_the_alerts_still_held_on_every_engine(store: Store) -> None:
    store.outbox.add([OutboxItem(f"alrt_{n}", "hook", {}) for n in range(3)], now=T0)
    held = T0 + timedelta(seconds=90)
    assert store.outbox.claim(["alrt_0", "alrt_1", "alrt_2"], now=T0, until=held) == {"alrt_0", "alrt_1", "alrt_2"}
    store.outbox.mark_delivered("alrt_0", now=T0, answer="ok")
    store.outbox.release(["alrt_1"], taken_until=held, now=T0)  # another process's pass may take it
    later = T0 + timedelta(seconds=120)
    assert store.outbox.renew(["alrt_0", "alrt_1", "alrt_2"], taken_until=held, until=later) == {"alrt_2"}
    assert [(r.id, r.next_attempt_at) for r in store.outbox.all_pending()] == [("alrt_1", T0), ("alrt_2", later)]


def test_a_rate_limit_counts_messages_a_digest_once_on_every_engine(store: Store) -> None:
    """The alerts of one digest share their delivered_at: one message, as the channel counts it."""
    store.outbox.add([OutboxItem(f"alrt_{n}", "zh", {}) for n in range(4)], now=T0)
    store.outbox.add([OutboxItem("alrt_en", "en", {})], now=T0)
    for n in range(3):  # a digest of three
        store.outbox.mark_delivered(f"alrt_{n}", now=T0, answer="ok")
    store.outbox.mark_delivered("alrt_3", now=T0 + timedelta(microseconds=1), answer="ok")
    store.outbox.mark_delivered("alrt_en", now=T0, answer="ok")  # another sink at the same moment
    assert store.outbox.messages_since("zh", T0, until=T0 + timedelta(seconds=1)) == 2
    assert store.outbox.messages_since(["zh", "en"], T0, until=T0 + timedelta(seconds=1)) == 3
    assert (
        store.outbox.messages_since(["zh", "en"], T0 + timedelta(microseconds=1), until=T0 + timedelta(seconds=1)) == 1
    )
    # sent while the wall clock ran ahead: not counted once it is stepped back
    assert store.outbox.messages_since(["zh", "en"], T0 - timedelta(seconds=60), until=T0 - timedelta(seconds=1)) == 0
