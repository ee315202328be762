"""Marshmallow schemas for the fulfilment and logistics answers (``docs/open-api-full.md`` §4).

Each schema loads one record into the frozen dataclasses of ``fulfillment_types.py``. Unknown
fields are dropped (the API grows fields often); ids accept JSON numbers and stay strings; times
are checked to be plausible Unix seconds (or milliseconds) before they become datetimes, so a
garbled value is a ``RecordError`` naming the record and the field, never an ``OverflowError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load

from erpsync.connectors.tiktok.envelope import error_for
from erpsync.connectors.tiktok.fulfillment_types import (
    AlreadyShippedError,
    BatchResult,
    DeliveryOption,
    HandoverMethod,
    HandoverSlots,
    Package,
    PackageStatus,
    PackageSummary,
    PickupSlot,
    Shipment,
    ShippingProvider,
    TrackingEvent,
    refine,
)
from erpsync.connectors.tiktok.records import Tolerant, label, load_typed, noted, unknown_values
from erpsync.connectors.tiktok.schemas import Id, optional_id
from erpsync.core.errors import ConnectorError, RecordError, TemporaryError

#: 9999-12-31T23:59:59Z; beyond it ``datetime`` overflows
MAX_UNIX_SECONDS = 253_402_300_799


class UnixTime(fields.Field):
    """Unix seconds (or milliseconds with ``millis=True``) → aware UTC datetime."""

    def __init__(self, *, millis: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = 1000 if millis else 1

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> datetime:
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 16:
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("not a Unix time (expected an integer)")
        if not 0 <= value <= MAX_UNIX_SECONDS * self.scale:
            raise ValidationError(f"Unix time {value} is out of range")
        return datetime.fromtimestamp(value / self.scale, UTC)


class OptionalText(fields.String):
    """Text where null and "" both mean "absent" (→ None)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        return text.strip() or None


def _optional_id() -> Id:
    return optional_id()


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class RefSchema(_Base):
    id = Id(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> str:
        return data["id"]


class PickupSlotSchema(_Base):
    start_time = UnixTime(required=True)
    end_time = UnixTime(required=True)
    avaliable = fields.Boolean(load_default=True, allow_none=True)  # (sic): the API's spelling

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> PickupSlot:
        available = data.get("avaliable")
        return PickupSlot(start=data["start_time"], end=data["end_time"], available=available is not False)


class PackageSummarySchema(_Base):
    """One package of ``POST /packages/search`` (as loaded by the client, or raw)."""

    id = Id(required=True)
    status = Tolerant(PackageStatus, required=True)
    orders = fields.List(fields.Nested(RefSchema), load_default=list)
    tracking_number = OptionalText()
    shipping_provider_id = _optional_id()
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


class PackageSchema(_Base):
    """``GET /packages/{id}``; ``package_status`` is required: without it nothing can be decided."""

    package_id = _optional_id()
    package_status = Tolerant(PackageStatus, required=True)
    #: an unknown method reads as None: for the pickup inference it is no evidence, not a wrong one
    handover_method = Tolerant(HandoverMethod, unknown=None, load_default=None)
    tracking_number = OptionalText()
    shipping_provider_id = _optional_id()
    shipping_provider_name = OptionalText()
    shipping_type = OptionalText()
    delivery_option_id = _optional_id()
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


class HandoverSlotsSchema(_Base):
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


class DeliveryOptionSchema(_Base):
    id = Id(required=True)
    name = fields.String(load_default="", allow_none=True)
    type = fields.String(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> DeliveryOption:
        return DeliveryOption(id=data["id"], name=data["name"] or "", type=data["type"])


class ShippingProviderSchema(_Base):
    id = Id(required=True)
    name = fields.String(load_default="", allow_none=True)

    def __init__(self, delivery_option_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delivery_option_id = delivery_option_id

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> ShippingProvider:
        return ShippingProvider(id=data["id"], name=data["name"] or "", delivery_option_id=self.delivery_option_id)


class TrackingEventSchema(_Base):
    description = fields.String(load_default="", allow_none=True)
    update_time_millis = UnixTime(millis=True, required=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> TrackingEvent:
        return TrackingEvent(description=data["description"] or "", at=data["update_time_millis"])


class BatchErrorDetailSchema(_Base):
    package_id = Id(required=True)


class BatchErrorSchema(_Base):
    """One entry of ``data.errors`` of ``POST /packages/ship``."""

    code = fields.Raw(load_default=None, allow_none=True)
    message = fields.String(load_default="", allow_none=True)
    detail = fields.Nested(BatchErrorDetailSchema, required=True)


def load(schema: Schema, raw: Any, *, record: str, source: str) -> Any:
    """One record into its dataclass (``records.load_typed``, the one loader), labelled ``record``."""
    return load_typed(schema, raw, kind="", source=source, record=record)


def load_list(schema: Schema, data: Mapping[str, Any], key: str, *, kind: str, source: str) -> list[Any]:
    """Every record of ``data[key]``; the first malformed one raises (see ``FulfillmentApi``)."""
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise RecordError(f"expected a list, got {type(items).__name__}", record=key, field=key, source=source)
    return [
        load_typed(schema, raw, kind=kind, source=source, record=label(kind, raw, i)) for i, raw in enumerate(items)
    ]


def specific_error(
    code: int | str | None, server: str, *, connector: str | None = None, operation: str | None = None
) -> ConnectorError:
    """The error of one ``data.errors`` entry, classified like a whole answer (``envelope.error_for``:
    the code's kind in ``error_codes.csv``), then narrowed by ``refine`` (already shipped, ...)."""
    try:
        number = int(code) if code is not None else None
    except (TypeError, ValueError):
        number = None
    return refine(error_for(number, server.strip(), connector=connector, operation=operation))


def sort_batch_outcomes(
    chunk: list[Shipment], data: Mapping[str, Any], result: BatchResult, *, connector: str, source: str
) -> None:
    """Add each package of one ``POST /packages/ship`` call to ``result`` by ``data.errors``.

    An error entry that cannot be tied to a package of the call makes the outcome of the other
    packages unknown: they are failed with a TemporaryError (shipping again answers "already
    shipped", e.g. 21011040, for the packages that went).
    """
    wanted = {s.package_id for s in chunk}
    named: dict[str, ConnectorError] = {}
    unattributed: list[str] = []
    raw_errors = data.get("errors") or []
    if not isinstance(raw_errors, list):
        raw_errors = [raw_errors]
    for index, raw in enumerate(raw_errors):
        try:
            entry = load(BatchErrorSchema(), raw, record=f"ship error #{index}", source=source)
        except RecordError as err:
            unattributed.append(str(err))
            continue
        package_id = entry["detail"]["package_id"]
        if package_id not in wanted:
            unattributed.append(f"error for package {package_id}, which was not in this call")
            continue
        named[package_id] = specific_error(
            entry["code"],
            str(entry["message"] or ""),
            connector=connector,
            operation=f"ship package {package_id}",
        )
    for s in chunk:
        error = named.get(s.package_id)
        if isinstance(error, AlreadyShippedError):
            result.already_shipped.append(s.package_id)
        elif error is not None:
            result.failed[s.package_id] = error
        elif unattributed:
            result.failed[s.package_id] = TemporaryError(
                f"outcome unknown, ship again to find out: the batch answered {'; '.join(unattributed)[:300]}",
                connector=connector,
                operation=f"ship package {s.package_id}",
            )
        else:
            result.shipped.append(s.package_id)
