"""Cursors: an opaque position per (shop, stream), for incremental reads.

The caller subtracts its overlap window when it reads and stores the new high-water mark only
after the batch is committed (at-least-once reads, idempotent writes).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from erpsync.core.store.base import Repository
from erpsync.core.store.schema import cursors
from erpsync.core.store.upserts import upsert


class Cursors(Repository):
    """``store.cursors``: ``get`` and ``put`` one stream's position."""

    def get(self, shop: str, stream: str) -> str | None:
        """The stored position of ``stream`` for ``shop``, or None before its first sync."""
        with self._read() as conn:
            position: str | None = conn.execute(
                select(cursors.c.position).where(cursors.c.shop == shop, cursors.c.stream == stream)
            ).scalar_one_or_none()
        return position

    def put(self, shop: str, stream: str, position: str, *, now: datetime) -> None:
        """Store the position of ``stream``; call only once what precedes it is committed."""
        with self._write() as conn:
            upsert(conn, cursors, {"shop": shop, "stream": stream}, {"position": position, "updated_at": now})
