"""One answer of Get Authorized Shops, shared by every shop of an app and access token for a run.

Every shop's calls need its ``shop_cipher``, and only Get Authorized Shops gives it. That call
takes no cipher, so it counts against the app's own budget, not a shop's (``docs/architecture.md``,
"Rate limits"): a run over N shops that each asked for the list would make N calls on one budget
of 50 per second, and a thousand shops would wait 20 s for their ciphers alone. One answer lists
every shop the token is authorised for, so the shops of one (API host, app key, access token)
share it.

- **For a short time.** An answer is shared for :data:`SHARE_SECONDS` (about one run of many
  shops, and a run started within that time); after it the list is read again, so one process
  reads it at most once a minute per app and token. That a shop's cipher stays the same while
  the shop stays authorised is a guess (the reference does not say); a shop authorised since the
  answer was read is missing from it, so a shop not found re-reads the list once before it is
  reported as not authorised, and a shop whose authorisation was withdrawn meanwhile is refused
  by its own next call.
- **Once across threads.** Shops run side by side: the first thread to need an answer reads it
  while the others for the same key wait for it, so N threads make one call, not N. A failed
  read is not shared: the next thread tries again.
- **No secret kept.** The key holds a SHA-256 digest of the access token, never the token.

A client built without a directory keeps a private one that never expires (its first answer
serves it for life, as a client that looks its cipher up once).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from erpsync.core.models import Records

#: how long one Get Authorized Shops answer is shared: about one run of a thousand shops
SHARE_SECONDS = 60.0

Key = tuple[str, str, str]
Fetch = Callable[[], Records[dict]]


def directory_key(base_url: str, app_key: str, access_token: str) -> Key:
    """What an answer is shared by: the API host, the app and (a digest of) the access token."""
    return base_url, app_key, hashlib.sha256(access_token.encode()).hexdigest()


@dataclass(frozen=True)
class _Answer:
    shops: Records[dict]
    read_at: float

    @cached_property
    def _by_id(self) -> dict[str, dict[str, Any]]:
        """The shops by id, built once per answer: 1,000 shops each looking themselves up in one
        answer would otherwise scan it 1,000 times (the first of a repeated id wins, as a scan would)."""
        by_id: dict[str, dict[str, Any]] = {}
        for shop in self.shops.items:
            by_id.setdefault(shop["id"], shop)
        return by_id

    def find(self, shop_id: str) -> dict[str, Any] | None:
        return self._by_id.get(shop_id)


class AuthorisedShops:
    """Get Authorized Shops answers by :func:`directory_key`, each shared for ``ttl`` seconds; thread-safe."""

    def __init__(self, ttl: float = SHARE_SECONDS, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: dict[Key, _Answer] = {}
        self._reading: dict[Key, threading.Lock] = {}

    def find(self, key: Key, shop_id: str, fetch: Fetch) -> tuple[dict[str, Any] | None, Records[dict]]:
        """The shop ``shop_id`` (or None) and the answer it was looked for in.

        A shared answer still fresh is used as it is; without one, ``fetch`` reads it (one thread
        per key at a time). A shop missing from an answer this call did not read itself is looked
        for once more in a fresh one.
        """
        shop_id = str(shop_id)
        with self._lock:
            reading = self._reading.setdefault(key, threading.Lock())
        with reading:
            answer = self._fresh(key)
            if answer is not None:
                found = answer.find(shop_id)
                if found is not None:
                    return found, answer.shops
            answer = self.put(key, fetch())
            return answer.find(shop_id), answer.shops

    def put(self, key: Key, shops: Records[dict]) -> _Answer:
        """Share ``shops``, just read, under ``key``."""
        answer = _Answer(shops, self._clock())
        with self._lock:
            self._answers[key] = answer
        return answer

    def clear(self) -> None:
        """Forget every answer (a benchmark's fresh start)."""
        with self._lock:
            self._answers.clear()

    def _fresh(self, key: Key) -> _Answer | None:
        with self._lock:
            answer = self._answers.get(key)
        if answer is None or self._clock() - answer.read_at >= self.ttl:
            return None
        return answer


def private() -> AuthorisedShops:
    """A directory for one client alone: its first answer serves it for life."""
    return AuthorisedShops(math.inf)


#: the process-wide directory the seller connector's clients share
AUTHORISED_SHOPS = AuthorisedShops()
