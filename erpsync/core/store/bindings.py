"""Bindings: which seller-side record an ERP record is bound to, and what was last pushed.

The hash of what was last pushed lets a caller skip an unchanged record instead of pushing it
again. Nothing in erpsync writes bindings yet; the table and its verbs are kept small until an
aspect needs more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from erpsync.core.store.base import Repository, upsert
from erpsync.core.store.rows import BindingRow, RowMapper
from erpsync.core.store.schema import bindings

_row = RowMapper(BindingRow, bindings)


class Bindings(Repository):
    """``store.bindings``: ``get`` and ``put`` the binding of one ERP record."""

    def get(self, shop: str, entity: str, erp_id: str) -> BindingRow | None:
        """The binding of one ERP record (``entity`` e.g. "product"), or None if unbound."""
        with self._read() as conn:
            row = conn.execute(
                select(bindings).where(
                    bindings.c.shop == shop, bindings.c.entity == entity, bindings.c.erp_id == erp_id
                )
            ).one_or_none()
        return None if row is None else _row(row)

    def put(
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
        with self._write() as conn:
            upsert(conn, bindings, {"shop": shop, "entity": entity, "erp_id": erp_id}, values)
        return BindingRow(shop, entity, erp_id, seller_id, last_pushed_hash, now)
