"""Observations: what erpsync last saw of a value it cannot read the history of, and when it changed.

Seller Center does not say when a warehouse address was last saved, but a save re-triggers the
pickup review; remembering the address fingerprint between runs lets the pickup aspect date the
change itself. A change is dated between two runs: the value before it was last seen at
``previous_seen_at`` and the new one first at ``changed_at``, so both are kept.

``for_shop(shop)`` adapts this, with the operators' pickup confirmations, to the
``ObservationMemory`` port aspects depend on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from erpsync.core.models import PickupConfirmation
from erpsync.core.ports import Sighting
from erpsync.core.store.base import Repository, insert
from erpsync.core.store.confirmations import Confirmations
from erpsync.core.store.schema import observations

#: the longest value ``record`` keeps: the column's size, which PostgreSQL enforces and SQLite does not
MAX_VALUE_LENGTH = 128


class ShopMemory:
    """``ObservationMemory`` for one shop: the store's observations and pickup confirmations."""

    def __init__(self, observations: Observations, confirmations: Confirmations, shop: str) -> None:
        self._observations = observations
        self._confirmations = confirmations
        self.shop = shop

    def observe(self, key: str, value: str, now: datetime) -> Sighting:
        """See ``ObservationMemory``: record ``value`` for ``key`` and say when it last changed."""
        return self._observations.record(self.shop, key, value, now=now)

    def pickup_confirmation(self, warehouse_id: str, now: datetime) -> PickupConfirmation | None:
        """See ``ObservationMemory``: the operator's record for the warehouse, None once expired."""
        return self._confirmations.get(self.shop, warehouse_id, now=now)


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
        if len(fingerprint) > MAX_VALUE_LENGTH:
            raise ValueError(
                f"observation {key!r}: a value of {len(fingerprint)} characters (at most {MAX_VALUE_LENGTH}); "
                "record a digest of it"
            )
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
            if row.fingerprint == fingerprint:
                conn.execute(observations.update().where(*where).values(last_seen_at=now))
                return Sighting(
                    fingerprint,
                    first_seen_at=row.first_seen_at,
                    changed_at=row.changed_at,
                    previous=row.previous_fingerprint,
                    previous_seen_at=row.previous_seen_at,
                )
            conn.execute(
                observations.update()
                .where(*where)
                .values(
                    fingerprint=fingerprint,
                    changed_at=now,
                    last_seen_at=now,
                    previous_fingerprint=row.fingerprint,
                    previous_seen_at=row.last_seen_at,
                )
            )
            return Sighting(
                fingerprint,
                first_seen_at=row.first_seen_at,
                changed_at=now,
                previous=row.fingerprint,
                previous_seen_at=row.last_seen_at,
            )

    def for_shop(self, shop: str) -> ShopMemory:
        """The ``ObservationMemory`` an aspect's ``ObserveContext`` gets for ``shop``."""
        return ShopMemory(self, Confirmations(self._engine), shop)
