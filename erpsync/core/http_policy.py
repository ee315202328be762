"""How one connector's HTTP calls behave: timeouts, retries, rate limit and deadline, checked once.

A value of its own, apart from the client that follows it, so a connector's options, a test or
a benchmark can build and pass one around without opening a session; a policy that would let a
call hang (no timeout, no deadline) is refused where it is built, not at the first call.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpPolicy:
    """How one connector's calls behave. Every field has a safe default; timeouts are mandatory."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    #: total seconds of sleeping between attempts before giving up (Retry-After counts too)
    max_wait: float = 120.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    backoff_jitter: float = 0.5
    #: requests per second per rate key (default key: connector, host and URL path), shared by
    #: every client of the process (``core/rate_limit.py``); None: no client limit
    rate_limit_qps: float | None = None
    #: requests allowed back to back before the limit paces them
    rate_limit_burst: int = 1
    #: wall-clock seconds one call may take in all: connect, every body byte, all retries and
    #: the waits between them (``read_timeout`` bounds one socket read, not the call)
    deadline: float = 300.0

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("HttpPolicy: timeouts must be positive; a call without one can hang forever")
        if self.max_attempts < 1:
            raise ValueError("HttpPolicy: max_attempts must be at least 1")
        if self.deadline <= 0:
            raise ValueError("HttpPolicy: deadline must be positive; a call without one can last forever")
        if self.rate_limit_qps is not None and self.rate_limit_qps <= 0:
            raise ValueError("HttpPolicy: rate_limit_qps must be positive (or None for no limit)")
        if self.rate_limit_burst < 1:
            raise ValueError("HttpPolicy: rate_limit_burst must be at least 1")
