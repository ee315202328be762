"""Runs: one row per ``Syncer.run``, so operators see what ran, in which mode, and how it ended.

A run records its host and process id and beats a heartbeat while it works. A run still marked
``running`` whose process is provably gone (same host, no such pid) or whose heartbeat is older
than the lease time is marked ``crashed`` by the next run that looks (``mark_crashed``): a run that
was killed can never finish its own row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from erpsync.core.store.base import Repository
from erpsync.core.store.leases import PidAlive, holder_gone, pid_alive
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

    def begin(
        self,
        run_id: str,
        *,
        shops: Sequence[str],
        apply: bool,
        now: datetime,
        host: str | None = None,
        pid: int | None = None,
    ) -> RunRow:
        """Record that a run started (status ``running``); ``run_id`` is the caller's, e.g. a UUID."""
        with self._write() as conn:
            conn.execute(
                runs.insert().values(
                    id=run_id,
                    started_at=now,
                    apply=apply,
                    shops=list(shops),
                    status="running",
                    host=host,
                    pid=pid,
                    heartbeat_at=now,
                )
            )
        return RunRow(run_id, now, None, apply, tuple(shops), "running", None, host, pid, now)

    def heartbeat(self, run_id: str, *, now: datetime) -> None:
        """Show the run is alive (the Syncer's heartbeat thread calls this with each lease renewal)."""
        with self._write() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(heartbeat_at=now))

    def mark_crashed(
        self,
        *,
        now: datetime,
        stale_seconds: float | None,
        here: str,
        is_alive: PidAlive = pid_alive,
        summary: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Mark ``crashed`` each ``running`` run that is provably gone or silent too long; their ids.

        Gone: on host ``here`` and its pid is not alive. Silent: no heartbeat (or, from an older
        erpsync, no start) within ``stale_seconds``; use the lease time, which the heartbeat renews
        well within; None to judge by the process alone. ``finished_at`` is when it was found, not
        when it died (that is not known).
        """
        stale = None if stale_seconds is None else now - timedelta(seconds=stale_seconds)
        with self._read() as conn:
            rows = conn.execute(select(runs).where(runs.c.status == "running")).all()
        dead = [
            r.id
            for r in rows
            if holder_gone(r.host, r.pid, here=here, is_alive=is_alive)
            or (stale is not None and (r.heartbeat_at or r.started_at) < stale)
        ]
        if not dead:
            return []
        note = dict(summary or {"note": "found still running with its process gone; marked crashed"})
        with self._write() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id.in_(dead), runs.c.status == "running")
                .values(status="crashed", finished_at=now, summary=note)
            )
        return dead

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
