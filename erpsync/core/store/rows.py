"""What the store hands back: frozen snapshots of rows, never live handles to the database.

Each table has one ``RowMapper`` (in its repository's module) that builds these from a result
row by field name, so adding a column means adding a field, not editing hand-written copies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import Row, RowMapping, Table

from erpsync.core.models import PickupConfirmation, Severity, SubscriptionStatus, Texts

LedgerStatus = Literal["pending", "done", "failed"]

T = TypeVar("T")


class RowMapper(Generic[T]):
    """Builds a frozen dataclass from a result row: each field from the column of its name.

    ``convert`` gives, per field, a function of the row's mapping for the fields whose column
    needs a conversion (JSON list to tuple, string to enum) or that no column holds (a joined or
    computed value). A field with neither a column nor a conversion is a ``TypeError`` when the
    mapper is built, that is at import time, not when a query first returns that row.
    """

    def __init__(self, cls: type[T], table: Table, **convert: Callable[[RowMapping], Any]) -> None:
        self.cls = cls  # before is_dataclass narrows ``cls`` and loses ``T``
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} is not a dataclass")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = [n for n in convert if n not in names]
        missing = [n for n in names if n not in convert and n not in table.c]
        if unknown or missing:
            raise TypeError(
                f"{cls.__name__} does not match table {table.name}: "
                f"fields without a column {missing}, conversions for no field {unknown}"
            )
        self._fields: dict[str, Callable[[RowMapping], Any]] = {
            name: convert.get(name) or _column(name) for name in names
        }

    def __call__(self, row: Row[Any]) -> T:
        values = row._mapping
        return self.cls(**{name: get(values) for name, get in self._fields.items()})


def _column(name: str) -> Callable[[RowMapping], Any]:
    return lambda values: values[name]


@dataclass(frozen=True)
class RunRow:
    """One ``Syncer.run``: when, on which shops, in which mode, and how it ended."""

    id: str
    started_at: datetime
    finished_at: datetime | None
    apply: bool
    shops: tuple[str, ...]
    status: str  # "running" until runs.finish; "crashed" if found dead; "interrupted" by a signal
    summary: Mapping[str, Any] | None
    host: str | None = None
    pid: int | None = None
    heartbeat_at: datetime | None = None


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
    # from the ``details`` column: empty on rows an older erpsync wrote (see ``Drift``)
    identity: str | None = None
    summary: Texts | None = None
    why: tuple[Texts, ...] = ()
    steps: tuple[Texts, ...] = ()
    #: when the last alert about this occurrence (opened, reminder) was written; None: never, or
    #: written by an erpsync without the outbox (reminders then count from ``opened_at``)
    last_alerted_at: datetime | None = None
    #: an operator's acknowledgement: ``acked_at`` set and ``acked_until`` None means "until it
    #: resolves"; an ``acked_until`` in the past has run out
    acked_at: datetime | None = None
    acked_until: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def acked(self, now: datetime) -> bool:
        """Whether reminders are silenced at ``now`` (its resolution still alerts)."""
        return self.acked_at is not None and (self.acked_until is None or now < self.acked_until)

    def text(self, lang: str) -> str:
        """The message in ``lang`` (the English message when the drift has no translation)."""
        return self.summary.get(lang) if self.summary is not None else self.message


@dataclass(frozen=True)
class DriftChanges:
    """What ``drifts.record`` changed for one (shop, aspect): alerts go out for opened and resolved,
    escalations for the open drifts in ``escalated`` (their severity rose) and reminders for those
    in ``reminded`` (both subsets of ``still_open``, never sharing a drift)."""

    opened: list[DriftRow] = field(default_factory=list)
    still_open: list[DriftRow] = field(default_factory=list)
    resolved: list[DriftRow] = field(default_factory=list)
    reminded: list[DriftRow] = field(default_factory=list)
    escalated: list[DriftRow] = field(default_factory=list)


OutboxStatus = Literal["pending", "delivered", "failed", "expired"]
AlertKind = Literal["opened", "resolved", "reminder", "escalated"]


@dataclass(frozen=True)
class OutboxItem:
    """An alert to write into the outbox: for one sink, the event already rendered as a dict."""

    id: str
    sink: str
    event: Mapping[str, Any]
    drift_id: int | None = None


#: what decides, inside ``drifts.record``'s transaction, which sinks get an alert for a drift change
#: and renders it for each: (what happened, the drift) → the outbox rows to write
AlertPlanner = Callable[[AlertKind, "DriftRow"], list[OutboxItem]]


@dataclass(frozen=True)
class OutboxRow:
    """One alert for one sink in the outbox. ``pending`` until delivered; a temporary failure keeps
    it pending with a later ``next_attempt_at``; ``failed`` (retrying cannot help) and ``expired``
    (undelivered past its age limit) are final."""

    id: str
    sink: str
    event: Mapping[str, Any]
    status: OutboxStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    answer: str | None


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
    host: str | None = None  # None: taken by an erpsync older than schema version 4
    pid: int | None = None

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


@dataclass(frozen=True)
class ConfirmationRow:
    """An operator's pickup confirmation as stored, with its shop and who recorded it.

    Valid while ``now < expires_at``; ``as_confirmation`` gives what the pickup aspect weighs.
    """

    shop: str
    warehouse_id: str
    status: SubscriptionStatus
    confirmed_at: datetime
    expires_at: datetime
    note: str
    confirmed_by: str | None

    def valid_at(self, now: datetime) -> bool:
        return now < self.expires_at

    def as_confirmation(self) -> PickupConfirmation:
        return PickupConfirmation(
            warehouse_id=self.warehouse_id,
            status=self.status,
            confirmed_at=self.confirmed_at,
            expires_at=self.expires_at,
            note=self.note,
        )
