"""Encryption at rest for the OAuth tokens in the state store: Fernet keys from the environment.

``ERPSYNC_SECRET_KEYS`` holds one or more Fernet keys, comma-separated, newest first. New values
are encrypted with the first; a value is decrypted with whichever key of the list opens it
(``MultiFernet``), so a new key can go in front while tokens written under the old one are still
read, until ``erpsync secrets rotate`` has re-encrypted them all and the old key is dropped.

An encrypted value is stored as ``fernet:`` + the Fernet token, so a value written before a key
was set is told apart from one written after (never guessed from its look). The key never leaves
this module: no message names a key, only its position in the list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from erpsync.core.errors import ErpsyncError

#: the environment variable the keys come from
KEYS_ENV = "ERPSYNC_SECRET_KEYS"
#: what an encrypted value starts with in the database
PREFIX = "fernet:"
#: ``store.meta`` key set once a token was written encrypted: from then on a missing key is an error
ENCRYPTED_FLAG = "tokens_encrypted"


class SecretKeyError(ErpsyncError):
    """The keys in ``ERPSYNC_SECRET_KEYS`` are missing, malformed, or open none of the tokens."""


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def new_key() -> str:
    """A fresh Fernet key (32 random bytes, URL-safe base64), for ``ERPSYNC_SECRET_KEYS``."""
    return Fernet.generate_key().decode("ascii")


@dataclass(frozen=True)
class Cipher:
    """The keys of ``ERPSYNC_SECRET_KEYS``: encrypt with the first, decrypt with any."""

    keys: tuple[Fernet, ...]

    @classmethod
    def parse(cls, text: str) -> Cipher | None:
        """The keys in ``text`` (comma-separated), None when it names none.

        A malformed key raises ``SecretKeyError`` saying which one by position, never its text."""
        parts = [p.strip() for p in text.split(",")]
        if not any(parts):
            return None
        keys = []
        for number, part in enumerate(parts, start=1):
            try:
                keys.append(Fernet(part))
            except ValueError:
                raise SecretKeyError(
                    f"{KEYS_ENV}: key {number} of {len(parts)} is not a Fernet key (32 bytes, URL-safe "
                    "base64; `erpsync secrets new-key` prints one)"
                ) from None
        return cls(tuple(keys))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Cipher | None:
        """The cipher ``ERPSYNC_SECRET_KEYS`` describes now, or None when it is unset or empty."""
        return cls.parse((os.environ if environ is None else environ).get(KEYS_ENV, ""))

    def encrypt(self, value: str) -> str:
        return PREFIX + self.keys[0].encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str, *, what: str) -> str:
        """The plain text of a stored ``value`` (``what`` names it in an error, e.g. the shop)."""
        if not is_encrypted(value):
            return value
        try:
            return MultiFernet(self.keys).decrypt(value[len(PREFIX) :]).decode("utf-8")
        except InvalidToken:
            raise SecretKeyError(self._none_opens(what)) from None

    def rotate(self, value: str, *, what: str) -> str:
        """``value`` encrypted with the first key (plain text is encrypted; its timestamp kept)."""
        if not is_encrypted(value):
            return self.encrypt(value)
        try:
            return PREFIX + MultiFernet(self.keys).rotate(value[len(PREFIX) :]).decode("ascii")
        except InvalidToken:
            raise SecretKeyError(self._none_opens(what)) from None

    def key_of(self, value: str) -> int | None:
        """The position (1 = newest) of the key that opens ``value``; None if none does or it is plain."""
        if not is_encrypted(value):
            return None
        for number, key in enumerate(self.keys, start=1):
            try:
                key.decrypt(value[len(PREFIX) :])
            except InvalidToken:
                continue
            return number
        return None

    def _none_opens(self, what: str) -> str:
        return (
            f"none of the {len(self.keys)} key(s) in {KEYS_ENV} decrypts {what}: set it to the key the "
            "tokens were written with (newest first, comma-separated); see `erpsync secrets status`"
        )


def missing_key(what: str) -> SecretKeyError:
    """The error for encrypted tokens and no key: never read or written as plain text instead."""
    return SecretKeyError(
        f"{what}: the state store's tokens are encrypted, and {KEYS_ENV} is not set: set it to the "
        "Fernet key(s) they were written with (newest first, comma-separated)"
    )
