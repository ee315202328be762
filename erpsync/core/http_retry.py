"""When a failed call is sent again, after how long, and when retrying stops.

Only a ``TemporaryError`` is retried, never an ``OutcomeUnknownError`` (a non-idempotent request
that may have taken effect). The wait is the server's ``Retry-After`` when it gave one, else
exponential backoff with jitter; retrying stops after ``max_attempts``, when the next sleep
would overrun ``max_wait`` or the call's deadline (``core/http_deadline.py``), or once an attempt
found its rate-limit slot past that deadline (a retry would queue for a later one), and a refused
``Retry-After`` is noted on the call so the error the caller sees says so. tenacity runs the
loop; the rules are here, apart from sending, so each can be read on its own.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from erpsync.core.errors import OutcomeUnknownError, TemporaryError
from erpsync.core.http_deadline import CallDeadline
from erpsync.core.http_policy import HttpPolicy

#: the seam's logger, whichever of its modules logs: the retry line is the one operators filter on
log = logging.getLogger("erpsync.core.http")


def retrying(
    policy: HttpPolicy,
    call: CallDeadline,
    *,
    connector: str,
    redact: Callable[[str], str],
    sleep: Callable[[float], None],
) -> Retrying:
    """The retry loop of one logical request, bounded by ``policy`` and ``call``'s deadline."""
    return Retrying(
        # never OutcomeUnknownError (a TemporaryError too): its whole point is not to resend
        retry=retry_if_exception(
            lambda exc: isinstance(exc, TemporaryError) and not isinstance(exc, OutcomeUnknownError)
        ),
        stop=lambda state: _stop(policy, state, call),
        wait=lambda state: _wait(policy, state),
        sleep=lambda seconds: call.pause(seconds, sleep),  # cut short by an ended budget
        before_sleep=lambda state: _log_retry(connector, redact, state),
        reraise=True,
    )


def _wait(policy: HttpPolicy, state: RetryCallState) -> float:
    """Retry-After when the server gave one, else exponential backoff with jitter."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, TemporaryError) and exc.retry_after is not None:
        return float(exc.retry_after)
    exponential: float = policy.backoff_initial * 2 ** (state.attempt_number - 1)
    return min(policy.backoff_max, exponential) + random.uniform(0, policy.backoff_jitter)


def _stop(policy: HttpPolicy, state: RetryCallState, call: CallDeadline) -> bool:
    """Stop after ``max_attempts``, once an attempt's rate-limit slot fell past the deadline, or
    when the next sleep would overrun ``max_wait`` or the deadline.

    One function rather than ``stop_after_attempt(n) | ...``: tenacity's ``|`` is typed for
    its own stop classes only, and a plain function is what ``Retrying(stop=...)`` accepts.
    When the sleep refused is the server's ``Retry-After``, ``call.refused_wait`` says so, for
    the error the caller sees.
    """
    if call.out_of_time or stop_after_attempt(policy.max_attempts)(state):
        return True
    sleep = state.upcoming_sleep or 0.0
    limit = None
    if _over_total_wait(policy, state):
        limit = f"max_wait ({policy.max_wait:g} s of waiting per call)"
    elif sleep >= call.remaining():
        limit = call.limit
    if limit is None:
        return False
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, TemporaryError) and exc.retry_after is not None:
        call.refused_wait = (
            f"the server asked to retry after {exc.retry_after:g} s (Retry-After), "
            f"longer than {limit} allows: not retried"
        )
    return True


def _over_total_wait(policy: HttpPolicy, state: RetryCallState) -> bool:
    # tenacity computes the next sleep before asking stop, so a Retry-After longer than the
    # remaining budget stops now and the caller gets the TemporaryError (with retry_after)
    return state.idle_for + (state.upcoming_sleep or 0.0) > policy.max_wait


def _log_retry(connector: str, redact: Callable[[str], str], state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "%s: attempt %d failed, retrying in %.1f s: %s",
        connector,
        state.attempt_number,
        state.upcoming_sleep,
        redact(str(exc)),
    )
