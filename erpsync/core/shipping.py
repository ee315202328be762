"""Shipments: what the ERP says was sent, what Seller Center says of the package, and who can tell.

The ``tracking`` aspect (``core/aspects/tracking.py``) pushes the ERP's tracking numbers to
Seller Center exactly once. It reads through the two capabilities below, kept here rather than
in ``core/ports.py`` because nothing else uses them: an ERP that lists its shipments
(``ShipmentReader``) and a seller backend that reads, ships and corrects packages
(``PackageShipper``). Both are runtime-checkable, so the aspect narrows each side with
``isinstance`` as the other aspects do, and an ERP without shipments simply has nothing to push.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    "ProviderNames",
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
    for correcting a tracking number is then left to the backend to enforce. It is an aware
    time: the tracking aspect refuses a naive one as a record error for that package. ``detail`` is the
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
    #: the delivery option the package goes by, when the backend says: it settles which provider
    #: a carrier name means when several options offer providers of that name (``ProviderNames``)
    delivery_option_id: str | None = None


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


class ProviderNames(Mapping[str, str]):
    """A warehouse's shipping providers by name, where several delivery options may each offer a
    provider of the same name under its own id.

    As a mapping it holds only the names one provider id answers to: a name shared by distinct
    ids is a guess by name alone, so it is left out, and ``ambiguous`` keeps its ids for the
    message that asks for the ``[aspects.tracking] carriers`` table. ``resolve`` settles it for a
    package whose delivery option is known: the provider of that name its own option offers, when
    that option offers exactly one (two ids under one name in one option settle nothing).
    """

    __slots__ = ("_by_option", "_unique", "ambiguous")

    def __init__(self, providers: Iterable[tuple[str, str, str | None]]) -> None:
        """``providers``: (name, provider id, delivery option id or None), in the backend's order."""
        ids: dict[str, dict[str, None]] = {}
        offered: dict[str, dict[str, dict[str, None]]] = {}  # option → name → its ids, in order
        for name, provider_id, option_id in providers:
            ids.setdefault(name, {})[provider_id] = None
            if option_id is not None:
                offered.setdefault(option_id, {}).setdefault(name, {})[provider_id] = None
        # an option offering two ids under one name settles nothing for that name
        self._by_option: dict[str, dict[str, str]] = {
            option: {name: next(iter(found)) for name, found in names.items() if len(found) == 1}
            for option, names in offered.items()
        }
        self._unique = {name: next(iter(found)) for name, found in ids.items() if len(found) == 1}
        self.ambiguous: Mapping[str, tuple[str, ...]] = {n: tuple(f) for n, f in ids.items() if len(f) > 1}

    def __getitem__(self, name: str) -> str:
        return self._unique[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._unique)

    def __len__(self) -> int:
        return len(self._unique)

    def resolve(self, name: str, delivery_option_id: str | None) -> str | None:
        """The provider id ``name`` means for a package of ``delivery_option_id`` (None: unknown)."""
        own = self._by_option.get(delivery_option_id, {}).get(name) if delivery_option_id else None
        return own or self._unique.get(name)


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
        """Carrier name → shipping provider id for packages of ``warehouse_id`` (cached by the connector).

        A ``ProviderNames`` when the backend's delivery options may share a name: the aspect then
        resolves a name by the package's delivery option, and reports one it cannot settle."""
        ...

    def ship_packages(self, requests: Sequence[ShipRequest]) -> ShipOutcomes:
        """Ship each package with its tracking number; every package gets its own outcome."""
        ...

    def update_tracking(
        self, package_id: str, tracking_number: str, shipping_provider_id: str, *, shipped_at: datetime | None
    ) -> None:
        """Correct the tracking number of a shipped package (refused outside the platform's window)."""
        ...
