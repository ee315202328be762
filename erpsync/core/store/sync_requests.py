"""Requested runs: "sync this shop's aspect soon", written by a webhook receiver, run by the service.

``add`` writes a pending request (one per shop and aspect: asking again merges into the pending
one, keeping the first reason and time); ``take`` claims pending rows for one taker, ``done``
deletes them once their run ended; ``give_back`` makes taken ones pending again, for a taker that
stops before running them. A request taken by a process that died before ``done`` stays taken:
the shop's next scheduled run covers what it asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from erpsync.core.store.base import Repository
from erpsync.core.store.rows import RowMapper
from erpsync.core.store.schema import sync_requests
from erpsync.core.store.upserts import insert

#: rows per statement: well under the bound parameters SQLite allows in one statement
_CHUNK = 500


@dataclass(frozen=True)
class SyncRequest:
    """One requested run of one aspect of one shop."""

    id: int
    shop: str
    aspect: str
    reason: str
    requested_at: datetime


_row = RowMapper(SyncRequest, sync_requests)
_COLUMNS = (
    sync_requests.c.id,
    sync_requests.c.shop,
    sync_requests.c.aspect,
    sync_requests.c.reason,
    sync_requests.c.requested_at,
)


class SyncRequests(Repository):
    """``store.sync_requests``: ``add``, ``take``, ``done``, ``give_back``, ``pending``."""

    def add(self, shop: str, aspects: Sequence[str], *, reason: str, now: datetime) -> None:
        """Ask for a run of each of ``aspects`` on ``shop``; one already pending for a pair absorbs the ask.

        ``ON CONFLICT DO NOTHING`` on the pending pair's unique constraint decides, so two receivers
        asking at once leave one row.
        """
        rows = [
            {"shop": shop, "pending_shop": shop, "aspect": a, "reason": reason, "requested_at": now}
            for a in dict.fromkeys(aspects)
        ]
        if not rows:
            return
        with self._write() as conn:
            statement = insert(conn, sync_requests).on_conflict_do_nothing(
                index_elements=[sync_requests.c.pending_shop, sync_requests.c.aspect]
            )
            conn.execute(statement, rows)

    def take(self, *, now: datetime, limit: int = 100) -> list[SyncRequest]:
        """Claim up to ``limit`` pending requests, oldest first; no other taker gets any of them.

        One ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``: on PostgreSQL
        a concurrent taker skips the rows this one locked and takes the next ones; SQLite runs one
        writer at a time (``BEGIN IMMEDIATE``). A taken row is no longer pending, so a new ask for
        the same shop and aspect starts a new request.
        """
        chosen = (
            select(sync_requests.c.id)
            .where(sync_requests.c.taken_at.is_(None))
            .order_by(sync_requests.c.requested_at, sync_requests.c.id)
            .limit(max(1, int(limit)))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        with self._write() as conn:
            rows = conn.execute(
                sync_requests.update()
                .where(sync_requests.c.id.in_(chosen))
                .values(taken_at=now, pending_shop=None)
                .returning(*_COLUMNS)
            ).all()
        return sorted((_row(r) for r in rows), key=lambda r: (r.requested_at, r.id))

    def done(self, ids: Sequence[int]) -> int:
        """Delete the requests ``ids`` (their runs ended); how many were deleted."""
        unique = list(dict.fromkeys(int(i) for i in ids))
        deleted = 0
        with self._write() as conn:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                deleted += int(conn.execute(sync_requests.delete().where(sync_requests.c.id.in_(chunk))).rowcount)
        return deleted

    def give_back(self, ids: Sequence[int]) -> int:
        """Make the taken requests ``ids`` pending again (their taker stops before running them);
        how many were given back.

        Each is deleted and written again as pending with its reason and time, by ``add``'s own
        ``ON CONFLICT DO NOTHING``: a request for the same shop and aspect made meanwhile is
        already pending and absorbs it, as it would a new ask.
        """
        unique = list(dict.fromkeys(int(i) for i in ids))
        restored = 0
        with self._write() as conn:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                taken = sync_requests.c.id.in_(chunk), sync_requests.c.taken_at.is_not(None)
                rows = conn.execute(sync_requests.delete().where(*taken).returning(*_COLUMNS)).all()
                if not rows:
                    continue
                again = [
                    {"shop": r.shop, "pending_shop": r.shop, "aspect": r.aspect, "reason": r.reason,
                     "requested_at": r.requested_at}
                    for r in rows
                ]  # fmt: skip
                statement = insert(conn, sync_requests).on_conflict_do_nothing(
                    index_elements=[sync_requests.c.pending_shop, sync_requests.c.aspect]
                )
                conn.execute(statement, again)
                restored += len(rows)
        return restored

    def pending(self, shop: str | None = None) -> list[SyncRequest]:
        """Requests not taken yet, oldest first, optionally of one shop."""
        query = select(sync_requests).where(sync_requests.c.taken_at.is_(None))
        if shop is not None:
            query = query.where(sync_requests.c.shop == shop)
        with self._read() as conn:
            rows = conn.execute(query.order_by(sync_requests.c.requested_at, sync_requests.c.id)).all()
        return [_row(r) for r in rows]
