"""Facts about the database itself, as strings under a key (e.g. whether its tokens are encrypted).

What a process must know before it reads other tables belongs here rather than in configuration:
a configuration can change or be lost while the database keeps what was written under the old one
(tokens written encrypted must never be read as plain text because a key went missing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from erpsync.core.store.base import Repository
from erpsync.core.store.schema import meta
from erpsync.core.store.upserts import upsert


class Meta(Repository):
    """``store.meta``: ``get`` and ``set`` one value."""

    def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None if it was never set."""
        with self._read() as conn:
            value: str | None = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()
        return value

    def set(self, key: str, value: str, *, now: datetime) -> None:
        """Store ``value`` under ``key`` (replacing what was there) in one statement."""
        with self._write() as conn:
            upsert(conn, meta, {"key": key}, {"value": value, "updated_at": now})
