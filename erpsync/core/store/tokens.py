"""Shop tokens: the ``TokenStore`` port, encrypted at rest when ``ERPSYNC_SECRET_KEYS`` is set.

Each configured shop keeps its own Open API tokens: ``erpsync auth exchange`` writes them, the
TikTok connector reads them and writes back every refresh, so a cron run and an operator's manual
run share one set of tokens through this table.

With a key (``core/secrets.py``) the access and refresh tokens are written encrypted and
``store.meta`` notes it (``tokens_encrypted``, in the same transaction): from then on a missing or
wrong key is an error naming ``ERPSYNC_SECRET_KEYS``, never a read or write in plain text. Without
a key, on a database that never held an encrypted token, tokens are stored in plain text, so
keep the database readable by the operator only. No method here logs, and no error raised here
contains a token or a key: ``TokenRecord`` leaves the tokens out of its repr.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select

from erpsync.core.ports import TokenRecord
from erpsync.core.secrets import ENCRYPTED_FLAG, KEYS_ENV, Cipher, SecretKeyError, is_encrypted, missing_key
from erpsync.core.store.base import Repository
from erpsync.core.store.rows import RowMapper
from erpsync.core.store.schema import meta, tokens
from erpsync.core.store.upserts import upsert

_row = RowMapper(TokenRecord, tokens, granted_scopes=lambda r: tuple(r["granted_scopes"] or ()))


@lru_cache(maxsize=8)
def _parsed(text: str) -> Cipher | None:
    return Cipher.parse(text)


def env_cipher() -> Cipher | None:
    """The keys ``ERPSYNC_SECRET_KEYS`` holds now (read at each use: a test or a rotation sets it)."""
    return _parsed(os.environ.get(KEYS_ENV, ""))


@dataclass(frozen=True)
class Rotation:
    """What ``rotate`` did: tokens (shops) re-encrypted from an older key, encrypted from plain text,
    and already under the newest key (left as they were)."""

    rotated: int = 0
    encrypted: int = 0
    current: int = 0

    @property
    def total(self) -> int:
        return self.rotated + self.encrypted + self.current


@dataclass(frozen=True)
class EncryptionStatus:
    """Whether the tokens are encrypted, how many shops have tokens, and which key opens them."""

    marked: bool  #: a token was written encrypted once: a key is required from then on
    shops: int
    plain: int
    by_key: dict[int, int] = field(default_factory=dict)  #: key position (1 = newest) → shops
    unreadable: int = 0  #: encrypted, and no key given opens them (or no key is set)
    keys: int = 0  #: keys in ERPSYNC_SECRET_KEYS

    @property
    def encrypted(self) -> bool:
        return self.marked or bool(self.by_key) or bool(self.unreadable)

    def note(self) -> str | None:
        """One line for ``erpsync check`` and ``auth status`` when tokens are kept in plain text (None
        when they are encrypted, or when there are none to encrypt)."""
        if self.encrypted or not self.plain:
            return None
        return (
            f"tokens are not encrypted ({self.plain} shop(s) stored in plain text): set {KEYS_ENV} "
            "(`erpsync secrets new-key`) and run `erpsync secrets rotate`"
        )


class Tokens(Repository):
    """``store.tokens``, the ``TokenStore`` of every shop (keyed by the configured shop name)."""

    def get(self, shop: str) -> TokenRecord | None:
        """The shop's stored tokens, or None if it was never authorised through erpsync."""
        cipher = env_cipher()
        with self._read() as conn:
            row = conn.execute(select(tokens).where(tokens.c.shop == shop)).one_or_none()
            marked = row is not None and cipher is None and _marked(conn)
        if row is None:
            return None
        record = _row(row)
        what = f"the tokens of shop {shop!r}"
        if cipher is None:
            if marked or is_encrypted(record.access_token) or is_encrypted(record.refresh_token):
                raise missing_key(what)
            return record
        return replace(
            record,
            access_token=cipher.decrypt(record.access_token, what=what),
            refresh_token=cipher.decrypt(record.refresh_token, what=what),
        )

    def put(self, shop: str, token: TokenRecord, *, now: datetime) -> None:
        """Store (insert or replace) the shop's tokens in one statement, encrypted when a key is set."""
        cipher = env_cipher()
        access, refresh = token.access_token, token.refresh_token
        if cipher is not None:
            access, refresh = cipher.encrypt(access), cipher.encrypt(refresh)
        values = {
            "access_token": access,
            "access_token_expires_at": token.access_token_expires_at,
            "refresh_token": refresh,
            "refresh_token_expires_at": token.refresh_token_expires_at,
            "open_id": token.open_id,
            "seller_name": token.seller_name,
            "seller_base_region": token.seller_base_region,
            "granted_scopes": list(token.granted_scopes),
            "last_refresh_at": token.last_refresh_at,
            "updated_at": now,
        }
        with self._write() as conn:
            if cipher is None and _marked(conn):
                raise missing_key(f"the tokens of shop {shop!r} were not stored")
            upsert(conn, tokens, {"shop": shop}, values)
            if cipher is not None:
                _mark(conn, now)

    def list_shops(self) -> list[str]:
        """Names of the shops with stored tokens, sorted."""
        with self._read() as conn:
            return list(conn.execute(select(tokens.c.shop).order_by(tokens.c.shop)).scalars())

    def delete(self, shop: str) -> bool:
        """Forget a shop's tokens (after a deauthorisation webhook, say); True if there were any."""
        with self._write() as conn:
            return conn.execute(tokens.delete().where(tokens.c.shop == shop)).rowcount == 1

    def rotate(self, *, now: datetime) -> Rotation:
        """Re-encrypt every shop's tokens with the newest key, and encrypt those still in plain text.

        One transaction: if any token opens with none of the keys, nothing is changed. Tokens the
        newest key already opens are left as they are, so running it again changes nothing.

        The rows are read ``FOR UPDATE``: a connector refreshing a shop's tokens meanwhile waits
        for the rotation and then writes its new tokens. Without the lock (PostgreSQL's READ
        COMMITTED lets the refresh commit between this read and this write) the rotation would
        write the old tokens back over the refreshed ones, and the shop would be left with a
        refresh token the platform has already retired.
        """
        cipher = env_cipher()
        if cipher is None:
            raise SecretKeyError(f"{KEYS_ENV} is not set: nothing to encrypt with (`erpsync secrets new-key`)")
        counts = {"rotated": 0, "encrypted": 0, "current": 0}
        with self._write() as conn:
            current = select(tokens.c.shop, tokens.c.access_token, tokens.c.refresh_token).with_for_update()
            rows = conn.execute(current).all()
            for shop, access, refresh in rows:
                what = f"the tokens of shop {shop!r}"
                keys = {cipher.key_of(access), cipher.key_of(refresh)}
                if keys == {1}:
                    counts["current"] += 1
                    continue
                plain = not (is_encrypted(access) or is_encrypted(refresh))
                counts["encrypted" if plain else "rotated"] += 1
                values: dict[str, Any] = {
                    "access_token": cipher.rotate(access, what=what),
                    "refresh_token": cipher.rotate(refresh, what=what),
                }
                conn.execute(tokens.update().where(tokens.c.shop == shop).values(**values))
            if rows:
                _mark(conn, now)
        return Rotation(**counts)

    def encryption(self) -> EncryptionStatus:
        """What ``erpsync secrets status`` shows: never a token, never a key."""
        cipher = env_cipher()
        with self._read() as conn:
            marked = _marked(conn)
            rows = conn.execute(select(tokens.c.access_token, tokens.c.refresh_token)).all()
        plain, unreadable = 0, 0
        by_key: dict[int, int] = {}
        for access, refresh in rows:
            if not (is_encrypted(access) or is_encrypted(refresh)):
                plain += 1
                continue
            found = {cipher.key_of(access), cipher.key_of(refresh)} if cipher is not None else {None}
            if None in found:
                unreadable += 1
            else:
                number = max(n for n in found if n is not None)
                by_key[number] = by_key.get(number, 0) + 1
        keys = 0 if cipher is None else len(cipher.keys)
        return EncryptionStatus(marked, len(rows), plain, by_key, unreadable, keys)


def _marked(conn: Connection) -> bool:
    return conn.execute(select(meta.c.value).where(meta.c.key == ENCRYPTED_FLAG)).scalar_one_or_none() == "1"


def _mark(conn: Connection, now: datetime) -> None:
    """Note, in the transaction that wrote an encrypted token, that tokens are encrypted from now on."""
    upsert(conn, meta, {"key": ENCRYPTED_FLAG}, {"value": "1", "updated_at": now})
