"""Paused shops: an operator's "leave this shop alone" that every service process honours.

A pause lives in the state database, not in one process's memory, so the scheduler, Celery
workers and the webhook receiver all see it, and it outlives restarts until ``resume``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from erpsync.core.store.base import Repository
from erpsync.core.store.rows import RowMapper
from erpsync.core.store.schema import shop_pauses
from erpsync.core.store.upserts import upsert


@dataclass(frozen=True)
class PauseRow:
    """One paused shop: why, and since when."""

    shop: str
    reason: str
    paused_at: datetime


_row = RowMapper(PauseRow, shop_pauses)


class ShopPauses(Repository):
    """``store.shop_pauses``: ``pause``, ``resume``, ``get`` one, ``all``."""

    def pause(self, shop: str, *, reason: str, now: datetime) -> None:
        """Pause ``shop`` (pausing it again replaces the reason and the time)."""
        with self._write() as conn:
            upsert(conn, shop_pauses, {"shop": shop}, {"reason": reason, "paused_at": now})

    def resume(self, shop: str) -> bool:
        """Lift the pause; True if ``shop`` was paused."""
        with self._write() as conn:
            return conn.execute(shop_pauses.delete().where(shop_pauses.c.shop == shop)).rowcount == 1

    def get(self, shop: str) -> PauseRow | None:
        """The pause on ``shop``, or None if it is not paused."""
        with self._read() as conn:
            row = conn.execute(select(shop_pauses).where(shop_pauses.c.shop == shop)).one_or_none()
        return None if row is None else _row(row)

    def all(self) -> list[PauseRow]:
        """Every paused shop, by name."""
        with self._read() as conn:
            rows = conn.execute(select(shop_pauses).order_by(shop_pauses.c.shop)).all()
        return [_row(r) for r in rows]
