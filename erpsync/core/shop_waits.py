"""The moment a shop's thread only waits for calls it has sent, which a later aspect's reads wait for.

A read started ahead for a later aspect (``Aspect.read_ahead``, ``erpsync.shop_reads``) spends CPU
loading what it read, and the interpreter runs one thread at a time: started as the shop starts,
it slowed the first aspects' own work on the way to the calls that bound the run (a 300-warehouse
shop: its package search started 0.05-0.1 s later, and with it every handover-slot call). So the
host holds those reads until the shop's thread has sent what it can and waits for the answers: a
connector whose read sends its calls and then waits for them (the TikTok pickup read, once its
handover-slot calls are on their way) says so with :func:`waiting`, and the reads held for the
shop start then. A read that no wait released starts when its aspect asks for it, as if it had not
been held.

A context variable, as the time budget is (``time_budget.py``): the host that holds the reads
never sees the connector that waits, and the core does not know the host.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

_RELEASE: ContextVar[Callable[[], None] | None] = ContextVar("erpsync_shop_waits", default=None)


def waiting() -> None:
    """The shop's thread now only waits for calls it has sent: start what was held for that moment.

    Cheap when nothing is held, and harmless to say more than once."""
    release = _RELEASE.get()
    if release is not None:
        release()


def release_when_waiting(release: Callable[[], None]) -> Callable[[], None]:
    """From now on in this context (and copies of it made from now), :func:`waiting` calls
    ``release``; returns what to call, in this context, when the shop is done (so a thread that
    serves the next shop releases nothing of this one's)."""
    token = _RELEASE.set(release)
    return lambda: _RELEASE.reset(token)
