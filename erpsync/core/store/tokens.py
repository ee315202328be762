"""Shop tokens: the ``TokenStore`` port.

Each configured shop keeps its own Open API tokens ("authorisation for many shops"):
``erpsync auth exchange`` writes them, the TikTok connector reads them and writes back every
refresh, so a cron run and an operator's manual run share one set of tokens through this table.

Tokens are stored in plain text in the state database for now; encryption at rest is a later
roadmap item, so keep the database readable by the operator only. No method here logs, and no
error raised here contains a token: ``TokenRecord``'s dataclass repr shows them, so it is never
formatted into a message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from erpsync.core.ports import TokenRecord
from erpsync.core.store.base import StoreBase
from erpsync.core.store.schema import tokens


def _record(row: Any) -> TokenRecord:
    return TokenRecord(
        access_token=row.access_token,
        access_token_expires_at=row.access_token_expires_at,
        refresh_token=row.refresh_token,
        refresh_token_expires_at=row.refresh_token_expires_at,
        open_id=row.open_id,
        seller_name=row.seller_name,
        seller_base_region=row.seller_base_region,
        granted_scopes=tuple(row.granted_scopes or ()),
        last_refresh_at=row.last_refresh_at,
    )


class TokensMixin(StoreBase):
    """``TokenStore`` for every shop (keyed by the configured shop name)."""

    def get_token(self, shop: str) -> TokenRecord | None:
        """The shop's stored tokens, or None if it was never authorised through erpsync."""
        with self._read() as conn:
            row = conn.execute(select(tokens).where(tokens.c.shop == shop)).one_or_none()
        return None if row is None else _record(row)

    def put_token(self, shop: str, token: TokenRecord, *, now: datetime) -> None:
        """Store (insert or replace) the shop's tokens in one transaction."""
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
        for _ in range(3):
            try:
                with self._write() as conn:
                    done = conn.execute(tokens.update().where(tokens.c.shop == shop).values(**values))
                    if done.rowcount == 0:
                        conn.execute(tokens.insert().values(shop=shop, **values))
                return
            except IntegrityError:
                continue  # another process inserted the row meanwhile (PostgreSQL); update it now
        raise RuntimeError(f"could not store the tokens of shop {shop!r}: the row kept changing")

    def token_shops(self) -> list[str]:
        """Names of the shops with stored tokens, sorted."""
        with self._read() as conn:
            return list(conn.execute(select(tokens.c.shop).order_by(tokens.c.shop)).scalars())

    def delete_token(self, shop: str) -> bool:
        """Forget a shop's tokens (after a deauthorisation webhook, say); True if there were any."""
        with self._write() as conn:
            return conn.execute(tokens.delete().where(tokens.c.shop == shop)).rowcount == 1
