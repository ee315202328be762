"""Injected faults for the emulated API, so clients can prove their retries and back-off.

``error_rate`` (0..1) answers HTTP 500 / 36009003 at random; ``latency_ms`` delays every call;
``burst_429`` makes the next N calls answer 429 / 36009002 regardless of the real rate.
``seed`` makes the random errors reproducible.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from erpsync.sandbox.envelope import INTERNAL, RATE_LIMITED, SandboxError


class Faults:
    """The current fault settings; :meth:`inject` is called once per emulated-API request."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self.error_rate = 0.0
        self.latency_ms = 0
        self.burst_429 = 0
        self._random = random.Random()
        self.configure(settings or {})

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply a partial update; raises ValueError naming the bad field."""
        unknown = set(settings) - {"error_rate", "latency_ms", "burst_429", "seed"}
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}")
        rate = settings.get("error_rate", self.error_rate)
        latency = settings.get("latency_ms", self.latency_ms)
        burst = settings.get("burst_429", self.burst_429)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError("error_rate must be a number from 0 to 1")
        if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
            raise ValueError("latency_ms must be a number >= 0")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 0:
            raise ValueError("burst_429 must be an integer >= 0")
        with self._lock:
            self.error_rate, self.latency_ms, self.burst_429 = float(rate), latency, burst
            if "seed" in settings:
                self._random.seed(settings["seed"])

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"error_rate": self.error_rate, "latency_ms": self.latency_ms, "burst_429": self.burst_429}

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
