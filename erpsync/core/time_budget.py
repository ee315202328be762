"""A wall-clock budget shared by every HTTP call made inside a block of work (a shop, say).

A context variable rather than a parameter: the host that owns the budget (the sync loop) never
sees the connectors' HTTP clients, and the core must not know the connectors. ``core/http.py``
reads :func:`current_time_budget` on each call and ends the call by the budget's end.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class TimeBudget:
    """Wall-clock seconds a piece of work may take, shared by every HTTP call made inside it.

    Enter it with :func:`time_budget`; each :class:`HttpClient` call made meanwhile (in this
    thread or context) ends by the budget's end, whatever its own deadline. ``label`` names the
    budget in errors, e.g. ``"shop my-shop's time budget (600 s)"``.

    A call follows the budget as it is at each check, not as it was when the call started
    (``core/http_deadline.py``), so :meth:`end` reaches the call in flight too.
    """

    def __init__(self, seconds: float, label: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        if seconds <= 0:
            raise ValueError("a time budget must be positive")
        self.seconds = seconds
        self.label = label
        self._clock = clock
        #: when it ends, on its own clock (``clock``): compared as it is only with a budget on the
        #: same clock; a call or a budget on another clock goes by :meth:`remaining`
        self.ends_at = clock() + seconds
        #: set by end(): a retry's backoff waits on it, so an ended budget cuts the wait short
        self._ended = threading.Event()

    def remaining(self) -> float:
        return self.ends_at - self._clock()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def end(self, label: str) -> None:
        """End the budget now, from any thread: no call made under it is sent from now on, the
        one whose answer is on its way is read to its end but not sent again, and a wait before
        a retry is cut short. ``label`` says why, in its errors."""
        self.label = label  # before the end: a check that sees the end names this reason
        self.ends_at = min(self.ends_at, self._clock())
        self._ended.set()

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` in real time, or until :meth:`end` is called if sooner; never less
        otherwise (a rate limiter's wait relies on it)."""
        until = time.monotonic() + seconds
        left = seconds
        while left > 0 and not self._ended.wait(left):
            left = until - time.monotonic()


_BUDGET: ContextVar[TimeBudget | None] = ContextVar("erpsync_http_time_budget", default=None)


def current_time_budget() -> TimeBudget | None:
    """The time budget the calls made here run under (see :func:`time_budget`), if any."""
    return _BUDGET.get()


def endable_budget() -> TimeBudget:
    """A budget ending exactly when the one in force here does (never, with none), for work that
    another thread may drop sooner with :meth:`TimeBudget.end`: a read started on a thread of its
    own whose answer is no longer wanted stops at its next call. Enter it with :func:`time_budget`
    in the context that does the work."""
    outer = _BUDGET.get()
    budget = TimeBudget(math.inf, "no time budget")
    if outer is not None:  # the same end, so time_budget() takes this one, and the same reason if it comes
        budget.ends_at, budget.label, budget._clock = outer.ends_at, outer.label, outer._clock
    return budget


def _ends_first(inner: TimeBudget, outer: TimeBudget) -> bool:
    """Whether ``inner`` ends no later than ``outer``: a tie goes to ``inner``.

    On one clock by ``ends_at``: an :func:`endable_budget` ends exactly when the budget around
    it does, and must be the one in force, or ending it would stop nothing; time left read
    twice would make the inner, read first, look longer. On different clocks ``ends_at`` cannot
    be compared, so by the time left on each.
    """
    if inner._clock == outer._clock:
        return inner.ends_at <= outer.ends_at
    return inner.remaining() <= outer.remaining()


@contextmanager
def time_budget(budget: TimeBudget) -> Iterator[TimeBudget]:
    """Bound every HTTP call made inside the block by ``budget`` (nested budgets: the tighter wins,
    ``budget`` when both end at once).

    A context variable rather than a parameter: the host that owns the budget (the sync loop)
    never sees the connectors' HTTP clients, and the core must not know the connectors.
    """
    outer = _BUDGET.get()
    tighter = budget if outer is None or _ends_first(budget, outer) else outer
    token = _BUDGET.set(tighter)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)
