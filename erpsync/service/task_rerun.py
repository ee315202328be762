"""A webhook's sync task that finds its shop and aspect already running: one task waits and runs it again.

The embedded scheduler runs a job once more after the running one when a sync request comes in
while it runs, since the running job may have read past the change the request reports
(``scheduler.Scheduler.submit``); requests that come meanwhile join that one re-run. The Celery
tasks do the same with a Redis key per shop and aspect (``erpsync:rerun:<shop>:<aspect>``) that
names the one task waiting:

- a webhook task that finds the shop locked by its own aspect sets the key to its task id (unless
  another task is named there) and retries a few seconds later, until its expiry;
- a task named there is merged into: it is acknowledged without running, the waiting one covers it;
- every task that takes the shop's lock for the aspect deletes the key before its run reads
  anything: that run starts after every change the waiting tasks stand for, so a waiting task that
  finds the key gone or naming another task was answered and is acknowledged.

So a burst of notifications during a long sync costs one task polling the lock and one re-run,
not one re-run per notification. The key lives until the waiting task's expiry: a waiting task
that expires (its sync ran past the interval) leaves the change to the next scheduled tick.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

__all__ = ["RERUN_PREFIX", "Rerun", "retry_countdown", "seconds_left"]

RERUN_PREFIX = "erpsync:rerun:"
#: how long the key lives when the task has no expiry (beat and the webhook receiver always set one)
NO_EXPIRY_SECONDS = 600

# compare-and-delete: only the task the key names clears it when it gives up
_DELETE_IF_MINE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def retry_countdown(lock_seconds: float) -> float:
    """Seconds before a task that found its shop locked tries again: 1 to 10, at most a third of the
    lock's TTL, at random so tasks that found the same lock do not come back together."""
    return random.uniform(1.0, max(1.0, min(10.0, lock_seconds / 3.0)))


def seconds_left(expires: datetime | str | None, *, now: datetime) -> float | None:
    """Seconds until a task's ``expires`` (a datetime, or the ISO 8601 text a worker's request
    holds); None when it has none."""
    if expires is None or expires == "":
        return None
    when = datetime.fromisoformat(expires) if isinstance(expires, str) else expires
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()


class Rerun:
    """The task waiting to run ``aspect`` of ``shop`` once more after the sync running it now."""

    def __init__(self, client: Redis, shop: str, aspect: str) -> None:
        self.client = client
        self.key = f"{RERUN_PREFIX}{shop}:{aspect}"

    def wait(self, task_id: str, *, ttl_seconds: float) -> bool:
        """Name ``task_id`` as the waiting task, or keep it named; False when another task is (this
        one is merged into it)."""
        ttl = max(1, int(ttl_seconds) + 1)
        if self.client.set(self.key, task_id, nx=True, ex=ttl):
            return True
        return self.waiting(task_id)

    def waiting(self, task_id: str) -> bool:
        """Whether ``task_id`` is still the task named: no run of the aspect started since it was named."""
        named = self.client.get(self.key)
        return named is not None and (named.decode() if isinstance(named, bytes) else str(named)) == task_id

    def started(self) -> None:
        """A run of the aspect took the shop's lock: it covers every task waiting, which it answers."""
        self.client.delete(self.key)

    def give_up(self, task_id: str) -> None:
        """``task_id`` stops waiting (its expiry is near): the next webhook task may wait instead."""
        self.client.eval(_DELETE_IF_MINE, 1, self.key, task_id)
