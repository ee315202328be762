"""Shop tokens: the ``TokenStore`` port.

Each configured shop keeps its own Open API tokens: ``erpsync auth exchange`` writes them, the
TikTok connector reads them and writes back every refresh, so a cron run and an operator's manual
run share one set of tokens through this table.

Tokens are stored in plain text in the state database (it has no encryption at rest), so keep
the database readable by the operator only. No method here logs, and no error raised here
contains a token: ``TokenRecord`` leaves them out of its repr.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from erpsync.core.ports import TokenRecord
from erpsync.core.store.base import Repository, upsert
from erpsync.core.store.rows import RowMapper
from erpsync.core.store.schema import tokens

_row = RowMapper(TokenRecord, tokens, granted_scopes=lambda r: tuple(r["granted_scopes"] or ()))


class Tokens(Repository):
    """``store.tokens``, the ``TokenStore`` of every shop (keyed by the configured shop name)."""

    def get(self, shop: str) -> TokenRecord | None:
        """The shop's stored tokens, or None if it was never authorised through erpsync."""
        with self._read() as conn:
            row = conn.execute(select(tokens).where(tokens.c.shop == shop)).one_or_none()
        return None if row is None else _row(row)

    def put(self, shop: str, token: TokenRecord, *, now: datetime) -> None:
        """Store (insert or replace) the shop's tokens in one statement."""
        values = {
            "access_token": token.access_token,
            "access_token_expires_at": token.access_token_expires_at,
            "refresh_token": token.refresh_token,
            "refresh_token_expires_at": token.refresh_token_expires_at,
            "open_id": token.open_id,
            "seller_name": token.seller_name,
            "seller_base_region": token.seller_base_region,
            "granted_scopes": list(token.granted_scopes),
            "last_refresh_at": token.last_refresh_at,
            "updated_at": now,
        }
        with self._write() as conn:
            upsert(conn, tokens, {"shop": shop}, values)

    def list_shops(self) -> list[str]:
        """Names of the shops with stored tokens, sorted."""
        with self._read() as conn:
            return list(conn.execute(select(tokens.c.shop).order_by(tokens.c.shop)).scalars())

    def delete(self, shop: str) -> bool:
        """Forget a shop's tokens (after a deauthorisation webhook, say); True if there were any."""
        with self._write() as conn:
            return conn.execute(tokens.delete().where(tokens.c.shop == shop)).rowcount == 1
