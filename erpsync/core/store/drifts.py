"""Drifts: one row per occurrence, so alerts fire once when a drift opens and once when it resolves.

A drift is named across runs by its fingerprint. While it stays true, every run updates the same
row (last seen, current values and texts); when a run of its (shop, aspect) no longer sees it, the
row is resolved. If it comes back later, that is a new row with a new ``id``: a new occurrence,
alerted and corrected again.

Alerts are written here, in the transaction that records the change causing them (an ``AlertPlanner``
from the host renders them per sink into the outbox): one when a drift opens, one when it resolves,
one when an open drift's severity rises (escalated: the same drift, worse), and a reminder for a
drift still open ``remind_after`` since its last alert, unless an operator acknowledged it
(``ack``). So a change is never recorded without its alerts, nor alerted twice.

Old resolved occurrences can be pruned; open ones never are, and the newest row never is, so
that SQLite (which may reuse the highest deleted rowid) never gives a new occurrence the id of an
old one: ledger keys are built from these ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, select

from erpsync.core.models import Drift, Severity, Texts
from erpsync.core.store.base import Repository
from erpsync.core.store.outbox import alerted_severity, insert_items
from erpsync.core.store.rows import AlertPlanner, DriftChanges, DriftRow, OutboxItem, RowMapper
from erpsync.core.store.schema import drifts as table


def _details(drift: Drift) -> str:
    """The ``details`` column: the drift's identity and its texts for people, as JSON.

    Kept as written (``ensure_ascii=False``): a Chinese summary stays readable in the database.
    """
    return json.dumps(
        {
            "identity": drift.identity,
            "summary": drift.summary.as_dict() if drift.summary is not None else None,
            "why": [t.as_dict() for t in drift.why],
            "steps": [t.as_dict() for t in drift.steps],
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _texts(value: Mapping[str, str]) -> Texts:
    return Texts(en=value["en"], zh=value["zh"])


@lru_cache(maxsize=256)
def _parsed(details: str | None) -> tuple[str | None, Texts | None, tuple[Texts, ...], tuple[Texts, ...]]:
    """identity, summary, why and steps from a ``details`` value; NULL (a row written before the
    column existed) reads as a drift without them. Cached: the row mapper asks once per field."""
    if details is None:
        return None, None, (), ()
    data = json.loads(details)
    summary = data.get("summary")
    return (
        data.get("identity"),
        _texts(summary) if summary is not None else None,
        tuple(_texts(t) for t in data.get("why") or ()),
        tuple(_texts(t) for t in data.get("steps") or ()),
    )


def _part(index: int) -> Callable[[RowMapping], Any]:
    return lambda values: _parsed(values["details"])[index]


_row = RowMapper(
    DriftRow,
    table,
    severity=lambda r: Severity(r["severity"]),
    identity=_part(0),
    summary=_part(1),
    why=_part(2),
    steps=_part(3),
)


#: the columns ``_current`` sets
_CURRENT = ("kind", "seller_value", "erp_value", "severity", "message", "details")


def _current(drift: Drift) -> dict[str, Any]:
    """The columns that follow the latest observation of a drift (the kind too: a drift that
    moved on to a later stage, ``Drift.stage_of``, is named by the stage it is in now)."""
    return {
        "kind": drift.kind,
        "seller_value": drift.seller_value,
        "erp_value": drift.erp_value,
        "severity": Severity(drift.severity).value,
        "message": drift.message,
        "details": _details(drift),
    }


#: built once: a run asks these of every shop and aspect, and building a statement costs more
#: than running it on SQLite (SQLAlchemy's statement cache still needs each new one's cache key)
_OPEN_ASPECTS = (
    select(table.c.aspect)
    .where(table.c.shop == bindparam("shop"), table.c.open_fingerprint.is_not(None))
    .group_by(table.c.aspect)
)
_OF_ASPECT = (
    table.c.shop == bindparam("shop"),
    table.c.aspect == bindparam("aspect"),
    table.c.open_fingerprint.is_not(None),
)
_ANY_OPEN = select(table.c.id).where(*_OF_ASPECT).limit(1)
_OPEN_ROWS = select(table.c.id, table.c.fingerprint, table.c.subject, table.c.kind, table.c.severity).where(*_OF_ASPECT)
_OPEN_SUBJECTS = select(table.c.subject).where(*_OF_ASPECT).group_by(table.c.subject)
_COUNT_OPEN = select(func.count()).select_from(table).where(*_OF_ASPECT)
#: what ``record`` writes, executed once with every row (``executemany``): a statement per drift
#: cost more than the database's work for it (2,000 tracking pushes: 2,000 statements built)
_SEEN_AGAIN = (
    table.update()
    .where(table.c.id == bindparam("b_id"))
    .values({name: bindparam(name, type_=table.c[name].type) for name in ("last_seen_at", *_CURRENT)})
)
_OPEN_NEW = table.insert().returning(table.c.id, table.c.fingerprint)


def _fetch(conn: Connection, ids: Sequence[int]) -> list[DriftRow]:
    if not ids:
        return []
    rows = conn.execute(select(table).where(table.c.id.in_(ids))).all()
    by_id = {r.id: _row(r) for r in rows}
    return [by_id[i] for i in ids]


def _remind(row: DriftRow, now: datetime, every: timedelta | None) -> bool:
    """Whether an open drift is due a reminder: ``every`` since its last alert, and not acked."""
    if every is None or every <= timedelta(0) or row.acked(now):
        return False
    return (row.last_alerted_at or row.opened_at) + every <= now


def _adopt_own_kind(conn: Connection, latest: dict[str, Drift], open_ids: dict[str, int]) -> None:
    """Let a drift that names a stage (``Drift.stage_of``) take over the open row recorded under
    its own kind's fingerprint, from before it named the stage (an upgrade): renamed in place, so
    adding a stage to a kind never resolves an open drift and opens it again, acknowledgement lost.
    """
    for fingerprint, drift in latest.items():
        if drift.stage_of is None or fingerprint in open_ids:
            continue
        own = replace(drift, stage_of=None).fingerprint
        row_id = open_ids.get(own)
        if row_id is None or own in latest:
            continue
        conn.execute(
            table.update().where(table.c.id == row_id).values(fingerprint=fingerprint, open_fingerprint=fingerprint)
        )
        open_ids[fingerprint] = open_ids.pop(own)


class Drifts(Repository):
    """``store.drifts``: ``record`` what one aspect found, ``list_open``, ``open_subjects``, ``count_open``, ``get``,
    ``ack``, ``list_occurrences``, ``prune``."""

    def record(
        self,
        shop: str,
        aspect: str,
        drifts: Sequence[Drift],
        *,
        now: datetime,
        run_id: str | None,
        scope: Collection[str] | None = None,
        kept: Mapping[str, Collection[str]] | None = None,
        alerts: AlertPlanner | None = None,
        remind_after: timedelta | None = None,
        none_open: bool = False,
    ) -> DriftChanges:
        """Record everything one aspect found on one shop in one run, in one transaction.

        New fingerprints open a row; open ones get ``last_seen_at`` and their current kind, values,
        message, severity and texts (an address field wrong in a new way is the same drift: its
        fingerprint does not follow the values unless the drift names an ``identity``);
        open rows of this (shop, aspect) that were not seen are resolved. An absent drift is taken
        as fixed, so ``drifts`` must be complete for what the aspect observed. ``scope`` names the
        subjects it observed completely: only open drifts of those subjects may resolve, and the
        others stay open untouched (a malformed ERP row or an empty seller answer says nothing
        about them). ``None`` means everything of this (shop, aspect) was observed. ``kept`` narrows
        it by kind: subject → the drift kinds the aspect did not check for that subject, whose open
        drifts stay open while its other drifts may resolve. New drifts
        open whatever their subject. Drifts of other shops or aspects are refused
        (``ValueError``) since they would escape resolution.

        With ``alerts``, the outbox rows it renders for each opened and resolved drift, an
        escalation for each open drift whose severity rose (whether acknowledged or not, and it
        ends the acknowledgement: that covered the drift as it was, not the worse one), and a
        reminder for each other drift
        still open ``remind_after`` (None: never) after its last alert and not acknowledged, are
        written in this same transaction; ``last_alerted_at`` of the drifts alerted becomes
        ``now``. The planner sees an escalated or reminded drift with its previous
        ``last_alerted_at``, so the alert's id can name it: each escalation or reminder is a new
        alert, while the same one written twice is not. A severity that falls is recorded
        without an alert; a resolution is announced at the highest severity the drift was
        alerted at (``outbox.alerted_severity``), so a channel that heard it escalate hears it
        resolve, and one that falls and rises again escalates again.

        ``none_open`` says the caller knows (shop, aspect) has no open drift: it read
        ``open_aspects`` under the shop's lease and has recorded no opened drift of it since. A
        record with nothing seen then needs no read at all; one with drifts is unaffected.
        """
        if isinstance(scope, str):  # "WH-1" would match as a string of characters, not one subject
            raise TypeError("scope must be a collection of subjects, not a str")
        scope = None if scope is None else frozenset(scope)
        latest: dict[str, Drift] = {}
        for drift in drifts:
            if drift.shop != shop or drift.aspect != aspect:
                raise ValueError(
                    f"drift of {drift.shop}/{drift.aspect} recorded under {shop}/{aspect}: {drift.message}"
                )
            latest[drift.fingerprint] = drift  # the last report of a fingerprint wins
        if not latest and (none_open or not self._any_open(shop, aspect)):
            return DriftChanges()  # nothing seen, nothing open: nothing to write (no commit)
        with self._write() as conn:
            open_rows = conn.execute(_OPEN_ROWS, {"shop": shop, "aspect": aspect}).all()
            open_ids = {r.fingerprint: r.id for r in open_rows}
            _adopt_own_kind(conn, latest, open_ids)
            was = {r.id: Severity(r.severity) for r in open_rows}
            worse: list[int] = []
            subject_of = {r.id: r.subject for r in open_rows}
            kind_of = {r.id: r.kind for r in open_rows}
            held = kept or {}
            in_scope = {
                fp
                for fp, i in open_ids.items()
                if (scope is None or subject_of[i] in scope) and kind_of[i] not in held.get(subject_of[i], ())
            }
            opened: list[int] = []
            still_open: list[int] = []
            seen: list[dict[str, Any]] = []  # the open rows seen again, updated in one executemany
            new: list[dict[str, Any]] = []  # the rows to open, inserted in one executemany
            for fingerprint, drift in latest.items():
                if fingerprint in open_ids:
                    row_id = open_ids[fingerprint]
                    seen.append({"b_id": row_id, "last_seen_at": now, **_current(drift)})
                    still_open.append(row_id)
                    if Severity(drift.severity).rank > was[row_id].rank:
                        worse.append(row_id)
                    continue
                new.append(
                    {
                        "fingerprint": fingerprint,
                        "open_fingerprint": fingerprint,
                        "shop": shop,
                        "aspect": aspect,
                        "subject": drift.subject,
                        "field": drift.field,
                        "opened_at": now,
                        "last_seen_at": now,
                        "opened_run": run_id,
                        "last_alerted_at": now if alerts is not None else None,
                        **_current(drift),
                    }
                )
            if seen:
                conn.execute(_SEEN_AGAIN, seen)
            if new:
                # RETURNING in whatever order the database gives: each id is matched to its row by
                # the fingerprint, which one open row holds at most (``open_fingerprint`` is unique)
                new_ids = {fp: i for i, fp in conn.execute(_OPEN_NEW, new)}
                opened = [new_ids[row["fingerprint"]] for row in new]
            gone = [i for fp, i in open_ids.items() if fp not in latest and fp in in_scope]
            if gone:
                conn.execute(
                    table.update()
                    .where(table.c.id.in_(gone))
                    .values(open_fingerprint=None, resolved_at=now, resolved_run=run_id)
                )
            changes = DriftChanges(
                opened=_fetch(conn, opened), still_open=_fetch(conn, still_open), resolved=_fetch(conn, gone)
            )
            if alerts is None:
                return changes
            escalated = [r for r in changes.still_open if r.id in worse]
            reminded = [r for r in changes.still_open if r.id not in worse and _remind(r, now, remind_after)]
            items: list[OutboxItem] = []
            for row in changes.opened:
                items += alerts("opened", row)
            highest = alerted_severity(conn, [r.id for r in changes.resolved])
            for row in changes.resolved:
                top = highest.get(row.id)
                # announced as the worst it was alerted at: a channel that heard it escalate (a
                # critical-only pager) hears it resolve, though it fell back before it resolved
                items += alerts("resolved", replace(row, severity=top) if top and top.rank > row.severity.rank else row)
            for row in escalated:
                items += alerts("escalated", row)
            for row in reminded:
                items += alerts("reminder", row)
            insert_items(conn, items, now=now)
            if not escalated and not reminded:
                return changes
            ids = [r.id for r in (*escalated, *reminded)]
            conn.execute(table.update().where(table.c.id.in_(ids)).values(last_alerted_at=now))
            if escalated:
                conn.execute(
                    table.update()
                    .where(table.c.id.in_([r.id for r in escalated]))
                    .values(acked_at=None, acked_until=None)
                )
            return DriftChanges(
                opened=changes.opened,
                still_open=_fetch(conn, still_open),
                resolved=changes.resolved,
                reminded=_fetch(conn, [r.id for r in reminded]),
                escalated=_fetch(conn, [r.id for r in escalated]),
            )

    def _any_open(self, shop: str, aspect: str) -> bool:
        """Whether (shop, aspect) has an open drift. Read without the write lock: the shop's lease
        keeps every other run from opening one meanwhile."""
        with self._read() as conn:
            found = conn.execute(_ANY_OPEN, {"shop": shop, "aspect": aspect}).first()
        return found is not None

    def still_open(self, ids: Collection[int]) -> set[int]:
        """Which of the drift occurrences ``ids`` (row ids) are open now."""
        wanted = sorted(set(ids))
        if not wanted:
            return set()
        query = select(table.c.id).where(table.c.id.in_(wanted), table.c.open_fingerprint.is_not(None))
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    def open_aspects(self, shop: str) -> frozenset[str]:
        """The aspects of ``shop`` with an open drift, in one read.

        A run holding the shop's lease reads this once instead of asking ``record`` to check each
        aspect: no other run can open a drift of the shop while the lease is held, so what it
        read stays true until the run itself records one (``record``'s ``none_open``).
        """
        with self._read() as conn:
            return frozenset(conn.execute(_OPEN_ASPECTS, {"shop": shop}).scalars())

    def open_subjects(self, shop: str, aspect: str) -> frozenset[str]:
        """The subjects (order ids, ...) of the drifts of (shop, aspect) open now, in one read: what
        an aspect reading changes since a cursor reads again by id (``ObserveContext.open_subjects``)."""
        with self._read() as conn:
            return frozenset(conn.execute(_OPEN_SUBJECTS, {"shop": shop, "aspect": aspect}).scalars())

    def count_open(self, shop: str, aspect: str) -> int:
        """How many drifts of (shop, aspect) are open now, in one read: what a run that could not
        check the aspect leaves open unchecked, and says so."""
        with self._read() as conn:
            return int(conn.execute(_COUNT_OPEN, {"shop": shop, "aspect": aspect}).scalar_one())

    def get(self, drift_id: int) -> DriftRow | None:
        """One occurrence by its id, open or resolved; None if there is none (or it was pruned)."""
        with self._read() as conn:
            row = conn.execute(select(table).where(table.c.id == drift_id)).one_or_none()
        return None if row is None else _row(row)

    def ack(self, drift_id: int, *, now: datetime, until: datetime | None) -> DriftRow | None:
        """Silence the reminders of an open drift until ``until`` (None: until it resolves).

        Its resolution still alerts, and so does its severity rising, which ends the ack (it
        covered the drift as it was). None if no open drift has that id: a resolved drift sends no
        reminders to silence. A later ack replaces an earlier one.
        """
        with self._write() as conn:
            done = conn.execute(
                table.update()
                .where(table.c.id == drift_id, table.c.open_fingerprint.is_not(None))
                .values(acked_at=now, acked_until=until)
            ).rowcount
            found = _fetch(conn, [drift_id]) if done else []
        return found[0] if found else None

    def list_open(self, shop: str | None = None, *, aspect: str | None = None) -> list[DriftRow]:
        """Drifts open now, oldest first; all shops unless ``shop`` (and ``aspect``) narrow it."""
        query = select(table).where(table.c.open_fingerprint.is_not(None))
        if shop is not None:
            query = query.where(table.c.shop == shop)
        if aspect is not None:
            query = query.where(table.c.aspect == aspect)
        with self._read() as conn:
            rows = conn.execute(query.order_by(table.c.opened_at, table.c.id)).all()
        return [_row(r) for r in rows]

    def list_occurrences(self, fingerprint: str) -> list[DriftRow]:
        """Every occurrence of one drift, oldest first: how often it came back, and when."""
        with self._read() as conn:
            rows = conn.execute(select(table).where(table.c.fingerprint == fingerprint).order_by(table.c.id)).all()
        return [_row(r) for r in rows]

    def prune(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete occurrences resolved before ``before``; how many were (or, dry, would be) deleted.

        Open drifts are never deleted, whatever their age: they are the store's view of what is
        wrong now, and alerts depend on it.
        """
        newest = select(func.max(table.c.id)).scalar_subquery()
        where = (table.c.open_fingerprint.is_(None), table.c.resolved_at < before, table.c.id < newest)
        with self._write() as conn:
            if dry_run:
                return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
            return int(conn.execute(table.delete().where(*where)).rowcount)
