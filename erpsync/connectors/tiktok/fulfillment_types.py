"""Typed results and errors of the fulfilment calls (``docs/open-api-full.md`` §4, §6).

Kept apart from ``fulfillment.py`` so the push layer can import the types (and catch the errors)
without the HTTP code. Every type is a frozen dataclass: a result is a snapshot of what the API
said, never something to patch up. Times are aware UTC datetimes; the wire carries Unix seconds.

The error classes are ``PermanentError`` subclasses, so code that only knows the error tree still
does the right thing (do not retry), while the push layer can tell "already shipped" (done) from
"not found" (drop the binding) from "72 h window closed" (tell the operator). ``NotFoundError``
is core's (``erpsync.core.errors``), re-exported here for the callers that import it from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from erpsync.connectors.tiktok import error_codes
from erpsync.connectors.tiktok.error_codes import Kind
from erpsync.core.errors import AlreadyDoneError, ConnectorError, PermanentError
from erpsync.core.errors import NotFoundError as NotFoundError  # re-exported: callers catch it from here
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

    ``already_shipped`` is kept apart from ``failed``: the push layer treats those as done.
    """

    shipped: list[str] = field(default_factory=list)
    already_shipped: list[str] = field(default_factory=list)
    failed: dict[str, ConnectorError] = field(default_factory=dict)


# -- errors ------------------------------------------------------------------------------------

SHIPPING_INFO_WINDOW_HOURS = 72
#: "the package has not been shipped yet" (Partner Center API reference, Update Package Shipping
#: Info and Update Shipping Info (202309), error code list)
NOT_SHIPPED = 21011043
#: the tracking number may be updated only within some hours of shipping, once, or a limited
#: number of times, or not at all by platform rule (same pages, error code list)
SHIPPING_INFO_LIMIT_CODES = frozenset({21011049, 21011050, 21011051, 21011052})


class AlreadyShippedError(AlreadyDoneError):
    """The package was shipped (or even delivered) before: the push layer treats it as done.

    The codes are the table's ``already_done`` kind (``error_codes.csv``): 21011040, 21011020,
    11006021, 21008099, 21011027.
    """


class NotShippedError(PermanentError):
    """21011043: shipping info can only be updated after the package shipped."""


class ShippingInfoWindowClosedError(PermanentError):
    """21011049-21011052: the tracking number can no longer be changed through the API.

    TikTok allows a change only within some hours of shipping and a limited number of times.
    """


def _errors() -> dict[int, type[PermanentError]]:
    out: dict[int, type[PermanentError]] = dict.fromkeys(error_codes.codes_of(Kind.ALREADY_DONE), AlreadyShippedError)
    out[NOT_SHIPPED] = NotShippedError
    out.update(dict.fromkeys(SHIPPING_INFO_LIMIT_CODES, ShippingInfoWindowClosedError))
    return out


#: code -> the fulfilment class, narrower than the class ``envelope.py`` chose from the code's
#: kind (every "already done" code of the fulfilment calls is a ship, so: AlreadyShippedError).
#: The hint text lives in the table: the client already wrote it into the message, so re-typing
#: keeps the message as it is.
ERRORS: dict[int, type[PermanentError]] = _errors()


def error_class(code: int | str | None) -> type[PermanentError] | None:
    """The fulfilment class of ``code``, or None when the class the client chose stays."""
    try:
        return ERRORS.get(int(code)) if code is not None else None
    except (TypeError, ValueError):
        return None


def refine(exc: ConnectorError) -> ConnectorError:
    """Re-type a client error more narrowly by its code (an AlreadyDoneError for 21011040 →
    AlreadyShippedError, a PermanentError for 21011043 → NotShippedError).

    Only narrows: the new class must be a subclass of the error's class, so a TemporaryError or
    an AuthError is never turned into something else. The message is kept as the client made it:
    it already says what the code means.
    """
    cls = error_class(exc.code)
    if cls is None or type(exc) is cls or not issubclass(cls, type(exc)):
        return exc
    return cls(
        exc.message,
        connector=exc.connector,
        operation=exc.operation,
        request_id=exc.request_id,
        code=exc.code,
        status=exc.status,
    )
