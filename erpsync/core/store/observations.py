"""Observations: what erpsync last saw of a value it cannot read the history of, and when it changed.

Seller Center does not say when a warehouse address was last saved, but a save re-triggers the
pickup review; remembering the address fingerprint between runs lets the pickup aspect date the
change itself. A change is dated between two runs: the value before it was last seen at
``previous_seen_at`` and the new one first at ``changed_at``, so both are kept.

``for_shop(shop)`` adapts this, with the operators' pickup confirmations, to the
``ObservationMemory`` port aspects depend on; it reads the shop's rows (and its confirmations)
once and writes what changed in one transaction (``ShopMemory.flush``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select

from erpsync.core.models import PickupConfirmation
from erpsync.core.ports import Sighting
from erpsync.core.store.base import Repository
from erpsync.core.store.confirmations import Confirmations
from erpsync.core.store.rows import ConfirmationRow
from erpsync.core.store.schema import observations
from erpsync.core.store.upserts import insert, upsert_many

#: the longest value ``record`` keeps: the column's size, which PostgreSQL enforces and SQLite does not
MAX_VALUE_LENGTH = 128
#: rows per statement: well under the bound parameters SQLite allows in one statement
_CHUNK = 500
_COLUMNS = ("fingerprint", "first_seen_at", "last_seen_at", "changed_at", "previous_fingerprint", "previous_seen_at")
#: built once: every aspect of every shop reads its memory (SQLAlchemy's cache would still build
#: and key a new statement each time)
_OF_SHOP = select(observations).where(observations.c.shop == bindparam("shop"))


def _seen(row: Row[Any]) -> Seen:
    return Seen(**{name: getattr(row, name) for name in _COLUMNS})


def _values(row: Seen) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _COLUMNS}


@dataclass(frozen=True)
class Seen:
    """One observations row: a key's current value, and what is known of its last change."""

    fingerprint: str
    first_seen_at: datetime
    last_seen_at: datetime
    changed_at: datetime | None = None
    previous_fingerprint: str | None = None
    previous_seen_at: datetime | None = None

    def sighting(self) -> Sighting:
        return Sighting(
            self.fingerprint,
            first_seen_at=self.first_seen_at,
            changed_at=self.changed_at,
            previous=self.previous_fingerprint,
            previous_seen_at=self.previous_seen_at,
        )


def seen_again(row: Seen | None, fingerprint: str, now: datetime) -> Seen:
    """The row after ``fingerprint`` is seen at ``now`` (see ``Observations.record``)."""
    if row is None:
        return Seen(fingerprint, first_seen_at=now, last_seen_at=now)
    if row.fingerprint == fingerprint:
        return replace(row, last_seen_at=now)
    return Seen(fingerprint, row.first_seen_at, now, now, row.fingerprint, row.last_seen_at)


def _checked(key: str, fingerprint: str) -> None:
    if len(fingerprint) > MAX_VALUE_LENGTH:
        raise ValueError(
            f"observation {key!r}: a value of {len(fingerprint)} characters (at most {MAX_VALUE_LENGTH}); "
            "record a digest of it"
        )


