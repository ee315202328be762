"""Observations: what erpsync last saw of a value it cannot read the history of, and when it changed.

Seller Center does not say when a warehouse address was last saved, but a save re-triggers the
pickup review; remembering the address fingerprint between runs lets the pickup aspect date the
change itself. ``for_shop(shop)`` adapts this to the ``ObservationMemory`` port aspects depend on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from erpsync.core.store.base import Repository, insert
from erpsync.core.store.schema import observations


class ShopMemory:
    """``ObservationMemory`` for one shop, backed by the store's ``observations`` table."""

    def __init__(self, observations: Observations, shop: str) -> None:
        self._observations = observations
        self.shop = shop

    def note_seller_address(self, warehouse_id: str, fingerprint: str, now: datetime) -> datetime | None:
        """See ``ObservationMemory``: when the address was first seen to differ, else None."""
        return self._observations.record(self.shop, f"seller_address:{warehouse_id}", fingerprint, now=now)


class Observations(Repository):
    """``store.observations``: ``record`` what a value looks like now; ``for_shop`` gives the port."""

    def record(self, shop: str, key: str, fingerprint: str, *, now: datetime) -> datetime | None:
        """Remember ``fingerprint`` as what ``key`` looks like now; return when it last changed.

        First sight: stored, returns None (no change was ever seen, as opposed to "changed now").
        Same fingerprint: returns the stored change time (None if it never changed).
        Different fingerprint: stores it, returns ``now``. Two processes seeing a key first at
        once cannot both insert it: the loser of the primary key reads the winner's row.
        """
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
                    return None
                row = conn.execute(current).one()
            if row.fingerprint == fingerprint:
                conn.execute(observations.update().where(*where).values(last_seen_at=now))
                changed_at: datetime | None = row.changed_at
                return changed_at
            conn.execute(
                observations.update().where(*where).values(fingerprint=fingerprint, changed_at=now, last_seen_at=now)
            )
            return now

    def for_shop(self, shop: str) -> ShopMemory:
        """The ``ObservationMemory`` an aspect's ``ObserveContext`` gets for ``shop``."""
        return ShopMemory(self, shop)
