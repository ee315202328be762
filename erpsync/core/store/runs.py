"""Runs: one row per ``Syncer.run``, so operators (and the status page) see what ran and how it ended."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from erpsync.core.store.base import StoreBase
from erpsync.core.store.rows import RunRow
from erpsync.core.store.schema import runs


def _run_row(row: Any) -> RunRow:
    return RunRow(
        id=row.id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        apply=bool(row.apply),
        shops=tuple(row.shops or ()),
        status=row.status,
        summary=row.summary,
    )


class RunsMixin(StoreBase):
    def start_run(self, run_id: str, *, shops: list[str], apply: bool, now: datetime) -> RunRow:
        """Record that a run started (status ``running``); ``run_id`` is the caller's, e.g. a UUID."""
        with self._write() as conn:
            conn.execute(
                runs.insert().values(id=run_id, started_at=now, apply=apply, shops=list(shops), status="running")
            )
        return RunRow(run_id, now, None, apply, tuple(shops), "running", None)

    def finish_run(self, run_id: str, *, status: str, summary: Mapping[str, Any], now: datetime) -> RunRow:
        """Record how a run ended. Raises ``KeyError`` for a run that was never started."""
        with self._write() as conn:
            result = conn.execute(
                runs.update().where(runs.c.id == run_id).values(status=status, summary=dict(summary), finished_at=now)
            )
            if result.rowcount != 1:
                raise KeyError(f"no run {run_id!r} in the state store")
            row = conn.execute(select(runs).where(runs.c.id == run_id)).one()
        return _run_row(row)

    def run(self, run_id: str) -> RunRow | None:
        """One run by id, or None."""
        with self._read() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).one_or_none()
        return None if row is None else _run_row(row)

    def runs(self, limit: int = 20) -> list[RunRow]:
        """The latest runs, newest first."""
        with self._read() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)).all()
        return [_run_row(r) for r in rows]
