"""The ledger: the outbox of external writes, written before and after each one.

``begin`` commits a ``pending`` row before the connector call, ``finish`` marks it ``done`` (or
``failed``) after it. A process killed in between leaves ``pending`` behind. A write keyed on its
drift (a push that must happen once) is found by the rerun's ``begin``, which counts another
attempt and repeats it; a correction keyed on its run is settled by the next apply run of its shop
after re-observing (``erpsync.core.pending``). A ``done`` row is never repeated: that is what makes
a push happen once even when a run is interrupted and started again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import Connection, and_, bindparam, select

from erpsync.core.errors import recorded_code
from erpsync.core.ports import FailedWrite
from erpsync.core.store.base import Repository
from erpsync.core.store.fences import check_fence
from erpsync.core.store.rows import LedgerEntry, LedgerStatus, RowMapper
from erpsync.core.store.schema import drifts, ledger
from erpsync.core.store.upserts import insert

_row = RowMapper(LedgerEntry, ledger)


#: rows per statement: well under the bound parameters SQLite allows in one statement
_CHUNK = 500


@dataclass(frozen=True)
class Claim:
    """One write to ``begin``: what the ledger records before it is made."""

    key: str
    shop: str
    aspect: str
    kind: str
    target: str
    subject: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """How one begun write ended, for ``finish``: ``done``, or ``failed`` with its ``error``."""

    key: str
    status: Literal["done", "failed"]
    error: str | None = None
    detail: str | None = None


@lru_cache(maxsize=16)
def _finish_statement(columns: tuple[str, ...]) -> Any:
    """``finish_many``'s UPDATE of one entry by its key (``b_key``), setting ``columns``; built once."""
    values = {name: bindparam(name, type_=ledger.c[name].type) for name in columns}
    return ledger.update().where(ledger.c.key == bindparam("b_key")).values(values)


def _get(conn: Connection, key: str) -> LedgerEntry | None:
    row = conn.execute(select(ledger).where(ledger.c.key == key)).one_or_none()
    return None if row is None else _row(row)


def _get_many(conn: Connection, keys: Sequence[str]) -> dict[str, LedgerEntry]:
    found: dict[str, LedgerEntry] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = conn.execute(select(ledger).where(ledger.c.key.in_(keys[start : start + _CHUNK]))).all()
        found.update((row.key, _row(row)) for row in rows)
    return found


