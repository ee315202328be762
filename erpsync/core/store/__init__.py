"""The state store (SQLAlchemy Core): runs, drifts, ledger, leases, observations, cursors, bindings,
shop tokens, handled webhook ids and webhook bodies kept for inspection.

SQLite by default (``sqlite:///path/state.db``, safe for several processes on one file), any
SQLAlchemy URL in principle (``postgresql+psycopg://...``). Every method takes ``now`` from the
caller instead of reading a clock, so tests and replays control time. Each module below holds
one table's logic; ``Store`` puts them together::

    store = Store.open("sqlite:///var/erpsync/state.db")
    with store.lease(f"shop:{shop}", owner=token, ttl_seconds=600):
        changes = store.record_drifts(shop, aspect, drifts, now=now, run_id=run_id, scope=observation.scope)
"""

from __future__ import annotations

from erpsync.core.store.bindings import CursorsBindingsMixin
from erpsync.core.store.drifts import DriftsMixin
from erpsync.core.store.leases import LeasesMixin
from erpsync.core.store.ledger import LedgerMixin
from erpsync.core.store.notifications import NotificationsMixin
from erpsync.core.store.observations import ObservationsMixin, ShopMemory
from erpsync.core.store.rows import (
    BindingRow,
    DriftChanges,
    DriftRow,
    LeaseRow,
    LedgerEntry,
    LedgerStatus,
    RunRow,
)
from erpsync.core.store.runs import RunsMixin
from erpsync.core.store.schema import SCHEMA_VERSION
from erpsync.core.store.tokens import TokensMixin


class Store(
    RunsMixin,
    DriftsMixin,
    LedgerMixin,
    LeasesMixin,
    ObservationsMixin,
    CursorsBindingsMixin,
    TokensMixin,
    NotificationsMixin,
):
    """One state database. Open with ``Store(url)`` or ``Store.open(url)``; ``close()`` when done.

    Safe to share between threads of one process and between processes on one SQLite file; each
    method is one transaction. It is the ``TokenStore`` and ``NotificationLog`` of ``core/ports.py``
    (tokens are stored unencrypted for now: encryption at rest is a later roadmap item).
    """


__all__ = [
    "SCHEMA_VERSION",
    "BindingRow",
    "DriftChanges",
    "DriftRow",
    "LeaseRow",
    "LedgerEntry",
    "LedgerStatus",
    "RunRow",
    "ShopMemory",
    "Store",
]
