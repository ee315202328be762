"""Shipments: what the ERP says was sent, what Seller Center says of the package, and who can tell.

The ``tracking`` aspect (``core/aspects/tracking.py``) pushes the ERP's tracking numbers to
Seller Center exactly once. It reads through the two capabilities below, kept here rather than
in ``core/ports.py`` because nothing else uses them: an ERP that lists its shipments
(``ShipmentReader``) and a seller backend that reads, ships and corrects packages
(``PackageShipper``). Both are runtime-checkable, so the aspect narrows each side with
``isinstance`` as the other aspects do, and an ERP without shipments simply has nothing to push.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from erpsync.core.errors import ConnectorError
from erpsync.core.models import Records

__all__ = [
    "ErpShipment",
    "PackageShipper",
    "PackageShippingState",
    "ShipOutcomes",
    "ShipRequest",
    "ShipmentReader",
    "ShippingStatus",
]


@dataclass(frozen=True, slots=True)
class ErpShipment:
    """One parcel the ERP sent: which Seller Center package, under which number and carrier.

    ``source`` is where the record came from ("erp/shipments.csv:4"), so a record error or a
    drift about it names the line an operator fixes.
    """

    id: str
    package_id: str
    order_id: str
    tracking_number: str
    carrier: str
    source: str | None = None


class ShippingStatus(StrEnum):
    """Where a package stands for shipping, as a seller connector reads it.

    Only ``AWAITING_SHIPMENT`` can be shipped; ``SHIPPED`` can have its tracking number
    corrected; the rest are reported, never written to.
    """

    AWAITING_SHIPMENT = "awaiting_shipment"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    NOT_SHIPPABLE = "not_shippable"  # e.g. unpaid or on hold: shipping would be refused
    UNKNOWN = "unknown"  # not found in this shop


@dataclass(frozen=True, slots=True)
class PackageShippingState:
    """One package's shipping state in Seller Center.

    ``shipped_at`` is None when the seller backend does not say when it shipped: the 72 h rule
    for correcting a tracking number is then left to the backend to enforce. ``detail`` is the
    backend's own wording of the status ("order 5769… is UNPAID"), for messages.

    ``platform_ships`` says who ships the package: True when the platform does (its number
    comes from the platform's label, so the seller neither ships it with its own carrier nor
    corrects its number), False when the seller does, None when the backend did not say (then
    the package is treated as the seller's, as before the field existed).
    """

    id: str
    status: ShippingStatus
    order_ids: tuple[str, ...] = ()
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    shipped_at: datetime | None = None
    warehouse_id: str | None = None
    detail: str = ""
    platform_ships: bool | None = None


@dataclass(frozen=True, slots=True)
class ShipRequest:
    """Ship one package under the seller's own carrier: its tracking number and provider id."""

    package_id: str
    tracking_number: str
    shipping_provider_id: str


@dataclass(frozen=True)
class ShipOutcomes:
    """What shipping several packages did to each: a package that fails does so alone.

    ``already_shipped`` is kept apart from ``failed``: shipping again after a lost answer finds
    the package shipped, which is the outcome wanted.
    """

    shipped: tuple[str, ...] = ()
    already_shipped: tuple[str, ...] = ()
    failed: Mapping[str, ConnectorError] = field(default_factory=dict)


@runtime_checkable
class ShipmentReader(Protocol):
    def list_shipments(self) -> Records[ErpShipment] | None:
        """The ERP's shipments, one RecordError per malformed record (file, line, field).

        None when this ERP keeps no shipments (a files ERP with no ``shipments`` file
        configured): the tracking aspect then has nothing to push and says nothing.
        """
        ...


@runtime_checkable
class PackageShipper(Protocol):
    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        """The shipping state of each package; one unknown to the shop is ``UNKNOWN``, not an error."""
        ...

    def shipping_provider_ids(self, warehouse_id: str) -> Mapping[str, str]:
        """Carrier name → shipping provider id for packages of ``warehouse_id`` (cached by the connector)."""
        ...

    def ship_packages(self, requests: Sequence[ShipRequest]) -> ShipOutcomes:
        """Ship each package with its tracking number; every package gets its own outcome."""
        ...

    def update_tracking(
        self, package_id: str, tracking_number: str, shipping_provider_id: str, *, shipped_at: datetime | None
    ) -> None:
        """Correct the tracking number of a shipped package (refused outside the platform's window)."""
        ...
