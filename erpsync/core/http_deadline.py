"""One call's total deadline, and reading a response's body within it.

``read_timeout`` bounds each socket read, not a call: a server sending one byte every few
seconds never trips it. So every call gets one deadline for everything (connecting, every byte
of the body, every retry and the waits between them), the sooner of the policy's own and the
enclosing time budget's (``core/time_budget.py``, followed as it is at each check, so a budget
ended meanwhile stops the call's retries), and the body is read one socket read at a time with
each read's timeout cut to what is left of it. Apart from the client because the
retry policy (``core/http_retry.py``) stops on the same deadline the body reader honours.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import HTTPError

from erpsync.core.time_budget import TimeBudget, current_time_budget

#: the real sleep, told apart from a test's: only a real wait can be cut short by an ended budget
_REAL_SLEEP = time.sleep

#: bytes asked of one socket read while streaming a body
_CHUNK = 64 * 1024


@dataclass
class CallDeadline:
    """One logical request's deadline, what sets it, and why retrying stopped.

    The sooner of the call's own deadline and the enclosing time budget's end, read at each
    check rather than copied as the call starts: a budget ended while the call runs
    (``TimeBudget.end``, a read ahead no longer wanted) stops its retries, cuts the wait before
    the next one short and keeps it from being sent, not only the calls started after it. The
    budget's part is its own :meth:`TimeBudget.remaining`, on the budget's clock (a test's, or
    the wall clock), never its ``ends_at`` set against this module's monotonic one.
    """

    own_end: float  # monotonic seconds
    own_limit: str
    budget: TimeBudget | None = None
    refused_wait: str | None = None
    #: set when an attempt was not sent because its rate-limit slot fell past the deadline: a
    #: retry would queue again behind the same calls, so none is made
    out_of_time: bool = False

    def _left(self) -> tuple[float, float]:
        """(seconds left to the call's own deadline, seconds left to the budget's end)."""
        own = self.own_end - time.monotonic()
        budget = self.budget
        return own, (math.inf if budget is None else budget.remaining())

    @property
    def ends_at(self) -> float:
        """When the call must be over, in monotonic seconds, as the budget stands now."""
        return time.monotonic() + self.remaining()

    @property
    def limit(self) -> str:
        """What sets the deadline, for errors: the call's own, or the budget's label."""
        own, budget = self._left()
        return self.budget.label if self.budget is not None and budget < own else self.own_limit

    def remaining(self) -> float:
        own = self.own_end - time.monotonic()
        budget = self.budget
        return own if budget is None else min(own, budget.remaining())

    def as_sent(self) -> CallDeadline:
        """The deadline as it is now, no longer following the budget: what the attempt being sent
        reads its answer by, so an answer on its way when the budget is ended is read whole (a
        call cut off would count as a failed one, for an answer nobody wanted anyway)."""
        if self.budget is None:
            return self
        own, budget = self._left()
        if budget < own:
            return CallDeadline(self.own_end - own + budget, self.budget.label)
        return CallDeadline(self.own_end, self.own_limit)

    def pause(self, seconds: float, sleep: Callable[[float], None]) -> None:
        """Wait ``seconds`` before the next attempt, cut short if the budget is ended meanwhile.
        ``sleep`` is the client's: a test's own is called as it is, unless the budget has ended."""
        budget = self.budget
        if budget is None:
            sleep(seconds)
        elif sleep is _REAL_SLEEP:
            budget.pause(seconds)
        elif self.remaining() > 0:
            sleep(seconds)


def call_deadline(deadline: float) -> CallDeadline:
    """When a call must be over: ``deadline`` seconds from now, or the enclosing time budget's end if sooner."""
    return CallDeadline(time.monotonic() + deadline, f"the call deadline ({deadline:g} s)", current_time_budget())


def _socket_of(raw: Any) -> socket.socket | None:
    """The socket under a streamed urllib3 response, if it can be found (urllib3 2.x: ``_connection.sock``).

    Private attributes, read defensively: without the socket each read is bounded by the read
    timeout instead of the time left, and the deadline is still checked between reads.
    """
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def read_body(response: requests.Response, call: CallDeadline, read_timeout: float) -> None:
    """Read the whole body now, so no byte of it arrives after the call's deadline.

    One socket read at a time (``read1``), each with its timeout cut to the time left: a
    server trickling bytes gets a ``requests.Timeout`` at the deadline, as a silent one gets
    it after ``read_timeout``. The body is then ``response.content`` as usual.
    """
    raw = response.raw
    if not callable(getattr(raw, "read1", None)):  # not urllib3 (a test double): read it whole
        _ = response.content
        return
    chunks: list[bytes] = []
    try:
        while True:
            left = call.remaining()
            if left <= 0:
                raise requests.Timeout(f"the body was still arriving when {call.limit} passed")
            # asked each time: once the body is in, urllib3 hands the connection back to the
            # pool, which gives it to another thread or, when full, closes it (EBADF here)
            sock = _socket_of(raw)
            if sock is not None:
                sock.settimeout(min(read_timeout, left))
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
    except requests.RequestException:
        response.close()
        raise
    except (HTTPError, OSError) as exc:  # urllib3's own errors: read timeout, reset, truncated body
        response.close()
        if call.remaining() <= 0 or "timed out" in str(exc).lower():
            raise requests.Timeout(f"the body was still arriving when {call.limit} passed: {exc}") from None
        raise requests.ConnectionError(f"the connection failed while reading the body: {exc}") from None
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]  # what .content sets
