"""Capabilities a connector may implement. Aspects ask for capabilities, not for connectors.

A connector implements only what its system can do. When an aspect needs a capability a
connector lacks, the host reports the drift as "not fixed" instead of crashing; e.g. the Open
API cannot write a warehouse address (only Seller Center's UI can), so the TikTok connector is
no ``WarehouseWriter``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from erpsync.core.models import HandoverMode, PackageSignal, PickupConfirmation, PickupSignals, Records, Warehouse


@runtime_checkable
class WarehouseReader(Protocol):
    def list_warehouses(self) -> Records[Warehouse]:
        """Every warehouse with its address (and handover mode, where the system keeps one)."""
        ...


@runtime_checkable
class WarehouseWriter(Protocol):
    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        """Set only the given Address fields (``{"phone": "138…"}``) of one warehouse. Idempotent.

        Only the fields being corrected are written, so an edit someone made to another field
        between observe and apply is not reverted.
        """
        ...


@runtime_checkable
class PickupReader(Protocol):
    def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        """Evidence about pickup per warehouse: packages since ``since`` and handover slots."""
        ...


@runtime_checkable
class ReadsAhead(Protocol):
    """A side that can start a read before an aspect makes it (the host's per-shop wrapper,
    ``erpsync.shop_reads``): see ``Aspect.read_ahead``."""

    def read_ahead(self, name: str, /, *args: Any, **kwargs: Any) -> bool:
        """Hold the read ``name(*args, **kwargs)``, started once the shop's thread waits; the first
        such call gets its answer. False when it was not held (the call is then made when asked)."""
        ...


@runtime_checkable
class PickupWriter(Protocol):
    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        """Set the handover mode (PICK UP / DROP OFF) the system uses for a warehouse. Idempotent."""
        ...


@dataclass(frozen=True)
class Sighting:
    """What ``ObservationMemory.observe`` knows about a value after recording it.

    ``changed_at`` is when erpsync first saw the current value differ from the one before it
    (None: it never saw a change, only the current value); ``previous`` is that earlier value
    and ``previous_seen_at`` the last time erpsync saw it, so the change happened in between.
    """

    value: str
    first_seen_at: datetime
    changed_at: datetime | None = None
    previous: str | None = None
    previous_seen_at: datetime | None = None


@dataclass(frozen=True)
class FailedWrite:
    """A write of an aspect that failed and that nothing has changed since: the ledger's ``failed``
    row of a push that must happen once, while the drift occurrence it was planned for is open.

    ``value`` and ``field`` are the action's; ``error`` the error it failed with, as recorded, and
    ``code`` the system's code in it, if it gave one. An aspect reads these when an answer
    settles what to do next time (the tracking aspect: a correction refused as the order's
    second update is not sent again).
    """

    kind: str
    subject: str
    field: str | None
    value: str | None
    error: str
    code: str | None
    failed_at: datetime


@runtime_checkable
class ObservationMemory(Protocol):
    """What erpsync remembers between runs about what it saw (``store.observations.for_shop(shop)``)
    and what operators told it (``erpsync pickup confirm``)."""

    def observe(self, key: str, value: str, now: datetime) -> Sighting:
        """Record ``value`` as what ``key`` looks like now and say when it last changed.

        Seller Center does not date its warehouse saves, so this is how the pickup aspect dates
        them (a save re-triggers the pickup review). A plan run records too: a change it saw
        first would otherwise be lost.
        """
        ...

    def pickup_confirmation(self, warehouse_id: str, now: datetime) -> PickupConfirmation | None:
        """The operator's record of the warehouse's pickup status, if one is still valid at ``now``."""
        ...


@dataclass(frozen=True)
class TokenRecord:
    """A shop's Open API tokens. ``*_expires_at`` are absolute times (the API sends Unix seconds)."""

    access_token: str = field(repr=False)  # secrets stay out of reprs, logs and tracebacks
    access_token_expires_at: datetime
    refresh_token: str = field(repr=False)
    refresh_token_expires_at: datetime
    open_id: str = ""
    seller_name: str = ""
    seller_base_region: str = ""
    granted_scopes: tuple[str, ...] = ()
    last_refresh_at: datetime | None = None


@runtime_checkable
class TokenStore(Protocol):
    """Where a connector keeps a shop's tokens between runs (``store.tokens``; never logs)."""

    def get(self, shop: str) -> TokenRecord | None:
        """The shop's tokens, or None if it was never authorised."""
        ...

    def put(self, shop: str, token: TokenRecord, *, now: datetime) -> None:
        """Store (insert or replace) the shop's tokens, e.g. after every refresh."""
        ...


@dataclass(frozen=True)
class KeptNotification:
    """A webhook body kept for inspection: erpsync could not parse or handle it.

    ``key`` is the dedupe key when one was known (the ``tts_notification_id``, or ``sha256:`` and
    the body's digest); ``handled`` turns True once a later delivery of that key was handled, so
    a handler failure that the platform's retry cured no longer asks for attention.
    """

    id: int
    source: str
    body_sha256: str
    raw_body: bytes = field(repr=False)  # may hold buyer data; shown only on purpose
    reason: str
    first_seen_at: datetime
    last_seen_at: datetime
    deliveries: int = 1
    key: str | None = None
    handled: bool = False


