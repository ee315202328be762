"""A wall-clock budget shared by every HTTP call made inside a block of work (a shop, say).

A context variable rather than a parameter: the host that owns the budget (the sync loop) never
sees the connectors' HTTP clients, and the core must not know the connectors. ``core/http.py``
reads :func:`current_time_budget` on each call and ends the call by the budget's end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class TimeBudget:
    """Wall-clock seconds a piece of work may take, shared by every HTTP call made inside it.

    Enter it with :func:`time_budget`; each :class:`HttpClient` call made meanwhile (in this
    thread or context) ends by the budget's end, whatever its own deadline. ``label`` names the
    budget in errors, e.g. ``"shop my-shop's time budget (600 s)"``.
    """

    def __init__(self, seconds: float, label: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        if seconds <= 0:
            raise ValueError("a time budget must be positive")
        self.seconds = seconds
        self.label = label
        self._clock = clock
        self.ends_at = clock() + seconds

    def remaining(self) -> float:
        return self.ends_at - self._clock()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0


_BUDGET: ContextVar[TimeBudget | None] = ContextVar("erpsync_http_time_budget", default=None)


def current_time_budget() -> TimeBudget | None:
    """The time budget the calls made here run under (see :func:`time_budget`), if any."""
    return _BUDGET.get()


@contextmanager
def time_budget(budget: TimeBudget) -> Iterator[TimeBudget]:
    """Bound every HTTP call made inside the block by ``budget`` (nested budgets: the tighter wins).

    A context variable rather than a parameter: the host that owns the budget (the sync loop)
    never sees the connectors' HTTP clients, and the core must not know the connectors.
    """
    outer = _BUDGET.get()
    tighter = budget if outer is None or budget.ends_at <= outer.ends_at else outer
    token = _BUDGET.set(tighter)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)
