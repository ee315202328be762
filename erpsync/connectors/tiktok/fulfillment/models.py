"""Typed results of the fulfilment calls (``docs/open-api-full.md`` §4, §6): what ``api.FulfillmentApi`` returns.

Kept apart from ``api.py`` so callers can import the types without the HTTP code; the errors
these calls raise are in ``errors.py``. Every type is a frozen dataclass: a result is a snapshot
of what the API said, never something to patch up. Times are aware UTC datetimes; the wire
carries Unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from erpsync.core.errors import ConnectorError
from erpsync.core.models import HandoverMode


class PackageStatus(StrEnum):
    PROCESSING = "PROCESSING"
    FULFILLING = "FULFILLING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    #: a value this client does not know (e.g. TO_FULFILL, which Get Order Detail documents for a
    #: line item's package): kept in the record's ``notes``, never a RecordError
    UNKNOWN = "UNKNOWN"


#: the API's ``handover_method`` values are the core's handover modes (PICKUP / DROP_OFF)
HandoverMethod = HandoverMode


@dataclass(frozen=True)
class PickupSlot:
    """A pickup window. ``available`` is the API's ``avaliable`` (sic); True when not sent."""

    start: datetime
    end: datetime
    available: bool = True


@dataclass(frozen=True)
class PackageSummary:
    """One package of a search page (the search answers fewer fields than the detail)."""

    id: str
    status: PackageStatus
    order_ids: tuple[str, ...] = ()
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    notes: tuple[str, ...] = ()  # e.g. a status value this client does not know (also logged)


@dataclass(frozen=True)
class Package:
    """Get Package Detail. ``handover_method`` is None when absent or a value this client does not
    know (then ``notes`` says which): an unknown method is no evidence, never a wrong one."""

    id: str
    status: PackageStatus
    handover_method: HandoverMethod | None = None
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    shipping_provider_name: str | None = None
    order_ids: tuple[str, ...] = ()
    pickup_slot: PickupSlot | None = None
    delivery_option_id: str | None = None
    shipping_type: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandoverSlots:
    can_pickup: bool
    can_drop_off: bool
    pickup_slots: tuple[PickupSlot, ...] = ()


@dataclass(frozen=True)
class DeliveryOption:
    """``type`` is the API's string (STANDARD | EXPRESS | ECONOMY | SEND_BY_SELLER): a new type
    must not make the whole list unreadable, so it is not an enum."""

    id: str
    name: str
    type: str

    @property
    def sent_by_seller(self) -> bool:
        """True when the seller ships with its own carrier (ship with a ``self_shipment``)."""
        return self.type == "SEND_BY_SELLER"


@dataclass(frozen=True)
class ShippingProvider:
    id: str
    name: str
    delivery_option_id: str | None = None


@dataclass(frozen=True)
class TrackingEvent:
    description: str
    at: datetime


@dataclass(frozen=True)
class Shipment:
    """One package to ship. A self-shipment needs both the tracking number and the provider id:
    the API would reject one without the other, and a half-filled shipment is an ERP data bug."""

    package_id: str
    handover_method: HandoverMethod
    pickup_slot: PickupSlot | None = None
    tracking_number: str | None = None
    shipping_provider_id: str | None = None

    def __post_init__(self) -> None:
        if not str(self.package_id or "").strip():
            raise ValueError("package_id is empty")
        object.__setattr__(self, "package_id", str(self.package_id).strip())
        object.__setattr__(self, "handover_method", HandoverMethod(self.handover_method))
        if bool(self.tracking_number) != bool(self.shipping_provider_id):
            raise ValueError(
                f"package {self.package_id}: tracking_number and shipping_provider_id go together "
                "(a self-shipment needs both; give neither to ship with TikTok's carrier)"
            )
        if self.pickup_slot is not None and self.handover_method is not HandoverMethod.PICKUP:
            raise ValueError(f"package {self.package_id}: a pickup_slot only makes sense with PICKUP")

    def body(self) -> dict[str, Any]:
        """The request body of one package (the batch call adds ``id``)."""
        out: dict[str, Any] = {"handover_method": self.handover_method.value}
        if self.pickup_slot is not None:
            out["pickup_slot"] = {
                "start_time": int(self.pickup_slot.start.timestamp()),
                "end_time": int(self.pickup_slot.end.timestamp()),
            }
        if self.tracking_number:
            out["self_shipment"] = {
                "tracking_number": self.tracking_number,
                "shipping_provider_id": str(self.shipping_provider_id),
            }
        return out


@dataclass(frozen=True)
class BatchResult:
    """What a batch ship did, per package.

    ``already_shipped`` is kept apart from ``failed``: a caller pushing shipments can count those as done.
    """

    shipped: list[str] = field(default_factory=list)
    already_shipped: list[str] = field(default_factory=list)
    failed: dict[str, ConnectorError] = field(default_factory=dict)
