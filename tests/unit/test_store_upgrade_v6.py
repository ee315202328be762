"""Store schema v6: a version-5 database is upgraded in place; its open drifts keep alerting right.

Version 6 adds the ``alert_outbox`` table and, on drifts, ``last_alerted_at``, ``acked_at`` and
``acked_until``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, text

from erpsync.core.models import Drift, Severity
from erpsync.core.store import SCHEMA_VERSION, OutboxItem, Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DRIFT = Drift("acme", "pickup", "review_stuck", "W1", "subscription_status", "pending_review", "PICK_UP",
              Severity.CRITICAL, "W1: pickup review pending for 30 h")  # fmt: skip


def _v5_file(path: Path) -> str:
    """A database as a version-5 erpsync left it: made by this one, then the v6 parts taken away."""
    url = f"sqlite:///{path}"
    with Store.open(url) as s:
        s.drifts.record("acme", "pickup", [DRIFT], now=T0, run_id="old-run")
        with s.engine.begin() as conn:
            conn.execute(text("DROP TABLE alert_outbox"))
            for column in ("last_alerted_at", "acked_at", "acked_until"):
                conn.execute(text(f"ALTER TABLE drifts DROP COLUMN {column}"))
            conn.execute(text("UPDATE schema_version SET version = 5"))
    return url


def test_v5_database_is_upgraded_in_place_and_its_open_drift_reminds_from_its_opening(tmp_path: Path) -> None:
    url = _v5_file(tmp_path / "v5.db")
    with Store.open(url) as s:
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalars().all() == [SCHEMA_VERSION]
            columns = {c["name"] for c in inspect(conn).get_columns("drifts")}
            assert {"last_alerted_at", "acked_at", "acked_until"} <= columns
            assert inspect(conn).has_table("alert_outbox")
        (old,) = s.drifts.list_open("acme")
        assert (old.last_alerted_at, old.acked_at, old.acked_until) == (None, None, None)

        def plan(kind, row):
            return [OutboxItem(f"alrt_{kind}_{row.id}", "log", {"event": kind}, drift_id=row.id)]

        day = timedelta(hours=24)
        soon = s.drifts.record("acme", "pickup", [DRIFT], now=T0 + timedelta(hours=1), run_id="r", alerts=plan,
                               remind_after=day)  # fmt: skip
        assert soon.reminded == [] and s.outbox.all_pending() == []
        later = s.drifts.record("acme", "pickup", [DRIFT], now=T0 + day, run_id="r", alerts=plan, remind_after=day)
        (reminded,) = later.reminded
        assert reminded.id == old.id and reminded.last_alerted_at == T0 + day
        assert [r.id for r in s.outbox.all_pending()] == [f"alrt_reminder_{old.id}"]
    with Store.open(url) as s, s.engine.connect() as conn:  # reopening an upgraded file is a no-op
        assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar() == 1