class Ledger(Repository):
    """``store.ledger``: ``begin`` and ``finish`` writes (one, or many in one transaction), ``get``,
    ``list_entries``, ``prune``."""

    def begin(
        self,
        key: str,
        *,
        shop: str,
        aspect: str,
        kind: str,
        target: str,
        subject: str,
        payload: Mapping[str, Any],
        run_id: str | None,
        now: datetime,
        fence: tuple[str, int] | None = None,
    ) -> LedgerEntry:
        """Claim one external write before making it; the caller acts on the returned status.

        - no row: insert it ``pending`` with ``attempts=1``: make the write.
        - ``done``: returned unchanged: the write was applied already, skip it.
        - ``pending`` (a crash) or ``failed``: ``attempts`` + 1, status ``pending``: write again.

        One ``INSERT ... ON CONFLICT DO UPDATE ... WHERE status <> 'done'`` decides, so two
        processes racing on a new key both succeed: one inserts, the other (waiting for it on
        PostgreSQL, serialised by ``BEGIN IMMEDIATE`` on SQLite) counts a second attempt.

        ``fence=(shop, epoch)``: the epoch this worker got from ``store.fences.advance``. If the
        shop's epoch has moved past it (another worker took the shop over), ``StaleFenceError`` is
        raised inside the transaction and nothing is begun.
        """
        claim = Claim(key, shop=shop, aspect=aspect, kind=kind, target=target, subject=subject, payload=payload)
        return self.begin_many([claim], run_id=run_id, now=now, fence=fence)[key]

    def begin_many(
        self,
        claims: Sequence[Claim],
        *,
        run_id: str | None,
        now: datetime,
        fence: tuple[str, int] | None = None,
    ) -> dict[str, LedgerEntry]:
        """``begin`` each claim, all in one transaction: key → entry, the caller acts on each status.

        One commit for an aspect's writes to a target that writes them in one go (the files ERP
        rewrites its file once for all of them), instead of one per write. ``fence`` as in
        ``begin``: a stale one raises ``StaleFenceError`` and begins none of them.
        """
        if not claims:
            return {}
        # one row per key: PostgreSQL refuses a statement that would update the same row twice
        unique: dict[str, Claim] = {}
        for claim in claims:
            unique.setdefault(claim.key, claim)
        rows = [
            {
                "key": c.key,
                "shop": c.shop,
                "aspect": c.aspect,
                "kind": c.kind,
                "target": c.target,
                "subject": c.subject,
                "payload": dict(c.payload),
                "status": "pending",
                "attempts": 1,
                "run_id": run_id,
                "created_at": now,
                "updated_at": now,
            }
            for c in unique.values()
        ]
        with self._write() as conn:
            if fence is not None:
                check_fence(conn, *fence)
            statement = insert(conn, ledger).on_conflict_do_update(
                index_elements=[ledger.c.key],
                set_={"status": "pending", "attempts": ledger.c.attempts + 1, "run_id": run_id, "updated_at": now},
                where=ledger.c.status != "done",
            )
            for start in range(0, len(rows), _CHUNK):
                conn.execute(statement, rows[start : start + _CHUNK])
            entries = _get_many(conn, list(unique))
        return entries

    def finish(
        self,
        key: str,
        *,
        status: Literal["done", "failed"],
        now: datetime,
        error: str | None = None,
        detail: str | None = None,
    ) -> LedgerEntry:
        """Mark a write ``done`` (the connector call returned) or ``failed`` with its ``error``.

        A later ``begin`` retries a failed write; a done one it skips. ``KeyError`` if never begun.
        A success keeps the last error: it says why earlier attempts failed.
        """
        self.finish_many([Outcome(key, status, error=error, detail=detail)], now=now)
        entry = self.get(key)
        assert entry is not None
        return entry

    def finish_many(self, outcomes: Sequence[Outcome], *, now: datetime) -> None:
        """``finish`` each outcome, all in one transaction; ``KeyError`` (and nothing finished) if
        one was never begun."""
        for outcome in outcomes:
            if outcome.status == "failed" and not outcome.error:
                raise ValueError("a failed ledger entry needs the error it failed with")
        if not outcomes:
            return
        keys = [o.key for o in outcomes]
        writes: list[tuple[tuple[str, ...], dict[str, Any]]] = []  # (the columns set, the values)
        for outcome in outcomes:
            values: dict[str, Any] = {"status": outcome.status, "updated_at": now}
            if outcome.status == "failed":
                values["last_error"] = outcome.error
            if outcome.detail is not None:
                values["detail"] = outcome.detail
            writes.append((tuple(values), {"b_key": outcome.key, **values}))
        with self._write() as conn:
            found: set[str] = set()
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                found.update(conn.execute(select(ledger.c.key).where(ledger.c.key.in_(chunk))).scalars())
            missing = [k for k in keys if k not in found]
            if missing:
                raise KeyError(f"no ledger entry {missing[0]!r}: begin it before the write")
            if len(found) < len(keys):  # a key finished twice: each outcome in the order given
                for columns, row in writes:
                    conn.execute(_finish_statement(columns), row)
                return
            # one executemany per set of columns: a statement built per write cost more than the
            # database's work for it (a 2,000-package push: 2,000 statements)
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for columns, row in writes:
                shapes.setdefault(columns, []).append(row)
            for columns, rows in shapes.items():
                conn.execute(_finish_statement(columns), rows)

    def get(self, key: str) -> LedgerEntry | None:
        """The entry for ``key``, or None if that write was never begun."""
        with self._read() as conn:
            return _get(conn, key)

    def list_entries(self, shop: str | None = None, status: LedgerStatus | None = None) -> list[LedgerEntry]:
        """Entries, oldest first, optionally of one shop and/or status (e.g. ``pending`` after a crash)."""
        query = select(ledger)
        if shop is not None:
            query = query.where(ledger.c.shop == shop)
        if status is not None:
            query = query.where(ledger.c.status == status)
        with self._read() as conn:
            rows = conn.execute(query.order_by(ledger.c.created_at, ledger.c.key)).all()
        return [_row(r) for r in rows]

    def failed_writes(
        self, shop: str, aspect: str, *, still_open: Callable[[Collection[int]], set[int]]
    ) -> list[FailedWrite]:
        """The ``failed`` pushes of ``shop``/``aspect`` whose drift occurrence is still open, oldest
        first (``ObserveContext.failed_writes``).

        Only rows that name their occurrences (pushes that must happen once) are read: such a
        row is the write planned for that occurrence, and while the occurrence is open nothing
        it was planned from has changed (a new value is a new occurrence, with a row of its own).
        ``still_open`` tells which occurrences are open (``store.drifts.still_open``).
        """
        where = (ledger.c.shop == shop, ledger.c.aspect == aspect, ledger.c.status == "failed")
        with self._read() as conn:
            rows = [_row(r) for r in conn.execute(select(ledger).where(*where).order_by(ledger.c.updated_at)).all()]
        named = {e.key: named_occurrences(e.payload) for e in rows}
        open_ids = still_open({i for ids in named.values() for i in ids}) if named else set()
        return [
            FailedWrite(
                kind=e.kind,
                subject=e.subject,
                field=_text(e.payload.get("field")),
                value=_text(e.payload.get("value")),
                error=e.last_error or "",
                code=recorded_code(e.last_error or ""),
                failed_at=e.updated_at,
            )
            for e in rows
            if open_ids.intersection(named[e.key])
        ]

    def prune(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete settled entries last touched before ``before``; how many were (or would be).

        Only ``done`` and ``failed`` entries go. A ``pending`` one is a write that may have
        happened (its process died mid-call): the rerun must find it, so it stays whatever its
        age. An entry whose drift is still open stays too: the key of a write that must happen
        once is built from that drift's occurrence, and without the entry a rerun would make
        the write again. Such an entry names its occurrences (``payload["occurrences"]``), and
        any one of them open keeps it: its subject need not be the drift's (a listing push is
        recorded under the platform's product id, its drift under the ERP's). Entries that name
        none (corrections keyed on their run, and rows older than that field) are kept while
        an open drift of their aspect has their subject, as before.
        """
        by_subject = (
            select(drifts.c.id)
            .where(
                and_(
                    drifts.c.open_fingerprint.is_not(None),
                    drifts.c.shop == ledger.c.shop,
                    drifts.c.aspect == ledger.c.aspect,
                    drifts.c.subject == ledger.c.subject,
                )
            )
            .exists()
        )
        where = (ledger.c.status.in_(["done", "failed"]), ledger.c.updated_at < before, ~by_subject)
        with self._write() as conn:
            open_ids = set(conn.execute(select(drifts.c.id).where(drifts.c.open_fingerprint.is_not(None))).scalars())
            candidates = conn.execute(select(ledger.c.key, ledger.c.payload).where(*where)).all()
            doomed = [row.key for row in candidates if open_ids.isdisjoint(named_occurrences(row.payload))]
            if dry_run:
                return len(doomed)
            removed = 0
            for start in range(0, len(doomed), _CHUNK):  # ``where`` again: a row touched meanwhile stays
                chunk = doomed[start : start + _CHUNK]
                removed += int(conn.execute(ledger.delete().where(ledger.c.key.in_(chunk), *where)).rowcount)
            return removed


def named_occurrences(payload: object) -> list[int]:
    """The drift occurrences a must-happen-once row names (none for other rows, and old ones)."""
    found = payload.get("occurrences") if isinstance(payload, Mapping) else None
    return [i for i in found if isinstance(i, int)] if isinstance(found, list) else []


def _text(value: object) -> str | None:
    return None if value is None else str(value)