@runtime_checkable
class NotificationLog(Protocol):
    """Remembers webhook notifications: the ids handled, and the bodies that could not be.

    Backed by ``store.notifications``. Delivery is at-least-once, so a receiver asks ``has`` on
    arrival and calls ``record`` only after its handler succeeded: a retry after a failed handler
    is handled rather than dropped. A body that is signed but cannot be parsed, has a type
    erpsync does not know, or whose handler failed goes to ``keep``: the platform stops
    redelivering after four retries, so the raw bytes must outlive its schedule.
    """

    def has(self, notification_id: str, *, source: str) -> bool:
        """Whether the id was recorded before (handled), without recording it."""
        ...

    def record(self, notification_id: str, *, source: str, now: datetime) -> bool:
        """Record the id; True the first time it is seen, False for a redelivery."""
        ...

    def keep(self, source: str, raw_body: bytes, reason: str, now: datetime, *, key: str | None = None) -> bool:
        """Keep the raw body and why; True the first time these exact bytes are kept.

        Keeping the same bytes again counts a delivery and replaces the reason with the latest.
        """
        ...

    def list_kept(
        self, *, source: str | None = None, include_handled: bool = False, limit: int = 100
    ) -> list[KeptNotification]:
        """Kept bodies, most recently seen first; those handled later only when asked for."""
        ...


@dataclass(frozen=True)
class CachedPackage:
    """One package as a seller connector last read it, and the platform's ``update_time`` then.

    ``update_time`` is the platform's own stamp: the same stamp in a later search means the
    package did not change, so its detail need not be read again.
    """

    signal: PackageSignal
    update_time: datetime
    #: its orders said it shipped when it was read: what tells a PROCESSING package shipped and
    #: waiting for the carrier from one not shipped yet (kept by the tracking read only)
    orders_shipped: bool = False
    #: who ships the package, as its detail said: "TIKTOK" (the platform), "SELLER", or None when
    #: not known (not said, or a row kept before the cache kept it)
    shipping_type: str | None = None
    #: the delivery option its detail gave, which settles a carrier name two options share; None
    #: when not known (not said, or a row kept before the cache kept it)
    delivery_option_id: str | None = None


@dataclass(frozen=True)
class PackageCursor:
    """How far a shop's package cache is known to be complete.

    Every package of the seller account ``scope`` created at or after ``since`` and changed up to
    ``update_time`` is in the cache. A different ``scope`` (the shop id was changed) or an
    earlier ``since`` (the lookback grew) makes the cache unusable: the connector reads afresh.
    """

    scope: str
    since: datetime
    update_time: datetime


@runtime_checkable
class PackageCache(Protocol):
    """What a seller connector keeps of one shop's packages between runs (``store.packages.for_shop``).

    Reading a package's detail and orders is most of a pickup read, and most packages do not
    change between runs, so a connector reads only those the platform says changed and takes
    the rest from here. The cursor moves only after the packages it covers are stored: a run that
    stops in between reads the same changes again, never skips one.
    """

    def cursor(self) -> PackageCursor | None:
        """Where the cache is complete up to, or None before the first complete read."""
        ...

    def packages(self, created_since: datetime) -> list[CachedPackage]:
        """The cached packages created at or after ``created_since``."""
        ...

    def put(self, packages: Sequence[CachedPackage]) -> None:
        """Insert or replace these packages (the cursor does not move)."""
        ...

    def reset(self) -> None:
        """Forget every package and the cursor: the next read starts afresh."""
        ...

    def advance(self, cursor: PackageCursor, *, now: datetime) -> None:
        """Drop the packages created before ``cursor.since`` and store ``cursor``, in one transaction."""
        ...


@runtime_checkable
class TrackedCache(PackageCache, Protocol):
    """The tracking read's ``PackageCache`` (``store.tracked.for_shop``): its rows are of any age,
    so it reads only those it needs, and says which it still wants, so rows of shipments the ERP
    no longer lists can be pruned."""

    def packages_of(self, package_ids: Collection[str], *, wanted_at: datetime | None = None) -> list[CachedPackage]:
        """The rows of these packages (those kept), whatever their age.

        With ``wanted_at``, the caller wants these packages now (their shipments are in the ERP's
        list): each row's mark of that moves to ``wanted_at`` when it is a day or more behind.
        """
        ...

    def has_packages(self) -> bool:
        """Whether any row is kept."""
        ...

    def put(self, packages: Sequence[CachedPackage], *, wanted_at: datetime | None = None) -> None:
        """Insert or replace these packages; with ``wanted_at``, the caller wants them now (as in
        ``packages_of``)."""
        ...


@runtime_checkable
class BatchWriter(Protocol):
    """A writer whose writes cost most as a whole, not one by one (the files ERP rewrites its file).

    The host makes an aspect's corrections to such a target inside one ``batch()``, so an ERP
    file of 10k rows with 6k corrections is rewritten once, not 6k times.
    """

    def batch(self) -> AbstractContextManager[None]:
        """A block whose writes are checked at once and made together as it ends.

        Inside, each write (``set_warehouse_address``, ``set_handover_mode``) is checked against
        the system as read when the block opened: one that cannot be made (a missing id, a
        duplicate record, a value that cannot be set) raises at once, naming the record and
        field, and is not made; the others are made together, all or none, as the block ends,
        and an error then (raised from the ``with`` statement) means none of them was. A block
        left by an exception makes none of them.
        """
        ...
