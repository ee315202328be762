"""Time to read a resolving drift's alerts from an outbox keeping 50,000 alerts.

``drifts.record`` reads the highest severity each resolved drift was alerted at
(``outbox.alerted_severity``) inside its write transaction, on every record that resolves
something: a slow read there holds SQLite's one writer, and on PostgreSQL the drift rows' locks,
for that long. The outbox is filled with ``--alerts`` rows (four sinks per drift, as a config with
several channels writes them), then ``alerted_severity`` is timed for one drift and for 20, each
inside a write transaction, as ``drifts.record`` calls it. Prints the median and the query plan,
and ends with one line ``outbox_by_drift: key=value ...`` (``indexed=1``: the plan uses an index).

    .venv/bin/python bench/outbox_by_drift.py [--alerts 50000] [--repeat 50] [--url URL]

Without ``--url`` the store is a new SQLite file; a PostgreSQL URL must name a database the bench
may fill (it adds rows to ``alert_outbox`` and deletes them at the end).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from erpsync.core.store import Store
from erpsync.core.store.outbox import alerted_severity
from erpsync.core.store.schema import alert_outbox

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
SINKS = ("dingtalk", "feishu", "log", "jsonl")
_SEVERITIES = ("info", "warning", "critical")
PREFIX = "bench-outbox-by-drift"


def event(i: int) -> dict[str, object]:
    """An alert as ``AlertEvent.as_dict`` stores it, with texts of a pickup drift's usual length."""
    texts = {"en": "W1: pickup subscription is PENDING_REVIEW in Seller Center but PICK UP in the ERP",
             "zh": "W1：揽收订阅在商家后台为审核中，ERP 为上门揽收"}  # fmt: skip
    return {
        "event": "opened", "shop": f"shop-{i % 500}", "aspect": "pickup", "kind": "review_stuck", "subject": "W1",
        "field": "subscription_status", "seller_value": "PENDING_REVIEW", "erp_value": "PICK_UP",
        "severity": _SEVERITIES[i % 3], "message": texts["en"], "fingerprint": f"{i:064x}",
        "at": NOW.isoformat(), "run_id": f"run-{i}", "summary": texts, "why": [texts, texts],
        "steps": [texts, texts, texts], "lang": "en", "id": f"{PREFIX}-{i}", "first_seen": NOW.isoformat(), "fix": None,
    }  # fmt: skip


def fill(store: Store, alerts: int) -> int:
    """Write ``alerts`` delivered alert rows, one per sink and drift; how many drifts they name."""
    rows = [
        {"id": f"{PREFIX}-{i}", "sink": SINKS[i % len(SINKS)], "status": "delivered", "attempts": 1,
         "event": event(i), "created_at": NOW, "next_attempt_at": NOW, "delivered_at": NOW,
         "drift_id": 1_000_000 + i // len(SINKS)}
        for i in range(alerts)
    ]  # fmt: skip
    with store.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(alert_outbox.insert(), rows[start : start + 5000])
    return alerts // len(SINKS)


def timed(store: Store, drift_ids: Sequence[int], repeat: int) -> float:
    """Median milliseconds of one ``alerted_severity`` call inside a write transaction."""
    took = []
    for _ in range(repeat):
        with store.engine.begin() as conn:
            started = time.perf_counter()
            found = alerted_severity(conn, drift_ids)
            took.append((time.perf_counter() - started) * 1000)
        assert len(found) == len(drift_ids)
    return statistics.median(took)


def plan(store: Store, drift_id: int) -> str:
    query = select(alert_outbox.c.drift_id, alert_outbox.c.event).where(alert_outbox.c.drift_id.in_([drift_id]))
    compiled = query.compile(store.engine, compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN QUERY PLAN" if store.engine.dialect.name == "sqlite" else "EXPLAIN"
    with store.engine.connect() as conn:
        return "; ".join(str(row[-1]) for row in conn.execute(text(f"{explain} {compiled}")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--url", help="a PostgreSQL URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'state.db'}"
        with Store.open(url) as store:
            try:
                drifts = fill(store, args.alerts)
                if store.engine.dialect.name == "postgresql":
                    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("VACUUM ANALYZE alert_outbox"))
                middle = 1_000_000 + drifts // 2
                print(f"{store.engine.dialect.name}, {args.alerts} alerts of {drifts} drifts")
                shown = plan(store, middle)
                print(f"  plan: {shown}")
                one = timed(store, [middle], args.repeat)
                print(f"  1 drift resolved: {one:.2f} ms (median of {args.repeat})")
                twenty = timed(store, [middle + k * 7 for k in range(20)], args.repeat)
                print(f"  20 drifts resolved: {twenty:.2f} ms (median of {args.repeat})")
                indexed = int("ix_alert_outbox_drift_id" in shown or "Index" in shown)
                print(
                    f"outbox_by_drift: db={store.engine.dialect.name} alerts={args.alerts} one_ms={one:.2f} "
                    f"twenty_ms={twenty:.2f} indexed={indexed}"
                )
            finally:
                with store.engine.begin() as conn:
                    conn.execute(alert_outbox.delete().where(alert_outbox.c.id.like(f"{PREFIX}-%")))


if __name__ == "__main__":
    main()