class ShopMemory:
    """``ObservationMemory`` for one shop: the store's observations and pickup confirmations.

    ``deferred`` (the host's way): the shop's observations are read once, at the first
    ``observe``, and answered from that snapshot, as are its pickup confirmations at the first
    ``pickup_confirmation`` (the pickup aspect asks for every warehouse: one read, not one per
    warehouse, which cost a shop of 300 warehouses 70 ms of CPU after its last call);
    what changed is written by ``flush`` in one transaction. The host flushes once an aspect's
    observation is complete and before it records drifts: an observation that failed half-way
    writes none of its sightings, and a shop of 1,000 warehouses costs one commit, not one per
    warehouse and key. The shop's lease keeps other runs from observing it meanwhile (and
    operators' confirmations made meanwhile count from the next aspect run). Not deferred, each
    ``observe`` is its own transaction, for a caller that has no ``flush`` to make.
    """

    def __init__(
        self, observations: Observations, confirmations: Confirmations, shop: str, *, deferred: bool = False
    ) -> None:
        self._observations = observations
        self._confirmations = confirmations
        self.shop = shop
        self.deferred = deferred
        self._rows: dict[str, Seen] | None = None
        self._changed: dict[str, Seen] = {}
        self._confirmed: dict[str, ConfirmationRow] | None = None

    def observe(self, key: str, value: str, now: datetime) -> Sighting:
        """See ``ObservationMemory``: record ``value`` for ``key`` (deferred: at ``flush``) and
        say when it last changed."""
        if not self.deferred:
            return self._observations.record(self.shop, key, value, now=now)
        _checked(key, value)
        if self._rows is None:
            self._rows = self._observations.of_shop(self.shop)
        row = self._rows[key] = self._changed[key] = seen_again(self._rows.get(key), value, now)
        return row.sighting()

    def flush(self) -> None:
        """Write every sighting noted since the last flush, in one transaction (all or none)."""
        if self._changed:
            self._observations.put_many(self.shop, self._changed)
            self._changed = {}

    def pickup_confirmation(self, warehouse_id: str, now: datetime) -> PickupConfirmation | None:
        """See ``ObservationMemory``: the operator's record for the warehouse, None once expired."""
        if not self.deferred:
            return self._confirmations.get(self.shop, warehouse_id, now=now)
        if self._confirmed is None:
            self._confirmed = {row.warehouse_id: row for row in self._confirmations.of_shop(self.shop)}
        row = self._confirmed.get(warehouse_id)
        return row.as_confirmation() if row is not None and row.valid_at(now) else None


class Observations(Repository):
    """``store.observations``: ``record`` what a value looks like now; ``for_shop`` gives the port."""

    def record(self, shop: str, key: str, fingerprint: str, *, now: datetime) -> Sighting:
        """Remember ``fingerprint`` as what ``key`` looks like now; say what is known of its changes.

        First sight: stored; the sighting has no change (as opposed to "changed now").
        Same fingerprint: the stored change, if any (when, and the value before it).
        Different fingerprint: stored with the old value as ``previous`` and the last time the old
        value was seen as ``previous_seen_at``; ``changed_at`` is ``now``. Changing back is a
        change like any other. ``first_seen_at`` is when the key was first seen at all.

        Two processes seeing a key first at once cannot both insert it: the loser of the primary
        key reads the winner's row. A fingerprint longer than ``MAX_VALUE_LENGTH`` is refused
        (``ValueError``) on every engine, not only on PostgreSQL: pass a digest of long values.
        """
        _checked(key, fingerprint)
        where = (observations.c.shop == shop, observations.c.key == key)
        current = select(observations).where(*where).with_for_update()
        with self._write() as conn:
            row = conn.execute(current).one_or_none()
            if row is None:
                first = conn.execute(
                    insert(conn, observations)
                    .values(shop=shop, key=key, fingerprint=fingerprint, first_seen_at=now, last_seen_at=now)
                    .on_conflict_do_nothing()
                    .returning(observations.c.key)  # rowcount is -1 here with psycopg
                ).first()
                if first is not None:
                    return Sighting(fingerprint, first_seen_at=now)
                row = conn.execute(current).one()
            after = seen_again(_seen(row), fingerprint, now)
            conn.execute(observations.update().where(*where).values(**_values(after)))
        return after.sighting()

    def of_shop(self, shop: str) -> dict[str, Seen]:
        """Every observation of ``shop``, by key: one read."""
        with self._read() as conn:
            rows = conn.execute(_OF_SHOP, {"shop": shop}).all()
        return {row.key: _seen(row) for row in rows}

    def put_many(self, shop: str, rows: Mapping[str, Seen]) -> None:
        """Store ``rows`` (key → row) for ``shop`` as they are, in one transaction."""
        items = [{"shop": shop, "key": key, **_values(row)} for key, row in rows.items()]
        with self._write() as conn:
            upsert_many(conn, observations, ("shop", "key"), items, chunk=_CHUNK)

    def for_shop(self, shop: str, *, deferred: bool = False) -> ShopMemory:
        """The ``ObservationMemory`` an aspect's ``ObserveContext`` gets for ``shop``; ``deferred``:
        one read, and one write at each ``flush`` (see ``ShopMemory``)."""
        return ShopMemory(self, Confirmations(self._engine), shop, deferred=deferred)
