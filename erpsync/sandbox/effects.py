"""Counts of successful side effects, so tests can assert "shipped exactly once".

``GET /_sandbox/effects`` → ``{kind: {key: n}}`` with kinds and keys:

- ``ship``                  package_id (one ship call or one batch entry that shipped)
- ``shipping_info_update``  package_id (order-level updates count each package they changed)
- ``product_create``        seller_sku (every SKU of a created product)
- ``product_edit``          product_id
- ``inventory_update``      seller_sku (each SKU whose stock was written)
- ``price_update``          seller_sku

Only successes are counted: a rejected call (21011040, 12052901, validation) is not an effect,
which is exactly what an idempotent client must prove. ``DELETE /_sandbox/effects`` zeroes them.
"""

from __future__ import annotations

import threading
from collections import defaultdict

KINDS = ("ship", "shipping_info_update", "product_create", "product_edit", "inventory_update", "price_update")


class EffectCounter:
    """Thread-safe ``kind → key → count``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def record(self, kind: str, key: str) -> None:
        with self._lock:
            self._counts[kind][key] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {kind: dict(self._counts.get(kind, {})) for kind in KINDS}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
