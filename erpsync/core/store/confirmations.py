"""Pickup confirmations: what an operator saw in Seller Center, kept until it expires.

The Open API reads neither the pickup subscription nor its review, so when the evidence cannot
settle a warehouse an operator looks in Seller Center and records the status
(``erpsync pickup confirm``). It expires because the status changes without erpsync seeing it
(a save restarts the review, a review completes); the pickup aspect lets later contrary evidence
override it. One row per warehouse: confirming again replaces the record.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import func, select

from erpsync.core.errors import UsageError
from erpsync.core.models import PickupConfirmation, SubscriptionStatus
from erpsync.core.store.base import Repository
from erpsync.core.store.rows import ConfirmationRow, RowMapper
from erpsync.core.store.schema import pickup_confirmations as table
from erpsync.core.store.upserts import upsert

#: what an operator can read in Seller Center: 生效中, not subscribed (or cancelled), 审核中
CONFIRMABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.NOT_SUBSCRIBED, SubscriptionStatus.PENDING_REVIEW)
#: the size of the ``confirmed_by`` column, which PostgreSQL enforces and SQLite does not
MAX_BY_LENGTH = 255

_row = RowMapper(ConfirmationRow, table, status=lambda r: SubscriptionStatus(r["status"]))


def _status(status: str) -> SubscriptionStatus:
    allowed = ", ".join(s.value for s in CONFIRMABLE)
    try:
        value = SubscriptionStatus(status)
    except ValueError:
        raise UsageError(f"unknown pickup status {status!r} (one of: {allowed})") from None
    if value not in CONFIRMABLE:
        raise UsageError(f"pickup status {value.value!r} cannot be confirmed (one of: {allowed})")
    return value


class Confirmations(Repository):
    """``store.confirmations``: ``confirm``, ``get`` (valid ones), ``of_shop``, ``list``, ``clear``, ``prune``."""

    def confirm(
        self,
        shop: str,
        warehouse_id: str,
        status: str,
        *,
        now: datetime,
        expires_at: datetime,
        note: str = "",
        by: str | None = None,
    ) -> ConfirmationRow:
        """Record (or replace) the operator's reading of one warehouse's pickup status.

        ``status`` is one of ``CONFIRMABLE`` (a ``SubscriptionStatus`` or its value); anything
        else, an expiry not after ``now`` or a ``by`` longer than ``MAX_BY_LENGTH`` is a
        ``UsageError``: the operator typed it.
        """
        value = _status(status)
        if expires_at <= now:
            raise UsageError(f"a pickup confirmation must expire after it is made ({expires_at.isoformat()} is not)")
        if by is not None and len(by) > MAX_BY_LENGTH:
            raise UsageError(f"confirmed by: at most {MAX_BY_LENGTH} characters")
        row = ConfirmationRow(
            shop=shop,
            warehouse_id=warehouse_id,
            status=value,
            confirmed_at=now,
            expires_at=expires_at,
            note=note,
            confirmed_by=by,
        )
        values = {
            "status": value.value,
            "confirmed_at": now,
            "expires_at": expires_at,
            "note": note,
            "confirmed_by": by,
        }
        with self._write() as conn:
            upsert(conn, table, {"shop": shop, "warehouse_id": warehouse_id}, values)
        return row

    def get(self, shop: str, warehouse_id: str, *, now: datetime) -> PickupConfirmation | None:
        """The warehouse's confirmation if one is still valid at ``now`` (expired ones read as None)."""
        query = select(table).where(table.c.shop == shop, table.c.warehouse_id == warehouse_id)
        with self._read() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            return None
        found = _row(row)
        return found.as_confirmation() if found.valid_at(now) else None

    def of_shop(self, shop: str) -> builtins.list[ConfirmationRow]:
        """Every confirmation of ``shop``, expired ones too (the caller weighs them at its own ``now``): one read."""
        with self._read() as conn:
            rows = conn.execute(select(table).where(table.c.shop == shop)).all()
        return [_row(r) for r in rows]

    def list(
        self, shop: str | None = None, *, now: datetime, include_expired: bool = False
    ) -> builtins.list[ConfirmationRow]:
        """Confirmations by shop and warehouse; valid at ``now`` only unless ``include_expired``."""
        query = select(table)
        if shop is not None:
            query = query.where(table.c.shop == shop)
        if not include_expired:
            query = query.where(table.c.expires_at > now)
        with self._read() as conn:
            rows = conn.execute(query.order_by(table.c.shop, table.c.warehouse_id)).all()
        return [_row(r) for r in rows]

    def clear(self, shop: str, warehouse_id: str) -> bool:
        """Forget the warehouse's confirmation, expired or not; False if there was none."""
        where = (table.c.shop == shop, table.c.warehouse_id == warehouse_id)
        with self._write() as conn:
            return bool(conn.execute(table.delete().where(*where)).rowcount)

    def prune(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete confirmations that expired before ``before``; valid ones are never deleted."""
        where = table.c.expires_at < before
        with self._write() as conn:
            if dry_run:
                return int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())
            return int(conn.execute(table.delete().where(where)).rowcount)
