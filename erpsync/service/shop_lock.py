"""One shop at a time across every Celery worker: a Redis lock per shop, kept alive while its task runs.

The broker may deliver a task twice (a worker died after starting it; its visibility timeout ran
out while it still ran), and beat fans out one task per shop every interval whatever still runs.
The lock makes a second task for a shop that is being synced a cheap skip instead of a second run.

redis-py's ``Lock`` stores a random owner token under the key with a TTL and releases only when the
token still matches, so a worker whose lock expired can never delete the next holder's lock (Huey's
unconditional delete can: coleifer/huey, huey/api.py). The TTL is short (``lock_seconds``) so a
killed worker's shop is free again soon; a thread resets it to the full TTL every third of it while
the task runs, so a long run keeps its lock and a task that stalls past two missed renewals loses it.
What such a stalled run may still try to write is refused by the state store's fencing epoch, not by
this lock (https://martin.kleppmann.com/2016/02/08/how-to-do-distributed-locking.html).
"""

from __future__ import annotations

import logging
import threading
import uuid
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis
    from redis.lock import Lock

__all__ = ["KEY_PREFIX", "ShopLock", "holder_of", "renew_every"]

KEY_PREFIX = "erpsync:shop-lock:"
log = logging.getLogger(__name__)


def renew_every(ttl_seconds: float) -> float:
    """Seconds between two renewals of a lock whose TTL is ``ttl_seconds``: a third of it.

    Two renewals may fail (a slow Redis, a paused process) before the lock lapses.
    """
    return ttl_seconds / 3.0


def holder_of(client: Redis, shop: str) -> str | None:
    """What holds ``shop``'s lock (the ``holder`` its owner gave, e.g. the aspect), or None when free."""
    token = client.get(KEY_PREFIX + shop)
    if token is None:
        return None
    text = token.decode() if isinstance(token, bytes) else str(token)
    return text.rpartition(":")[0]


class ShopLock:
    """``with ShopLock(redis, shop, ttl_seconds=300) as held:`` — ``held`` is False when another task has it.

    Non-blocking on purpose: a task that waited for the shop would only run it again right after the
    holder, which the next tick does anyway. The owner token is ``holder:random``: a task that finds
    the shop locked can tell which aspect holds it (``holder_of``), and the random part keeps two
    holders of the same aspect apart.
    """

    def __init__(self, client: Redis, shop: str, *, ttl_seconds: float, holder: str = "") -> None:
        self.shop = shop
        self.ttl_seconds = ttl_seconds
        self.holder = holder
        # thread_local=False: the renewal thread must see the token the task's thread acquired
        self._lock: Lock = client.lock(KEY_PREFIX + shop, timeout=ttl_seconds, blocking=False, thread_local=False)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        #: set when a renewal found the lock gone (expired, or taken over after it expired)
        self.lost = threading.Event()

    def acquire(self) -> bool:
        """Take the lock if it is free and start renewing it; False when another holder has it."""
        if not self._lock.acquire(blocking=False, token=f"{self.holder}:{uuid.uuid4().hex}"):
            return False
        self._renewer = threading.Thread(target=self._renew, name=f"shop-lock {self.shop}", daemon=True)
        self._renewer.start()
        return True

    def release(self) -> None:
        """Stop renewing and delete the lock if it is still ours (the owner token decides)."""
        from redis.exceptions import LockError

        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        try:
            self._lock.release()
        except LockError:  # expired and maybe taken by another task: theirs now, left alone
            log.warning("shop %s: its lock had expired before the task released it", self.shop)

    def _renew(self) -> None:
        from redis.exceptions import LockError, RedisError

        while not self._stop.wait(renew_every(self.ttl_seconds)):
            try:
                self._lock.reacquire()  # back to the full TTL, only if the token is still ours
            except LockError:
                log.warning("shop %s: lost its lock (expired before renewal)", self.shop)
                self.lost.set()
                return
            except RedisError as exc:  # a blip: the next renewal may still be in time
                log.warning("shop %s: could not renew its lock: %s", self.shop, exc)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._renewer is not None:
            self.release()
