"""Observations: what erpsync last saw of a value it cannot read the history of, and when it changed.

Seller Center does not say when a warehouse address was last saved, but a save re-triggers the
pickup review; remembering the address fingerprint between runs lets the pickup aspect date the
change itself. ``memory(shop)`` adapts this to the ``ObservationMemory`` port aspects depend on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from erpsync.core.store.base import StoreBase
from erpsync.core.store.schema import observations


class ShopMemory:
    """``ObservationMemory`` for one shop, backed by the store's ``observations`` table."""

    def __init__(self, store: ObservationsMixin, shop: str) -> None:
        self._store = store
        self.shop = shop

    def note_seller_address(self, warehouse_id: str, fingerprint: str, now: datetime) -> datetime | None:
        """See ``ObservationMemory``: when the address was first seen to differ, else None."""
        return self._store.note_observation(self.shop, f"seller_address:{warehouse_id}", fingerprint, now=now)


class ObservationsMixin(StoreBase):
    def note_observation(self, shop: str, key: str, fingerprint: str, *, now: datetime) -> datetime | None:
        """Remember ``fingerprint`` as what ``key`` looks like now; return when it last changed.

        First sight: stored, returns None (no change was ever seen, as opposed to "changed now").
        Same fingerprint: returns the stored change time (None if it never changed).
        Different fingerprint: stores it, returns ``now``.
        """
        where = (observations.c.shop == shop, observations.c.key == key)
        with self._write() as conn:
            row = conn.execute(select(observations).where(*where)).one_or_none()
            if row is None:
                conn.execute(
                    observations.insert().values(
                        shop=shop, key=key, fingerprint=fingerprint, first_seen_at=now, last_seen_at=now
                    )
                )
                return None
            if row.fingerprint == fingerprint:
                conn.execute(observations.update().where(*where).values(last_seen_at=now))
                changed_at: datetime | None = row.changed_at
                return changed_at
            conn.execute(
                observations.update().where(*where).values(fingerprint=fingerprint, changed_at=now, last_seen_at=now)
            )
            return now

    def memory(self, shop: str) -> ShopMemory:
        """The ``ObservationMemory`` an aspect's ``ObserveContext`` gets for ``shop``."""
        return ShopMemory(self, shop)
