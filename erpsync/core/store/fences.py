"""Fencing epochs: one number per shop that only grows, so a worker that lost its shop writes nothing.

A lease expires; a worker paused past its expiry (a long GC, a frozen VM, a lost network) wakes up
believing it still holds the shop while another worker took it over. Each worker therefore
``advance``s the shop's epoch when it starts and passes the epoch it got to every ledger ``begin``
(``fence=(shop, epoch)``); ``begin`` compares it with the current epoch inside its own transaction
and raises ``StaleFenceError`` when another worker advanced it since (Kleppmann, "How to do
distributed locking": the fencing token is checked by the storage, not by the client).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from erpsync.core.errors import StaleFenceError
from erpsync.core.store.base import Repository
from erpsync.core.store.schema import fences
from erpsync.core.store.upserts import insert


def check_fence(conn: Connection, shop: str, epoch: int) -> None:
    """Raise ``StaleFenceError`` if ``shop``'s epoch moved past ``epoch``; call inside the write's transaction.

    On PostgreSQL the row is read ``FOR SHARE``: an ``advance`` racing the check waits until the
    transaction that checked commits, so no write is begun under an epoch already superseded. SQLite
    serialises writers anyway (``BEGIN IMMEDIATE``).
    """
    query = select(fences.c.epoch).where(fences.c.shop == shop)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    current = conn.execute(query).scalar_one_or_none() or 0
    if current > epoch:
        raise StaleFenceError(
            f"shop {shop!r} was taken over by another worker (fencing epoch {current}, this worker has {epoch}): "
            "nothing was written; the newer worker carries on"
        )


class Fences(Repository):
    """``store.fences``: ``advance`` a shop's epoch, read the ``current`` one."""

    def advance(self, shop: str, *, now: datetime) -> int:
        """Add one to ``shop``'s epoch and return it (1 the first time): one atomic upsert, so no two
        callers ever get the same epoch."""
        with self._write() as conn:
            statement = insert(conn, fences).values(shop=shop, epoch=1, advanced_at=now)
            epoch = conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[fences.c.shop], set_={"epoch": fences.c.epoch + 1, "advanced_at": now}
                ).returning(fences.c.epoch)
            ).scalar_one()
        return int(epoch)

    def current(self, shop: str) -> int:
        """``shop``'s epoch now; 0 when it was never advanced."""
        with self._read() as conn:
            epoch = conn.execute(select(fences.c.epoch).where(fences.c.shop == shop)).scalar_one_or_none()
        return int(epoch or 0)
