"""Per-(app_key, shop_cipher, API) rate limit: ``qps`` calls in any sliding one-second window.

The unit is the platform's: 50 calls per second per API, counted per app and shop (Partner
Center, "Rate limits"). The page does not say how the second is measured; a sliding window (not
fixed one-second buckets) is the strictest reading, so a client bursting across a second
boundary is still caught, which is what makes the sandbox a useful floor for benchmarks. The
window is half-open: a call exactly one second older than now no longer counts. The key uses the
API's path *template*: the limit is per API, not per package id; calls without a shop (the
authorised-shops list) count under an empty cipher.

This is the server's side of the limit: it judges a call when it arrives and rejects it (429).
The client's ``core/rate_limit.py`` paces calls so they stay under the limit. The two answer
different questions and are written apart on purpose: the sandbox shares no code with erpsync,
so a mistake in the client's pacing shows up as 429s here instead of being copied into the judge.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable


class SlidingWindowLimit:
    """Thread-safe sliding-window limiter; rejected calls do not use up the budget."""

    def __init__(self, qps: int = 50, window: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.qps = qps
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: dict[Hashable, deque[float]] = {}

    def allow(self, key: Hashable) -> bool:
        """Record a call for ``key`` and say whether it is within the limit."""
        now = self._clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.qps:
                return False
            calls.append(now)
            return True

    def reset(self, qps: int | None = None) -> None:
        """Forget all history (and optionally change the limit)."""
        with self._lock:
            self._calls.clear()
            if qps is not None:
                self.qps = qps
