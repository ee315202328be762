"""The ``[aspects.pickup]`` table: review SLA, package lookback and, optionally, the pickup regions.

Declared as the pickup aspect's ``Settings`` schema, so the configuration loader validates it like
any plugin aspect's table and the aspect receives ready values: regions arrive as
``ProviderRegion`` objects, and are left out when the table lists none (the aspect then uses the
2023 defaults of ``erpsync.core.pickup_regions``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from erpsync.core.models import ProviderRegion

__all__ = ["PickupSettings"]


class _When(fields.AwareDateTime):
    """TOML has native datetimes; accept those as well as ISO strings, but only with an offset."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValidationError("needs a UTC offset, e.g. 2023-09-19T00:00:00+08:00")
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class _Region(Schema):
    name = fields.String(required=True)
    cities = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    provider = fields.String(required=True)
    prefix = fields.String(required=True)
    switch_at = _When(required=True)
    previous_provider = fields.String(load_default=None)
    previous_prefix = fields.String(load_default=None)

    @post_load
    def _region(self, data: dict[str, Any], **_: Any) -> ProviderRegion:
        return ProviderRegion(
            name=data["name"],
            cities=tuple(data["cities"]),
            provider=data["provider"],
            prefix=data["prefix"],
            switch_at=data["switch_at"],
            previous_provider=data["previous_provider"],
            previous_prefix=data["previous_prefix"],
        )


class PickupSettings(Schema):
    review_sla_hours = fields.Float(load_default=24.0, validate=validate.Range(min=0, min_inclusive=False))
    lookback_days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=90))
    regions = fields.List(fields.Nested(_Region), load_default=None)

    @post_load
    def _drop_absent_regions(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("regions") is None:
            data.pop("regions", None)
        return data
