"""Client-side rate limits: one pacer per rate key, shared by every thread and client of the process.

An API that limits calls per (app, shop, API) counts every call made with those credentials, no
matter which thread or which client object sent it. So the pacers live in one registry,
:data:`RATE_LIMITS`, keyed by what the server counts: two clients built for the same shop (two
runs in one process, or two threads) draw from one bucket, and calls on other keys never wait
for it. A test builds its own :class:`RateLimits` with a fake clock and sleep.

Each key is a token bucket at its current rate, and no window of ``1 s + guard`` sees more than
``rate`` calls start: the guard absorbs the jitter between the moment a call is paced here and the
moment the server counts it, which would otherwise let a client paced at exactly the server's
limit land 51 calls in the server's one-second window now and then. The caller picks the guard,
knowing its server's limit (the TikTok client: ``rate_guard``). With ``burst`` 1 the calls are
spaced evenly; a larger burst lets a key that was idle start that many calls at once (a shop's
two or three calls on one API need not wait for each other), and the log of recent starts still
keeps every window to ``rate`` calls, so a burst never adds to a full window.

The rate adapts (AIMD, as TCP does): a call the server refused as rate-limited sets that key's
rate to half of what it really sent in the last second (never below ``min_qps``; the rate it was
configured at may be far above what the server allows, and halving that would take many
refusals), once per window however many calls saw the refusal; each run of clean calls as long
as one second's worth at the current rate adds a tenth of the configured rate back, up to it.
Other keys keep their rate. A slowed key's log of starts is checked against the configured
rate's window as well as its own, so a refusal never lets the next call start sooner than it
would have without one (the slowed window is shorter and would forget calls made just before).
Retrying the refused call after its ``Retry-After`` stays the HTTP client's job.

A call may be dropped while it waits for its slot (its time budget ended: a read ahead no longer
wanted). The HTTP client then waits through the call deadline's pause, which the budget's end
cuts short, and gives the slot back (:meth:`RateLimits.give_back`): the next call on the key does
not wait behind a call that is never sent. The last slot reserved on a key goes back whole, as
if never taken. One with calls queued behind it leaves only the log of starts: those calls keep
the places they are sleeping towards, and handing its token to a newcomer would start two calls
at once where the pace spaces them. A call whose slot falls at or after its deadline or its
budget's end is not sent, so the HTTP client gives the slot back as soon as it is reserved,
without waiting for it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import NamedTuple

#: the least rate a refused key is slowed to (calls per second)
MIN_QPS = 1.0
#: what a refusal multiplies a key's rate by
DECREASE = 0.5
#: the fraction of the configured rate a run of clean calls gives back
RECOVER_STEP = 0.1


@dataclass
class _Bucket:
    """One key's pacing state; read and written under the registry's lock only."""

    limit: float  # the configured rate: recovery stops here
    rate: float  # the current rate: ``limit`` until the server refuses a call
    burst: int
    guard: float
    tokens: float
    last: float
    clean_run: int = 0
    slowed_at: float = -math.inf
    #: start times (reserved, maybe still ahead) of the calls of about the last second
    starts: deque[float] = field(default_factory=deque)
    #: slots reserved on the key so far: tells the last one reserved from those queued before it
    reserved: int = 0

    def sent_in_last_second(self, now: float) -> int:
        return sum(1 for t in self.starts if now - 1.0 < t <= now)

    def pace(self) -> float:
        """Calls per second actually allowed: ``rate`` calls per ``1 s + guard``."""
        return self.rate / (1.0 + self.guard)

    def window(self, rate: float | None = None) -> tuple[int, float]:
        """(calls, seconds): at most that many calls start in any window that long.

        ``rate`` (default: the current one) calls per ``1 s + guard``; a rate slowed below a
        whole number keeps the same pace over a window as long as its whole calls need.
        """
        rate = self.rate if rate is None else rate
        calls = max(1, math.floor(rate))
        return calls, calls * (1.0 + self.guard) / rate

    def windows(self) -> set[tuple[int, float]]:
        """Every window a new call must respect: the current rate's and the configured rate's.

        After a refusal the current rate's window is shorter and holds fewer calls, so it alone
        would not count the calls that started at the configured rate a moment before (three
        calls at 3/s, then a refusal: one call per 0.67 s would let a fourth start within the
        same second). The configured rate's window still counts them, so a refusal never lets
        a call start sooner than it would have without it.
        """
        return {self.window(), self.window(self.limit)}


class Slot(NamedTuple):
    """One call's reserved start on a key, as :meth:`RateLimits.reserve` gave it (a tuple: cheap
    to build on every paced call)."""

    key: Hashable
    #: seconds to wait before the call may start
    wait: float
    bucket: _Bucket
    number: int  # the bucket's ``reserved`` count once this slot was taken
    reserved_at: float  # the registry's clock when reserved
    taken: float  # tokens it took (more than one when a full window pushed it back)


class RateLimits:
    """Pacers by key, created on first use; thread-safe. ``clock`` and ``sleep`` are injectable."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        min_qps: float = MIN_QPS,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.min_qps = min_qps
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, _Bucket] = {}

    def acquire(self, key: Hashable, qps: float, *, burst: int = 1, guard: float = 0.0) -> float:
        """Take one call's slot on ``key``, sleeping until it is due; returns the seconds waited.

        The first caller of a key sets its rate; a later caller asking for less lowers it (two
        configurations for one shop keep the stricter), one asking for more does not raise it.
        The slot is reserved before sleeping (the token count may go negative), so concurrent
        callers queue one behind another instead of all waking at the same instant.
        """
        slot = self.reserve(key, qps, burst=burst, guard=guard)
        if slot.wait > 0:
            self._sleep(slot.wait)
        return slot.wait

    def reserve(self, key: Hashable, qps: float, *, burst: int = 1, guard: float = 0.0) -> Slot:
        """Reserve one call's slot on ``key`` as :meth:`acquire` does, without sleeping: the caller
        waits ``slot.wait`` (with :attr:`sleep`, or a wait of its own that may end sooner and
        then :meth:`give_back` the slot)."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = _Bucket(limit=qps, rate=qps, burst=burst, guard=guard, tokens=float(burst), last=now)
                self._buckets[key] = bucket
            elif qps < bucket.limit:
                bucket.limit = qps
                bucket.rate = min(bucket.rate, qps)
            pace = bucket.pace()
            windows = bucket.windows()
            before = min(float(bucket.burst), bucket.tokens + (now - bucket.last) * pace)
            bucket.tokens = before - 1.0
            bucket.last = now
            wait = -bucket.tokens / pace if bucket.tokens < 0 else 0.0
            starts = bucket.starts
            while starts and starts[0] <= now - max(1.0, *(window for _, window in windows)):
                starts.popleft()
            for calls, window in windows:
                if len(starts) >= calls and starts[-calls] + window - now > wait:
                    # the window is full: start once its oldest call leaves it, and pace the next from there
                    wait = starts[-calls] + window - now
                    bucket.tokens = -wait * pace
            starts.append(now + wait)
            bucket.reserved += 1
            return Slot(key, wait, bucket, bucket.reserved, now, before - bucket.tokens)

    def give_back(self, slot: Slot) -> None:
        """The call ``slot`` was reserved for is not sent: free it for the calls still wanted.

        The last slot reserved on the key goes back whole (its tokens and its place in the log of
        starts), as if never taken. One with calls queued behind it leaves the log only: they keep
        the places they are sleeping towards, and its token handed to a newcomer would start two
        calls at once where the pace spaces them (the newcomer queues behind the last one anyway).
        """
        with self._lock:
            bucket = slot.bucket
            if self._buckets.get(slot.key) is not bucket:  # cleared meanwhile: nothing to free
                return
            start = slot.reserved_at + slot.wait
            if start in bucket.starts:  # gone already if its window has passed
                bucket.starts.remove(start)
            if bucket.reserved != slot.number:
                return
            bucket.tokens = min(float(bucket.burst), bucket.tokens + slot.taken)
            if bucket.slowed_at >= slot.reserved_at:  # refused meanwhile: no burst into a full window
                bucket.tokens = min(bucket.tokens, 0.0)

    @property
    def sleep(self) -> Callable[[float], None]:
        """How this registry sleeps (a test's fake sleep, or ``time.sleep``)."""
        return self._sleep

    def refused(self, key: Hashable) -> None:
        """The server refused a call on ``key`` as over its limit: slow that key to half its real pace.

        Calls already in flight when the server's window filled come back refused together;
        they are one event, so the rate drops once per window (``1 s + guard``).
        """
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return
            now = self._clock()
            bucket.clean_run = 0
            if now - bucket.slowed_at < 1.0 + bucket.guard:
                return
            bucket.slowed_at = now
            sent = bucket.sent_in_last_second(now)
            bucket.rate = max(min(self.min_qps, bucket.limit), min(bucket.rate, sent) * DECREASE)
            bucket.tokens = min(bucket.tokens, 0.0)  # no burst straight into a full window

    def succeeded(self, key: Hashable) -> None:
        """A call on ``key`` went through: after a second's worth of them, speed a slowed key up."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or bucket.rate >= bucket.limit:
                return
            bucket.clean_run += 1
            if bucket.clean_run >= math.ceil(bucket.rate):
                bucket.clean_run = 0
                bucket.rate = min(bucket.limit, bucket.rate + bucket.limit * RECOVER_STEP)

    def rate(self, key: Hashable) -> float | None:
        """The current rate of ``key`` (calls per second before the guard), or None if unused."""
        with self._lock:
            bucket = self._buckets.get(key)
            return None if bucket is None else bucket.rate

    def clear(self) -> None:
        """Forget every key (a fresh start for a test or a benchmark run)."""
        with self._lock:
            self._buckets.clear()


#: the process-wide registry every ``HttpClient`` on the real clock shares
RATE_LIMITS = RateLimits()


class RateLimiter(RateLimits):
    """A registry where every key has the same rate and no guard: a plain token bucket per key.

    For callers that pace one kind of call themselves; ``HttpClient`` uses :class:`RateLimits`.
    """

    def __init__(
        self,
        qps: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(clock=clock, sleep=sleep)
        self.qps = qps
        self.burst = burst

    def acquire(
        self, key: Hashable = None, qps: float | None = None, *, burst: int | None = None, guard: float = 0.0
    ) -> float:
        """Take one token for ``key`` (at this limiter's rate unless given), sleeping until one is free."""
        return super().acquire(
            key, self.qps if qps is None else qps, burst=self.burst if burst is None else burst, guard=guard
        )
