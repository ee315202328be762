"""Bindings: which seller-side record an ERP record is bound to, and what was last pushed.

One row per (shop, entity, ERP id). Warehouses matched automatically are learned here
(entity ``warehouse``), so a match made while two records were alike survives a later edit that
makes them differ: that edit is drift to report, not a reason to unbind. Pushes keep the hash of
what they last sent (``last_pushed_hash``), so an unchanged record is skipped instead of pushed
again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from erpsync.core.store.base import Repository
from erpsync.core.store.rows import BindingRow, RowMapper
from erpsync.core.store.schema import bindings
from erpsync.core.store.upserts import upsert, upsert_many

_row = RowMapper(BindingRow, bindings)
_KEY = ("shop", "entity", "erp_id")


class Bindings(Repository):
    """``store.bindings``: read and write the bindings of a shop's ERP records."""

    def get(self, shop: str, entity: str, erp_id: str) -> BindingRow | None:
        """The binding of one ERP record (``entity`` e.g. "product"), or None if unbound."""
        with self._read() as conn:
            row = conn.execute(
                select(bindings).where(
                    bindings.c.shop == shop, bindings.c.entity == entity, bindings.c.erp_id == erp_id
                )
            ).one_or_none()
        return None if row is None else _row(row)

    def for_entity(self, shop: str, entity: str) -> dict[str, BindingRow]:
        """Every binding of one entity in one shop, by ERP id: one query for a whole shop."""
        with self._read() as conn:
            rows = conn.execute(select(bindings).where(bindings.c.shop == shop, bindings.c.entity == entity)).all()
        return {row.erp_id: _row(row) for row in rows}

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

    def bind_many(self, shop: str, entity: str, pairs: Mapping[str, str], *, now: datetime) -> None:
        """Bind each ERP id of ``pairs`` to its seller id in one transaction, keeping pushed hashes."""
        rows = [{"erp_id": erp_id, "seller_id": seller_id} for erp_id, seller_id in pairs.items()]
        self._put_rows(shop, entity, rows, now)

    def put_many(
        self, shop: str, entity: str, values: Mapping[str, tuple[str | None, str | None]], *, now: datetime
    ) -> None:
        """``put`` each ERP id's (seller id, last pushed hash) of ``values``, in one transaction."""
        rows = [
            {"erp_id": erp_id, "seller_id": seller_id, "last_pushed_hash": pushed}
            for erp_id, (seller_id, pushed) in values.items()
        ]
        self._put_rows(shop, entity, rows, now)

    def _put_rows(self, shop: str, entity: str, rows: list[dict[str, Any]], now: datetime) -> None:
        """Insert or update ``rows`` (an ERP id and the same columns each) in one transaction: the
        columns a row names, and ``updated_at``, are set; those it leaves out keep their value."""
        if not rows:
            return
        keyed = [{"shop": shop, "entity": entity, **row, "updated_at": now} for row in rows]
        with self._write() as conn:
            upsert_many(conn, bindings, _KEY, keyed)

    def forget(self, shop: str, entity: str, erp_ids: list[str] | None = None) -> int:
        """Drop the bindings of these ERP ids (all of the entity's when None); how many went."""
        where = [bindings.c.shop == shop, bindings.c.entity == entity]
        if erp_ids is not None:
            where.append(bindings.c.erp_id.in_(erp_ids))
        with self._write() as conn:
            return conn.execute(delete(bindings).where(*where)).rowcount or 0
