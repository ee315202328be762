"""The state store (SQLAlchemy Core): small repositories over one engine.

SQLite by default (``sqlite:///path/state.db``, safe for several processes on one file), or
PostgreSQL (``postgresql+psycopg://...``). Every method takes ``now`` from the caller instead of
reading a clock, so tests and replays control time. ``Store`` owns the engine and the schema and
exposes one repository per table; each repository speaks the same small vocabulary:

- ``get`` one row (None if absent), ``has`` whether it exists, ``list_*`` several;
- ``put`` insert-or-replace (one ``ON CONFLICT`` upsert), ``delete`` one;
- ``begin`` / ``finish`` a two-step record (runs, ledger writes); ``record`` what was seen
  (drifts, observations, handled notification ids); leases ``acquire`` / ``renew`` /
  ``release`` / ``hold``; ``prune`` old rows.

Hand out the repository a part needs, not the store: a connector gets ``store.tokens`` (the
``TokenStore`` port), a webhook receiver ``store.notifications`` (``NotificationLog``), an
aspect ``store.observations.for_shop(shop)`` (``ObservationMemory``: what was seen, and the
operators' pickup confirmations from ``store.confirmations``), a seller connector also
``store.packages.for_shop(shop)`` (``PackageCache``: the packages it read last run) and
``store.tracked.for_shop(shop)`` (the same for the tracking read's shipments). Alerts
wait in ``store.outbox`` until a sink takes them. A long-running service also uses
``store.fences`` (a fencing epoch per shop, checked by ``ledger.begin(..., fence=...)``),
``store.sync_requests`` (runs asked for by webhooks), ``store.shop_pauses``,
``notifications.claim`` (one delivery of an id handled at a time) and ``store.meta``::

    store = Store.open("sqlite:///var/erpsync/state.db")
    with store.leases.hold(f"shop:{shop}", owner=run_id, ttl_seconds=600):
        changes = store.drifts.record(shop, aspect, drifts, now=now, run_id=run_id, scope=observation.scope)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Self

from sqlalchemy import Engine

from erpsync.core.store.base import check_connection, ensure_schema, make_engine, shown_url
from erpsync.core.store.bindings import Bindings
from erpsync.core.store.clock import database_offset
from erpsync.core.store.confirmations import Confirmations
from erpsync.core.store.cursors import Cursors
from erpsync.core.store.drifts import Drifts
from erpsync.core.store.fences import Fences
from erpsync.core.store.leases import Leases
from erpsync.core.store.ledger import Ledger
from erpsync.core.store.meta import Meta
from erpsync.core.store.notifications import ClaimResult, Notifications
from erpsync.core.store.observations import Observations, ShopMemory
from erpsync.core.store.outbox import Outbox
from erpsync.core.store.packages import Packages, ShopPackages, TrackedPackages
from erpsync.core.store.prune import MIN_NOTIFICATION_AGE, Retention, prune
from erpsync.core.store.rows import (
    AlertKind,
    AlertPlanner,
    BindingRow,
    ConfirmationRow,
    DriftChanges,
    DriftRow,
    LeaseRow,
    LedgerEntry,
    LedgerStatus,
    OutboxItem,
    OutboxRow,
    OutboxStatus,
    RunRow,
)
from erpsync.core.store.runs import Runs
from erpsync.core.store.schema import SCHEMA_VERSION
from erpsync.core.store.shop_pauses import PauseRow, ShopPauses
from erpsync.core.store.sync_requests import SyncRequest, SyncRequests
from erpsync.core.store.tokens import Tokens


class Store:
    """One state database. Open with ``Store(url)`` or ``Store.open(url)``; ``close()`` when done.

    Safe to share between threads of one process and between processes on one SQLite file; each
    repository method is one transaction. Tokens are encrypted only when a key is set (``tokens.py``),
    so a new SQLite database is created readable by its operator only (folder 0700, file 0600; see
    ``base.py``).
    """

    def __init__(self, url: str) -> None:
        """Open (and create if missing) the state database at ``url``; check its schema version.

        A bad URL, an unusable folder or an unreachable database raises ``ConfigError``; a schema
        newer than this erpsync, or older without an upgrade, ``ErpsyncError``.
        """
        self.url = url
        self._engine = make_engine(url)
        try:
            check_connection(self._engine, url)
            ensure_schema(self._engine, url)
        except BaseException:
            self._engine.dispose()
            raise
        self.runs = Runs(self._engine)
        self.drifts = Drifts(self._engine)
        self.ledger = Ledger(self._engine)
        self.leases = Leases(self._engine)
        self.observations = Observations(self._engine)
        self.cursors = Cursors(self._engine)
        self.bindings = Bindings(self._engine)
        self.tokens = Tokens(self._engine)
        self.notifications = Notifications(self._engine)
        self.confirmations = Confirmations(self._engine)
        self.outbox = Outbox(self._engine)
        self.packages = Packages(self._engine)
        self.tracked = TrackedPackages(self._engine)
        self.fences = Fences(self._engine)
        self.sync_requests = SyncRequests(self._engine)
        self.shop_pauses = ShopPauses(self._engine)
        self.meta = Meta(self._engine)

    def __repr__(self) -> str:  # the URL may carry a password; tokens are never part of it
        return f"{type(self).__name__}({shown_url(self.url)!r})"

    @classmethod
    def open(cls, url: str) -> Self:
        """Same as the constructor; reads better at call sites: ``Store.open(settings.state_url)``."""
        return cls(url)

    def close(self) -> None:
        """Release every pooled connection; the store must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    def clock_offset(self, now: datetime) -> float | None:
        """Seconds ``now`` is ahead of the database server's clock; None on SQLite (``store/clock.py``)."""
        return database_offset(self._engine, now)

    def prune(
        self, retention: Retention, *, now: datetime, dry_run: bool = False, replay_window: timedelta = timedelta(0)
    ) -> dict[str, int]:
        """Delete old rows ``retention`` allows (see ``store/prune.py``); rows removed per table."""
        repositories = (self.runs, self.drifts, self.ledger, self.notifications, self.confirmations, self.outbox)
        return prune(
            *repositories, self.sync_requests, self.tracked, retention, now=now, dry_run=dry_run,
            replay_window=replay_window,
        )  # fmt: skip


__all__ = [
    "MIN_NOTIFICATION_AGE",
    "SCHEMA_VERSION",
    "AlertKind",
    "AlertPlanner",
    "BindingRow",
    "Bindings",
    "ClaimResult",
    "ConfirmationRow",
    "Confirmations",
    "Cursors",
    "DriftChanges",
    "DriftRow",
    "Drifts",
    "Fences",
    "LeaseRow",
    "Leases",
    "Ledger",
    "LedgerEntry",
    "LedgerStatus",
    "Meta",
    "Notifications",
    "Observations",
    "Outbox",
    "OutboxItem",
    "OutboxRow",
    "OutboxStatus",
    "Packages",
    "PauseRow",
    "Retention",
    "RunRow",
    "Runs",
    "ShopMemory",
    "ShopPackages",
    "ShopPauses",
    "Store",
    "SyncRequest",
    "SyncRequests",
    "Tokens",
    "TrackedPackages",
]
