"""Runs: one row per ``Syncer.run``, so operators see what ran, in which mode, and how it ended."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from erpsync.core.store.base import Repository
from erpsync.core.store.rows import RowMapper, RunRow
from erpsync.core.store.schema import locks, runs

_row = RowMapper(
    RunRow,
    runs,
    apply=lambda r: bool(r["apply"]),
    shops=lambda r: tuple(r["shops"] or ()),
)


class Runs(Repository):
    """``store.runs``: ``begin`` and ``finish`` a run, ``get`` one, ``list_recent``, ``prune``."""

    def begin(self, run_id: str, *, shops: Sequence[str], apply: bool, now: datetime) -> RunRow:
        """Record that a run started (status ``running``); ``run_id`` is the caller's, e.g. a UUID."""
        with self._write() as conn:
            conn.execute(
                runs.insert().values(id=run_id, started_at=now, apply=apply, shops=list(shops), status="running")
            )
        return RunRow(run_id, now, None, apply, tuple(shops), "running", None)

    def finish(self, run_id: str, *, status: str, summary: Mapping[str, Any], now: datetime) -> RunRow:
        """Record how a run ended. Raises ``KeyError`` for a run that was never begun."""
        with self._write() as conn:
            result = conn.execute(
                runs.update().where(runs.c.id == run_id).values(status=status, summary=dict(summary), finished_at=now)
            )
            if result.rowcount != 1:
                raise KeyError(f"no run {run_id!r} in the state store")
            row = conn.execute(select(runs).where(runs.c.id == run_id)).one()
        return _row(row)

    def get(self, run_id: str) -> RunRow | None:
        """One run by id, or None."""
        with self._read() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).one_or_none()
        return None if row is None else _row(row)

    def list_recent(self, limit: int = 20) -> list[RunRow]:
        """The latest runs, newest first."""
        with self._read() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)).all()
        return [_row(r) for r in rows]

    def prune(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete runs that started before ``before``; how many were (or, dry, would be) deleted.

        A run that never finished (its process was killed) goes too, unless it still owns a lease:
        then it may still be working, however old its start.
        """
        where = (
            runs.c.started_at < before,
            or_(runs.c.finished_at.is_not(None), runs.c.id.not_in(select(locks.c.owner))),
        )
        with self._write() as conn:
            if dry_run:
                return int(conn.execute(select(func.count()).select_from(runs).where(*where)).scalar_one())
            return int(conn.execute(runs.delete().where(*where)).rowcount)
