"""When an alert a channel refused for now is tried again, and how long one is tried at all.

The delivery pass (``alert_delivery.py``) asks this module for a refused alert's next attempt:
exponential backoff from a minute up to six hours, or the channel's own ``retry_after`` when it
names a usable wait, and never later than the last attempt before the alert expires
(``[alerting] max_age_hours``, ``DEFAULT_MAX_AGE`` unless set). Pure arithmetic on the outbox
row and the times it is given: no store, no clock of its own.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from erpsync.core.store import OutboxRow

#: how long an undelivered alert is retried unless ``[alerting] max_age_hours`` says otherwise
DEFAULT_MAX_AGE = timedelta(hours=72)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1, 2, ...): 1 min, 2, 4 ... up to 6 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LAST_RETRY)


def retry_time(row: OutboxRow, retry_after: object, *, refused_at: datetime, max_age: timedelta) -> datetime:
    """When ``row``, refused for now at ``refused_at``, is tried again: after the channel's
    ``retry_after`` if it is a finite number of seconds, else after the backoff, and never later
    than ``FIRST_RETRY`` before the alert expires (a header of ``1e12`` or ``inf`` would not fit a
    date, and keeping an alert past its ``max_age`` cannot deliver it). A pass within that minute
    tries it once more; a retry at the expiry itself never happened, since every pass expires the
    old alerts before it sends. One refused within that last minute is due again at once."""
    wait = backoff(row.attempts + 1)
    if isinstance(retry_after, int | float) and math.isfinite(retry_after) and retry_after > 0:
        wait = timedelta(seconds=min(retry_after, max_age.total_seconds()))
    last_try = row.created_at + max_age - FIRST_RETRY
    return min(refused_at + wait, max(last_try, refused_at))
