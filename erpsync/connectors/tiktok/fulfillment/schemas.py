"""Marshmallow schemas for the fulfilment and logistics answers (``docs/open-api-full.md`` §4).

Each schema loads one record into the frozen dataclasses of ``models.py``. Unknown fields are
dropped (``fields.Base``); ids accept JSON numbers and stay strings; times are checked to be
plausible Unix seconds (or milliseconds) before they become datetimes (``fields.UnixTime``), so a
garbled value is a ``RecordError`` naming the record and the field, never an ``OverflowError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, post_load

from erpsync.connectors.tiktok.fields import (
    Base,
    Id,
    RefSchema,
    Tolerant,
    UnixTime,
    noted,
    optional_id,
    text,
    unknown_values,
)
from erpsync.connectors.tiktok.fulfillment.models import (
    DeliveryOption,
    HandoverMethod,
    HandoverSlots,
    Package,
    PackageStatus,
    PackageSummary,
    PickupSlot,
    ShippingProvider,
    TrackingEvent,
)


class OptionalText(fields.Field[str | None]):
    """Text where null and "" both mean "absent" (→ None)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str | None:
        if not isinstance(value, str):
            raise ValidationError("Not a valid string.")
        return value.strip() or None


class PickupSlotSchema(Base):
    start_time = UnixTime(required=True)
    end_time = UnixTime(required=True)
    avaliable = fields.Boolean(load_default=True, allow_none=True)  # (sic): the API's spelling

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> PickupSlot:
        available = data.get("avaliable")
        return PickupSlot(start=data["start_time"], end=data["end_time"], available=available is not False)


class PackageSummarySchema(Base):
    """One package of ``POST /packages/search`` (as loaded by the client, or raw)."""

    id = Id(required=True)
    status = Tolerant(PackageStatus, required=True)
    orders = fields.List(fields.Nested(RefSchema), load_default=list)
    tracking_number = OptionalText()
    shipping_provider_id = optional_id()
    create_time = UnixTime(load_default=None, allow_none=True)
    update_time = UnixTime(load_default=None, allow_none=True)

    @post_load(pass_original=True)
    def _make(self, data: dict[str, Any], original: Any, **kwargs: Any) -> PackageSummary:
        return PackageSummary(
            id=data["id"],
            status=data["status"],
            order_ids=tuple(data["orders"]),
            tracking_number=data["tracking_number"],
            shipping_provider_id=data["shipping_provider_id"],
            create_time=data["create_time"],
            update_time=data["update_time"],
            notes=noted(f"package {data['id']}", unknown_values(self, original)),
        )


class PackageSchema(Base):
    """``GET /packages/{id}``; ``package_status`` is required: without it nothing can be decided."""

    package_id = optional_id()
    package_status = Tolerant(PackageStatus, required=True)
    #: an unknown method reads as None: for the pickup inference it is no evidence, not a wrong one
    handover_method = Tolerant(HandoverMethod, unknown=None, load_default=None)
    tracking_number = OptionalText()
    shipping_provider_id = optional_id()
    shipping_provider_name = OptionalText()
    shipping_type = OptionalText()
    delivery_option_id = optional_id()
    orders = fields.List(fields.Nested(RefSchema), load_default=list)
    pickup_slot = fields.Nested(PickupSlotSchema, load_default=None, allow_none=True)
    create_time = UnixTime(load_default=None, allow_none=True)
    update_time = UnixTime(load_default=None, allow_none=True)

    def __init__(self, package_id: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context_id = package_id  # the id asked for, when the answer leaves it out

    @post_load(pass_original=True)
    def _make(self, data: dict[str, Any], original: Any, **kwargs: Any) -> Package:
        package_id = data["package_id"] or self.context_id
        return Package(
            id=package_id,
            status=data["package_status"],
            handover_method=data["handover_method"],
            tracking_number=data["tracking_number"],
            shipping_provider_id=data["shipping_provider_id"],
            shipping_provider_name=data["shipping_provider_name"],
            order_ids=tuple(data["orders"]),
            pickup_slot=data["pickup_slot"],
            delivery_option_id=data["delivery_option_id"],
            shipping_type=data["shipping_type"],
            create_time=data["create_time"],
            update_time=data["update_time"],
            notes=noted(f"package {package_id}", unknown_values(self, original)),
        )


class HandoverSlotsSchema(Base):
    can_pickup = fields.Boolean(required=True)
    can_drop_off = fields.Boolean(required=True)
    pickup_slots = fields.List(fields.Nested(PickupSlotSchema), load_default=list, allow_none=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> HandoverSlots:
        return HandoverSlots(
            can_pickup=data["can_pickup"],
            can_drop_off=data["can_drop_off"],
            pickup_slots=tuple(data["pickup_slots"] or ()),
        )


class DeliveryOptionSchema(Base):
    id = Id(required=True)
    name = text()
    type = fields.String(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> DeliveryOption:
        return DeliveryOption(id=data["id"], name=data["name"] or "", type=data["type"])


class ShippingProviderSchema(Base):
    id = Id(required=True)
    name = text()

    def __init__(self, delivery_option_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delivery_option_id = delivery_option_id

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> ShippingProvider:
        return ShippingProvider(id=data["id"], name=data["name"] or "", delivery_option_id=self.delivery_option_id)


class TrackingEventSchema(Base):
    description = text()
    update_time_millis = UnixTime(millis=True, required=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> TrackingEvent:
        return TrackingEvent(description=data["description"] or "", at=data["update_time_millis"])


class BatchErrorDetailSchema(Base):
    package_id = Id(required=True)


class BatchErrorSchema(Base):
    """One entry of ``data.errors`` of ``POST /packages/ship``."""

    code = fields.Raw(load_default=None, allow_none=True)
    message = text()
    detail = fields.Nested(BatchErrorDetailSchema, required=True)
