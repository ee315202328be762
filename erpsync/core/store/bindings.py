"""Cursors and bindings: kept minimal until the listings and tracking aspects need more.

A cursor is an opaque position per (shop, stream); the caller subtracts its overlap window when it
reads and stores the new high-water mark only after the batch is committed (at-least-once reads,
idempotent writes). A binding ties an ERP record to its seller-side id and remembers the hash of
what was last pushed, so an unchanged record is not pushed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from erpsync.core.store.base import StoreBase
from erpsync.core.store.rows import BindingRow
from erpsync.core.store.schema import bindings, cursors


class CursorsBindingsMixin(StoreBase):
    def get_cursor(self, shop: str, stream: str) -> str | None:
        """The stored position of ``stream`` for ``shop``, or None before its first sync."""
        with self._read() as conn:
            position: str | None = conn.execute(
                select(cursors.c.position).where(cursors.c.shop == shop, cursors.c.stream == stream)
            ).scalar_one_or_none()
        return position

    def set_cursor(self, shop: str, stream: str, position: str, *, now: datetime) -> None:
        """Store the position of ``stream``; call only once what precedes it is committed."""
        where = (cursors.c.shop == shop, cursors.c.stream == stream)
        with self._write() as conn:
            updated = conn.execute(cursors.update().where(*where).values(position=position, updated_at=now))
            if updated.rowcount == 0:
                conn.execute(cursors.insert().values(shop=shop, stream=stream, position=position, updated_at=now))

    def get_binding(self, shop: str, entity: str, erp_id: str) -> BindingRow | None:
        """The binding of one ERP record (``entity`` e.g. "listing"), or None if unbound."""
        with self._read() as conn:
            row = conn.execute(
                select(bindings).where(
                    bindings.c.shop == shop, bindings.c.entity == entity, bindings.c.erp_id == erp_id
                )
            ).one_or_none()
        if row is None:
            return None
        return BindingRow(row.shop, row.entity, row.erp_id, row.seller_id, row.last_pushed_hash, row.updated_at)

    def put_binding(
        self,
        shop: str,
        entity: str,
        erp_id: str,
        *,
        seller_id: str | None,
        last_pushed_hash: str | None,
        now: datetime,
    ) -> BindingRow:
        """Create or replace the binding of one ERP record (unique per shop, entity and erp_id)."""
        values = {"seller_id": seller_id, "last_pushed_hash": last_pushed_hash, "updated_at": now}
        where = (bindings.c.shop == shop, bindings.c.entity == entity, bindings.c.erp_id == erp_id)
        with self._write() as conn:
            updated = conn.execute(bindings.update().where(*where).values(**values))
            if updated.rowcount == 0:
                conn.execute(bindings.insert().values(shop=shop, entity=entity, erp_id=erp_id, **values))
        return BindingRow(shop, entity, erp_id, seller_id, last_pushed_hash, now)
