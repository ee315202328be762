"""Capabilities a connector may implement. Aspects ask for capabilities, not for connectors.

A connector implements only what its system can do. When an aspect needs a capability a
connector lacks, the host reports the drift as "not fixed" instead of crashing; e.g. the Open
API cannot write a warehouse address (only Seller Center's UI can), so the TikTok connector is
no ``WarehouseWriter``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from erpsync.core.models import HandoverMode, PickupSignals, Records, Warehouse


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
class PickupWriter(Protocol):
    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        """Set the handover mode (PICK UP / DROP OFF) the system uses for a warehouse. Idempotent."""
        ...


@runtime_checkable
class ObservationMemory(Protocol):
    """What erpsync remembers between runs about what it saw (backed by the state store)."""

    def note_seller_address(self, warehouse_id: str, fingerprint: str, now: datetime) -> datetime | None:
        """Record the seller address fingerprint seen now.

        Returns when erpsync first saw the current address differ from the one before it (a
        save in Seller Center re-triggers a pickup review), or None if it never saw a change.
        """
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
    """Where a connector keeps a shop's tokens between runs (the state store; never logs)."""

    def get_token(self, shop: str) -> TokenRecord | None: ...

    def put_token(self, shop: str, token: TokenRecord, *, now: datetime) -> None: ...


@runtime_checkable
class NotificationLog(Protocol):
    """Remembers webhook notification ids, so an at-least-once delivery is handled once.

    A receiver asks ``has_notification`` on arrival and calls ``note_notification`` only after
    its handler succeeded, so a retry after a failed handler is handled rather than dropped.
    """

    def has_notification(self, notification_id: str, *, source: str) -> bool:
        """Whether the id was recorded before (handled), without recording it."""
        ...

    def note_notification(self, notification_id: str, *, source: str, now: datetime) -> bool:
        """Record the id; True the first time it is seen, False for a redelivery."""
        ...
