"""What the store hands back: frozen snapshots of rows, never live handles to the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from erpsync.core.models import Severity

LedgerStatus = Literal["pending", "done", "failed"]


@dataclass(frozen=True)
class RunRow:
    """One ``Syncer.run``: when, on which shops, in which mode, and how it ended."""

    id: str
    started_at: datetime
    finished_at: datetime | None
    apply: bool
    shops: tuple[str, ...]
    status: str  # "running" until finish_run
    summary: Mapping[str, Any] | None


@dataclass(frozen=True)
class DriftRow:
    """One occurrence of a drift, from the run that saw it first to the run that saw it gone.

    ``id`` names the occurrence: a drift that is resolved and later comes back gets a new id, so
    ledger keys built from it make the correction run again instead of being skipped as done.
    """

    id: int
    fingerprint: str
    shop: str
    aspect: str
    kind: str
    subject: str
    field: str | None
    seller_value: str | None
    erp_value: str | None
    severity: Severity
    message: str
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    opened_run: str | None
    resolved_run: str | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class DriftChanges:
    """What ``record_drifts`` changed for one (shop, aspect): alerts go out for opened and resolved."""

    opened: list[DriftRow] = field(default_factory=list)
    still_open: list[DriftRow] = field(default_factory=list)
    resolved: list[DriftRow] = field(default_factory=list)


@dataclass(frozen=True)
class LedgerEntry:
    """One external write in the outbox. ``done`` means applied: a rerun must skip it."""

    key: str
    shop: str
    aspect: str
    kind: str
    target: str
    subject: str
    payload: Mapping[str, Any]
    status: LedgerStatus
    attempts: int
    last_error: str | None  # kept after a later success: it says why earlier attempts failed
    detail: str | None
    run_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class LeaseRow:
    """Who holds a lease until when. ``fence`` grows with every change of owner."""

    name: str
    owner: str
    acquired_at: datetime
    expires_at: datetime
    fence: int

    def held_at(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True)
class BindingRow:
    """Which seller-side record an ERP record is bound to, and the hash of what was last pushed."""

    shop: str
    entity: str
    erp_id: str
    seller_id: str | None
    last_pushed_hash: str | None
    updated_at: datetime
