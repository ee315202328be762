"""The ledger: the outbox of external writes, written before and after each one.

``ledger_begin`` commits a ``pending`` row before the connector call, ``ledger_done`` after it.
A process killed in between leaves ``pending`` behind; the rerun finds it, counts another attempt
and repeats the (idempotent) write. A ``done`` row is never repeated: that is what makes a push
happen once even when a run is interrupted and started again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from erpsync.core.store.base import StoreBase
from erpsync.core.store.rows import LedgerEntry, LedgerStatus
from erpsync.core.store.schema import ledger

#: tries of the read-or-insert in ledger_begin when another process inserts the same key meanwhile
_BEGIN_TRIES = 5


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        key=row.key,
        shop=row.shop,
        aspect=row.aspect,
        kind=row.kind,
        target=row.target,
        subject=row.subject,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        detail=row.detail,
        run_id=row.run_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _get(conn: Connection, key: str, *, for_update: bool = False) -> LedgerEntry | None:
    query = select(ledger).where(ledger.c.key == key)
    if for_update:  # a row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    return None if row is None else _entry(row)


class LedgerMixin(StoreBase):
    def ledger_begin(
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
    ) -> LedgerEntry:
        """Claim one external write before making it; the caller acts on the returned status.

        - no row: insert it ``pending`` with ``attempts=1``: make the write.
        - ``done``: returned unchanged: the write was applied already, skip it.
        - ``pending`` (a crash) or ``failed``: ``attempts`` + 1, status ``pending``: write again.

        Two processes racing on a new key both succeed: one inserts, the other's insert hits the
        primary key, and it retries as an existing row (so attempts count both).
        """
        for _ in range(_BEGIN_TRIES):
            try:
                with self._write() as conn:
                    found = _get(conn, key, for_update=True)
                    if found is not None and found.status == "done":
                        return found
                    if found is not None:
                        conn.execute(
                            ledger.update()
                            .where(ledger.c.key == key)
                            .values(
                                status="pending",
                                attempts=ledger.c.attempts + 1,
                                run_id=run_id,
                                updated_at=now,
                            )
                        )
                    else:
                        conn.execute(
                            ledger.insert().values(
                                key=key,
                                shop=shop,
                                aspect=aspect,
                                kind=kind,
                                target=target,
                                subject=subject,
                                payload=dict(payload),
                                status="pending",
                                attempts=1,
                                run_id=run_id,
                                created_at=now,
                                updated_at=now,
                            )
                        )
                    entry = _get(conn, key)
                    assert entry is not None
                    return entry
            except IntegrityError:
                continue  # another process inserted the key between our read and insert
        raise RuntimeError(f"ledger_begin({key!r}) kept colliding with concurrent writers")

    def ledger_done(self, key: str, *, now: datetime, detail: str | None = None) -> LedgerEntry:
        """Mark a write applied (after the connector call returned). ``KeyError`` if never begun."""
        return self._ledger_finish(key, "done", now=now, detail=detail)

    def ledger_failed(self, key: str, *, error: str, now: datetime) -> LedgerEntry:
        """Mark a write failed with its error; a later ``ledger_begin`` retries it."""
        return self._ledger_finish(key, "failed", now=now, last_error=error)

    def _ledger_finish(self, key: str, status: LedgerStatus, *, now: datetime, **values: Any) -> LedgerEntry:
        with self._write() as conn:
            result = conn.execute(
                ledger.update().where(ledger.c.key == key).values(status=status, updated_at=now, **values)
            )
            if result.rowcount != 1:
                raise KeyError(f"no ledger entry {key!r}: call ledger_begin before the write")
            entry = _get(conn, key)
        assert entry is not None
        return entry

    def ledger_entry(self, key: str) -> LedgerEntry | None:
        """The entry for ``key``, or None if that write was never begun."""
        with self._read() as conn:
            return _get(conn, key)

    def ledger_entries(self, shop: str | None = None, status: LedgerStatus | None = None) -> list[LedgerEntry]:
        """Entries, oldest first, optionally of one shop and/or status (e.g. ``pending`` after a crash)."""
        query = select(ledger)
        if shop is not None:
            query = query.where(ledger.c.shop == shop)
        if status is not None:
            query = query.where(ledger.c.status == status)
        with self._read() as conn:
            rows = conn.execute(query.order_by(ledger.c.created_at, ledger.c.key)).all()
        return [_entry(r) for r in rows]
