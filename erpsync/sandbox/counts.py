"""Per-path call counters, so tests and benchmarks can assert what a client really did.

Keys are the API path templates (``/fulfillment/202309/packages/{package_id}``) or, for
unknown paths, the literal path. ``4xx`` includes ``429``; ``429`` is also counted alone.
``dropped`` counts calls that got no answer (``drop_after_commit``, see faults.py); record them
with status 0. The status classes count the HTTP status actually sent, so an error answered with
HTTP 200 (``errors_as_http_200``) is a ``2xx``.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

_BUCKETS = ("calls", "2xx", "4xx", "429", "5xx", "dropped")


class CallCounter:
    """Thread-safe counters of emulated-API responses by path and status class."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_BUCKETS, 0))

    def record(self, path: str, status: int) -> None:
        with self._lock:
            row = self._counts[path]
            row["calls"] += 1
            if 200 <= status < 300:
                row["2xx"] += 1
            elif 400 <= status < 500:
                row["4xx"] += 1
                if status == 429:
                    row["429"] += 1
            elif status >= 500:
                row["5xx"] += 1
            elif status == 0:
                row["dropped"] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            paths = {path: dict(row) for path, row in sorted(self._counts.items())}
        total = dict.fromkeys(_BUCKETS, 0)
        for row in paths.values():
            for bucket in _BUCKETS:
                total[bucket] += row[bucket]
        return {"paths": paths, "total": total}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
