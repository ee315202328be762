"""Requested runs: "sync this shop's aspect soon", written by a webhook receiver, run by the service.

``add`` writes a pending request (one per shop and aspect: asking again merges into the pending
one, keeping the first reason and time); ``take`` claims pending rows for one taker, only those of
the shops and aspects it runs, ``done`` deletes them once a run answered them; ``give_back`` makes
taken ones pending again, for a taker that stops before running them.

Several processes may split the shops between them (``erpsync run --shop A``, ``--shop B``), so a
taker never claims a request it would not run: it would have to drop it, and the process that runs
that shop would never see it. A request no process runs stays pending until ``prune``.

A taken request is a claim with an expiry, like an alert a delivery pass claimed
(``outbox.claim``): one still taken ``TAKEN_TIMEOUT`` after it was taken is taken again by the
next ``take``, so a request whose process died (killed, its host gone) before ``done`` or
``give_back`` is run by another. A live taker that still holds it then costs one more run of the
shop's aspect, never a lost request: requests are answered at least once. ``prune`` deletes what
no taker answered for ``Retention.sync_requests`` (``store/prune.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from erpsync.core.store.base import Repository
from erpsync.core.store.rows import RowMapper
from erpsync.core.store.schema import sync_requests
from erpsync.core.store.upserts import insert

#: rows per statement: well under the bound parameters SQLite allows in one statement
_CHUNK = 500
#: how long a taken request stays taken before ``take`` may take it again: longer than a job
#: takes under the default shop time budget (30 min), so a live taker is rarely second-guessed
TAKEN_TIMEOUT = timedelta(hours=1)


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


def _among(pairs: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """A condition true for a request of one of ``pairs`` (shop, aspect).

    Shops that run the same aspects share one ``shop IN (...) AND aspect IN (...)``: usually every
    shop runs the same ones, so the statement carries one parameter per shop and aspect, not two
    per pair, and stays well under the bound parameters SQLite and PostgreSQL allow for thousands
    of shops.
    """
    aspects_of: dict[str, set[str]] = {}
    for shop, aspect in pairs:
        aspects_of.setdefault(shop, set()).add(aspect)
    shops_by_aspects: dict[frozenset[str], list[str]] = {}
    for shop, aspects in aspects_of.items():
        shops_by_aspects.setdefault(frozenset(aspects), []).append(shop)
    groups = [
        and_(sync_requests.c.shop.in_(sorted(shops)), sync_requests.c.aspect.in_(sorted(aspects)))
        for aspects, shops in shops_by_aspects.items()
    ]
    return or_(false(), *groups)


class SyncRequests(Repository):
    """``store.sync_requests``: ``add``, ``take``, ``done``, ``give_back``, ``pending``, ``prune``."""

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

    def take(
        self,
        *,
        now: datetime,
        limit: int = 100,
        taken_timeout: timedelta = TAKEN_TIMEOUT,
        pairs: Iterable[tuple[str, str]] | None = None,
    ) -> list[SyncRequest]:
        """Claim up to ``limit`` pending requests, and taken ones whose taker has had them for
        ``taken_timeout`` or longer, oldest first; no other taker gets any of them.

        ``pairs`` (shop, aspect) are the jobs the taker runs: only their requests are claimed, and
        the others stay as they are for the taker that runs them (``None``: every request). The
        filter is in the statement, so ``limit`` counts only requests the taker will run.

        One ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``: on PostgreSQL
        a concurrent taker skips the rows this one locked and takes the next ones; SQLite runs one
        writer at a time (``BEGIN IMMEDIATE``). A taken row is no longer pending, so a new ask for
        the same shop and aspect starts a new request. Taking it again dates it ``now``: the next
        taker waits ``taken_timeout`` from there.
        """
        if taken_timeout <= timedelta(0):
            raise ValueError(f"taken_timeout must be positive, not {taken_timeout}")
        takeable = or_(sync_requests.c.taken_at.is_(None), sync_requests.c.taken_at <= now - taken_timeout)
        wanted = [takeable]
        if pairs is not None:
            runs = list(pairs)
            if not runs:  # a taker that runs nothing takes nothing (and holds no write lock for it)
                return []
            wanted.append(_among(runs))
        chosen = (
            select(sync_requests.c.id)
            .where(*wanted)
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

    def prune(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete the requests asked for before ``before``, pending or taken: no process answered
        them in that time, and every run of their shops since covered what they asked for."""
        where = sync_requests.c.requested_at < before
        with self._write() as conn:
            if dry_run:
                return int(conn.execute(select(func.count()).select_from(sync_requests).where(where)).scalar_one())
            return int(conn.execute(sync_requests.delete().where(where)).rowcount)

    def pending(self, shop: str | None = None) -> list[SyncRequest]:
        """Requests not taken yet, oldest first, optionally of one shop."""
        query = select(sync_requests).where(sync_requests.c.taken_at.is_(None))
        if shop is not None:
            query = query.where(sync_requests.c.shop == shop)
        with self._read() as conn:
            rows = conn.execute(query.order_by(sync_requests.c.requested_at, sync_requests.c.id)).all()
        return [_row(r) for r in rows]
