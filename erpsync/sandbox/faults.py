"""Injected faults for the emulated API, so clients can prove their retries, back-off and idempotency.

Before the call (see :meth:`Faults.inject`):

- ``error_rate`` (0..1) answers HTTP 500 / 36009003 at random; ``latency_ms`` delays every call;
  ``burst_429`` makes the next N calls answer 429 / 36009002 regardless of the real rate.

After a write committed (see :meth:`Faults.after_commit`): a *write* is an emulated-API POST that
changes state (every POST except the ``.../search`` ones; image uploads count). The handler runs
and its effect stays; only the answer is lost. A write the handler rejected (validation, 21011040,
...) committed nothing and uses up no commit fault.

- ``fail_after_commit`` N: the next N committed writes answer HTTP 500 / 36009003 anyway;
- ``fail_after_commit_rate`` (0..1): any committed write answers 500 / 36009003 with this chance;
- ``drop_after_commit`` N: the next N committed writes get no answer at all: the server closes
  the connection (the client sees "connection aborted / remote end closed"), as a lost response;
- ``commit_fault_paths``: null (every write) or a list of API path templates the three above
  apply to, e.g. ``["/product/202309/products"]`` or ``["/fulfillment/202309/packages/{package_id}/ship"]``.

``drop_after_commit`` is used up before ``fail_after_commit``, which is used up before the rate.
``seed`` makes the random errors reproducible.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from erpsync.sandbox.envelope import INTERNAL, RATE_LIMITED, SandboxError

KEYS = frozenset(
    {
        "error_rate",
        "latency_ms",
        "burst_429",
        "seed",
        "fail_after_commit",
        "fail_after_commit_rate",
        "drop_after_commit",
        "commit_fault_paths",
    }
)

#: What :meth:`Faults.after_commit` decides for a committed write.
FAIL = "fail"
DROP = "drop"


def _rate(settings: dict[str, Any], key: str, current: float) -> float:
    value = settings.get(key, current)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{key} must be a number from 0 to 1")
    return float(value)


def _count(settings: dict[str, Any], key: str, current: int) -> int:
    value = settings.get(key, current)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be an integer >= 0")
    return value


class Faults:
    """The current fault settings; :meth:`inject` runs before every emulated-API call."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self.error_rate = 0.0
        self.latency_ms: float = 0
        self.burst_429 = 0
        self.fail_after_commit = 0
        self.fail_after_commit_rate = 0.0
        self.drop_after_commit = 0
        self.commit_fault_paths: list[str] | None = None
        self._random = random.Random()
        self.configure(settings or {})

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply a partial update; raises ValueError naming the bad field (and changes nothing then)."""
        unknown = set(settings) - KEYS
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {sorted(KEYS)}")
        rate = _rate(settings, "error_rate", self.error_rate)
        latency = settings.get("latency_ms", self.latency_ms)
        if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
            raise ValueError("latency_ms must be a number >= 0")
        burst = _count(settings, "burst_429", self.burst_429)
        fail = _count(settings, "fail_after_commit", self.fail_after_commit)
        fail_rate = _rate(settings, "fail_after_commit_rate", self.fail_after_commit_rate)
        drop = _count(settings, "drop_after_commit", self.drop_after_commit)
        paths = settings.get("commit_fault_paths", self.commit_fault_paths)
        if paths is not None and not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
            raise ValueError("commit_fault_paths must be null or a list of API path templates")
        with self._lock:
            self.error_rate, self.latency_ms, self.burst_429 = rate, latency, burst
            self.fail_after_commit, self.fail_after_commit_rate = fail, fail_rate
            self.drop_after_commit = drop
            self.commit_fault_paths = list(paths) if paths is not None else None
            if "seed" in settings:
                self._random.seed(settings["seed"])

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "error_rate": self.error_rate,
                "latency_ms": self.latency_ms,
                "burst_429": self.burst_429,
                "fail_after_commit": self.fail_after_commit,
                "fail_after_commit_rate": self.fail_after_commit_rate,
                "drop_after_commit": self.drop_after_commit,
                "commit_fault_paths": None if self.commit_fault_paths is None else list(self.commit_fault_paths),
            }

    def inject(self) -> None:
        """Sleep for the latency, then raise the 429 burst or a random internal error if due."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        with self._lock:
            if self.burst_429 > 0:
                self.burst_429 -= 1
                raise SandboxError(429, RATE_LIMITED, "Too many requests (injected burst)", {"Retry-After": "1"})
            failed = self.error_rate > 0 and self._random.random() < self.error_rate
        if failed:
            raise SandboxError(500, INTERNAL, "Internal error (injected), please retry")

    def after_commit(self, path_template: str) -> str | None:
        """For a write that just committed on ``path_template``: :data:`DROP`, :data:`FAIL` or None."""
        with self._lock:
            if self.commit_fault_paths is not None and path_template not in self.commit_fault_paths:
                return None
            if self.drop_after_commit > 0:
                self.drop_after_commit -= 1
                return DROP
            if self.fail_after_commit > 0:
                self.fail_after_commit -= 1
                return FAIL
            if self.fail_after_commit_rate > 0 and self._random.random() < self.fail_after_commit_rate:
                return FAIL
        return None
