"""The alert outbox: alerts are stored before they are sent, so none is lost to a failing channel.

An alert row is written in the same transaction as the drift change that causes it
(``drifts.record`` calls ``insert_items`` on its own connection), so a run killed after recording a
drift leaves its alert pending and the next run sends it. Delivery reads the due rows, sends them
outside any transaction and records the outcome here: ``mark_delivered``, or ``mark_failed`` with a
retry time (temporary) or without (permanent). Rows nobody could deliver for too long ``expire``.

Ids are stable, so writing the same alert twice keeps one row (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, func, or_, select

from erpsync.core.models import Severity
from erpsync.core.store.base import Repository
from erpsync.core.store.rows import OutboxItem, OutboxRow, RowMapper
from erpsync.core.store.schema import alert_outbox as table
from erpsync.core.store.upserts import dialect_insert

_row = RowMapper(OutboxRow, table, event=lambda r: dict(r["event"] or {}))
#: statuses no delivery will change: the rows ``prune`` may delete once old enough
FINAL = ("delivered", "failed", "expired")
# NULL drift ids (token trouble) first, as SQLite sorts them by default; PostgreSQL must be told
_ORDER = (table.c.created_at, table.c.drift_id.asc().nulls_first(), table.c.id)


def alerted_severity(conn: Connection, drift_ids: Sequence[int]) -> dict[int, Severity]:
    """The highest severity each drift occurrence was alerted at, by the outbox rows still kept
    (``prune`` drops delivered ones after a while: the occurrence then counts as never alerted).

    Read when drifts resolve, so a channel that only takes that severity is told the drift it
    heard of ended, though the drift fell back to a lower severity before it did.
    """
    out: dict[int, Severity] = {}
    for start in range(0, len(drift_ids), 500):
        chunk = drift_ids[start : start + 500]
        for drift_id, event in conn.execute(select(table.c.drift_id, table.c.event).where(table.c.drift_id.in_(chunk))):
            try:
                severity = Severity(str((event or {}).get("severity")))
            except ValueError:  # a token alert, or an event written without one
                continue
            if drift_id not in out or severity.rank > out[drift_id].rank:
                out[drift_id] = severity
    return out


def insert_items(conn: Connection, items: Iterable[OutboxItem], *, now: datetime) -> list[str]:
    """Write ``items`` as pending rows on ``conn`` (the caller's transaction); the ids newly written.

    An id already present is left as it is: the same alert written twice stays one alert. One
    ``executemany`` for them all: a statement per alert cost more than the database's work for it.
    """
    given = list(items)
    rows = [
        {
            "id": item.id,
            "sink": item.sink,
            "event": dict(item.event),
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "drift_id": item.drift_id,
        }
        for item in given
    ]
    if not rows:
        return []
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING
    # whether or not it inserted, which would count an alert already there as new
    inserted = set(conn.execute(_insert_new(conn.dialect.name), rows).scalars())
    written: list[str] = []
    for item in given:  # in the order given, each id once (one given twice is written once)
        if item.id in inserted:
            inserted.discard(item.id)
            written.append(item.id)
    return written


@lru_cache(maxsize=4)
def _insert_new(dialect: str) -> Any:
    """``insert_items``' statement, built once per database kind (``upserts._upsert_statement``)."""
    statement = dialect_insert(dialect, table)
    return statement.on_conflict_do_nothing(index_elements=["id"]).returning(table.c.id)


#: statements a delivery pass runs for every send, built once (building one cost more than running it)
_RENEW = (
    table.update()
    .where(
        table.c.id.in_(bindparam("ids", expanding=True)),
        table.c.status == "pending",
        table.c.next_attempt_at == bindparam("taken_until", type_=table.c.next_attempt_at.type),
    )
    .values(next_attempt_at=bindparam("until", type_=table.c.next_attempt_at.type))
    .returning(table.c.id)
)
_DELIVERED = (
    table.update()
    .where(table.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        status="delivered",
        attempts=table.c.attempts + 1,
        delivered_at=bindparam("now", type_=table.c.delivered_at.type),
        answer=bindparam("answer", type_=table.c.answer.type),
    )
)


def _waits(now: datetime, *, besides: datetime | None = None) -> ColumnElement[bool]:
    """Whether an alert waits for an older one of its drift occurrence for its sink, pending and
    not due at ``now`` (retried later, or held by a pass), except one held until ``besides``."""
    older = table.alias("older")
    conditions = [
        older.c.sink == table.c.sink,
        older.c.drift_id == table.c.drift_id,
        older.c.status == "pending",
        older.c.next_attempt_at > now,
        or_(
            older.c.created_at < table.c.created_at,
            and_(older.c.created_at == table.c.created_at, older.c.id < table.c.id),
        ),
    ]
    if besides is not None:
        conditions.append(older.c.next_attempt_at != besides)
    return select(older.c.id).where(*conditions).exists()


class Outbox(Repository):
    """``store.outbox``: ``add``, ``all_pending``, ``due``, ``claim``, ``renew``, ``defer``, ``release``,
    ``mark_delivered``, ``mark_all_delivered``, ``mark_failed``, ``expire``, ``messages_since``, ``get``,
    ``recent``, ``prune``."""

    def add(self, items: Iterable[OutboxItem], *, now: datetime) -> list[str]:
        """Write alerts no drift change causes (token trouble); the ids newly written."""
        with self._write() as conn:
            return insert_items(conn, items, now=now)

    def get(self, id: str) -> OutboxRow | None:
        with self._read() as conn:
            row = conn.execute(select(table).where(table.c.id == id)).one_or_none()
        return None if row is None else _row(row)

    def all_pending(self, sink: str | None = None) -> list[OutboxRow]:
        """Alerts not delivered yet and still to be tried (a temporary failure stays pending), oldest first."""
        query = select(table).where(table.c.status == "pending")
        if sink is not None:
            query = query.where(table.c.sink == sink)
        with self._read() as conn:
            return [_row(r) for r in conn.execute(query.order_by(*_ORDER)).all()]

    def due(self, *, now: datetime, sink: str | None = None) -> list[OutboxRow]:
        """Pending alerts whose next attempt is due at ``now``, oldest first.

        An alert waits while an older one of the same drift occurrence for the same sink is
        pending and not due (retried later after a failure): a drift's "resolved" never reaches
        a channel before its "opened".
        """
        query = select(table).where(table.c.status == "pending", table.c.next_attempt_at <= now, ~_waits(now))
        if sink is not None:
            query = query.where(table.c.sink == sink)
        with self._read() as conn:
            return [_row(r) for r in conn.execute(query.order_by(*_ORDER)).all()]

    def recent(self, *, sink: str | None = None, limit: int = 1000) -> list[OutboxRow]:
        """Every alert whatever its status, newest first (for operators and tests)."""
        query = select(table)
        if sink is not None:
            query = query.where(table.c.sink == sink)
        order = (table.c.created_at.desc(), table.c.drift_id.desc().nulls_last(), table.c.id.desc())
        with self._read() as conn:
            return [_row(r) for r in conn.execute(query.order_by(*order).limit(limit)).all()]

    def claim(self, ids: Iterable[str], *, now: datetime, until: datetime) -> set[str]:
        """Take the due alerts ``ids`` for one delivery pass until ``until``; the ids taken.

        Another process's pass (the service's drain beside a CLI run, two overlapping drains)
        sees a taken alert as not due, so each alert goes out once per attempt. One that is still
        taken at ``until`` (its process died mid-pass) is due again: delivery stays at least once.
        A pass keeps ``until`` near (``renew`` moves it on), so that is soon.

        The order ``due`` keeps is checked again in each alert's UPDATE: the pass read its due
        alerts when it started, and another process may have taken (or been refused) a drift's
        older alert since; its "resolved" then stays for later rather than go out alone. An older
        alert this claim took itself (held until ``until``) does not hold it back: ``ids`` come
        oldest first, as ``due`` gives them.
        """
        # one statement for the pass, run once per alert (oldest first, each seeing the ones
        # before it taken or not): building it per alert cost more than the database's work
        claim = (
            table.update()
            .where(
                table.c.id == bindparam("b_id"),
                table.c.status == "pending",
                table.c.next_attempt_at <= now,
                ~_waits(now, besides=until),
            )
            .values(next_attempt_at=until)
        )
        taken: set[str] = set()
        with self._write() as conn:
            for alert in ids:
                if conn.execute(claim, {"b_id": alert}).rowcount == 1:
                    taken.add(alert)
        return taken

    def renew(self, ids: Iterable[str], *, taken_until: datetime, until: datetime) -> set[str]:
        """Move the hold on alerts a pass took (``claim``) and has not tried yet from ``taken_until``
        to ``until``; the ids still held, which the pass may go on to send. With ``until`` equal
        to ``taken_until`` it only confirms that they are still held.

        An alert held no longer (its hold ran out while the process was stopped, and another
        process's pass took it, or sent it) is left as that pass left it and not returned.
        """
        wanted = list(ids)
        kept: set[str] = set()
        with self._write() as conn:
            for start in range(0, len(wanted), 500):
                chunk = {"ids": wanted[start : start + 500], "taken_until": taken_until, "until": until}
                kept.update(conn.execute(_RENEW, chunk).scalars())  # rowcount is -1 with psycopg
        return kept

    def defer(self, ids: Iterable[str], *, until: datetime) -> None:
        """Put off pending alerts not yet tried until ``until`` (their channel just refused another
        for now); no attempt is counted."""
        wanted = list(ids)
        if not wanted:
            return
        with self._write() as conn:
            conn.execute(
                table.update().where(table.c.id.in_(wanted), table.c.status == "pending").values(next_attempt_at=until)
            )

    def release(self, ids: Iterable[str], *, taken_until: datetime, now: datetime) -> None:
        """Give back alerts a pass took (``claim``) and did not try: due again at ``now``."""
        wanted = list(ids)
        if not wanted:
            return
        with self._write() as conn:
            conn.execute(
                table.update()
                .where(table.c.id.in_(wanted), table.c.status == "pending", table.c.next_attempt_at == taken_until)
                .values(next_attempt_at=now)
            )

    def mark_delivered(self, id: str, *, now: datetime, answer: str | None) -> None:
        """The channel took the alert; ``answer`` is what it said (short)."""
        self.mark_all_delivered([id], now=now, answer=answer)

    def mark_all_delivered(self, ids: Iterable[str], *, now: datetime, answer: str | None) -> None:
        """The channel took one message holding the alerts ``ids`` (a digest's), recorded for them
        all in one transaction: never some of a message's alerts delivered and the rest pending."""
        wanted = list(ids)
        with self._write() as conn:
            for start in range(0, len(wanted), 500):
                conn.execute(_DELIVERED, {"ids": wanted[start : start + 500], "now": now, "answer": answer})

    def mark_failed(self, id: str, *, now: datetime, error: str, retry_at: datetime | None) -> None:
        """A failed attempt: retried at ``retry_at``, or, None, failed for good (retrying cannot help).

        ``error`` must already be redacted: it is shown to operators as it is.
        """
        values = {"attempts": table.c.attempts + 1, "last_error": error}
        if retry_at is None:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = retry_at
        with self._write() as conn:
            conn.execute(table.update().where(table.c.id == id, table.c.status == "pending").values(**values))

    def expire(self, *, now: datetime, older_than: timedelta) -> list[OutboxRow]:
        """Give up on pending alerts created before ``now - older_than``; the rows given up (as they
        are now, ``expired``), so the caller reports them.

        The update checks ``pending`` again and reports only the rows it changed: a delivery that
        committed after the first read (PostgreSQL does not hold readers back) stays ``delivered``,
        never reported as given up.
        """
        where = (table.c.status == "pending", table.c.created_at < now - older_than)
        with self._read() as conn:  # most passes find none: no write lock, no commit
            if conn.execute(select(table.c.id).where(*where).limit(1)).first() is None:
                return []
        with self._write() as conn:
            ids = list(conn.execute(select(table.c.id).where(*where)).scalars())
            if not ids:
                return []
            update = table.update().where(table.c.id.in_(ids), table.c.status == "pending").values(status="expired")
            expired = list(conn.execute(update.returning(table.c.id)).scalars())  # rowcount is -1 with psycopg
            rows = conn.execute(select(table).where(table.c.id.in_(expired)).order_by(*_ORDER)).all()
        return [_row(r) for r in rows]

    def messages_since(self, sink: str | Collection[str], since: datetime, *, until: datetime) -> int:
        """How many messages ``sink`` (or, a collection, those sinks together) sent its channel
        from ``since`` to ``until``: what its rate limits have used up at ``until``.

        A message dated after ``until`` was sent while the wall clock ran ahead (NTP stepped it
        back since): counting it would keep a limit used up for as long as the clock ran ahead.

        A message is one send: a digest's alerts share their ``delivered_at`` (``mark_all_delivered``
        with one ``now`` for all), so it counts once, as the channel counts it; a delivering pass
        gives each of its messages a ``delivered_at`` of its own.
        """
        sinks = [sink] if isinstance(sink, str) else list(sink)
        sends = (
            select(table.c.sink, table.c.delivered_at)
            .where(table.c.sink.in_(sinks), table.c.status == "delivered", table.c.delivered_at.between(since, until))
            .distinct()
            .subquery()
        )
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(sends)).scalar_one())

    def prune(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete delivered, failed and expired alerts created before ``before``; pending ones stay."""
        where = (table.c.status.in_(FINAL), table.c.created_at < before)
        with self._write() as conn:
            if dry_run:
                return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
            return int(conn.execute(table.delete().where(*where)).rowcount)
