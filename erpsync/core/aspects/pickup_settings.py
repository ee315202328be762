"""The ``[aspects.pickup]`` table: review SLA, package lookback, pickup regions and guided fixes.

Declared as the pickup aspect's ``Settings`` schema, so the configuration loader validates it like
any plugin aspect's table and the aspect receives ready values: regions arrive as
``ProviderRegion`` objects, and are left out when the table lists none (the aspect then uses the
2023 defaults of ``erpsync.core.pickup_regions``); ``[aspects.pickup.guides]`` arrives as a
``Guides`` object under ``guides``, the built-in steps with the configured ones in their place,
and is left out when the table has none (the aspect then uses ``DEFAULT_GUIDES``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from erpsync.core.models import ProviderRegion
from erpsync.core.pickup_guides import (
    DEFAULT_GUIDES,
    PLACEHOLDERS,
    RESERVED_KEYS,
    TOPICS,
    Guides,
    guides_from_table,
    placeholders_in,
)

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
    #: a waybill prefix is one word: with spaces around it no waybill would start with it, and an
    #: empty one would match every waybill (the prefixes are compared upper-cased, as typed otherwise)
    prefix = fields.String(required=True, validate=validate.Regexp(r"^\S+$", error="one word, e.g. WS"))
    # None (left out, or ""): no source dates this region's switch, so waybills are not judged by it
    switch_at = _When(load_default=None, allow_none=True)
    previous_provider = fields.String(load_default=None)
    previous_prefix = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^\S+$", error="one word, e.g. JT")
    )

    @pre_load
    def _blank_switch_is_none(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping) and data.get("switch_at") == "":
            return {k: v for k, v in data.items() if k != "switch_at"}
        return data

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


_BOTH = "give the steps in both languages: en = [...] and zh = [...]"


class _Topic(Schema):
    """One topic's steps: step i of ``en`` is step i of ``zh``; only the known placeholders."""

    en = fields.List(fields.String(), required=True, error_messages={"required": _BOTH})
    zh = fields.List(fields.String(), required=True, error_messages={"required": _BOTH})

    @validates_schema
    def _steps(self, data: dict[str, Any], **_: Any) -> None:
        if len(data["en"]) != len(data["zh"]):
            raise ValidationError(
                f"en has {len(data['en'])} steps and zh {len(data['zh'])}: give each step in both languages"
            )
        known = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
        for lang in ("en", "zh"):
            for i, text in enumerate(data[lang]):
                try:
                    unknown = placeholders_in(text) - PLACEHOLDERS
                except ValueError as exc:
                    raise ValidationError({lang: {i: [f"{exc} (write {{{{ and }}}} for a brace)"]}}) from exc
                if unknown:
                    names = ", ".join(f"{{{u}}}" for u in sorted(unknown))
                    raise ValidationError({lang: {i: [f"unknown placeholder {names} (known: {known})"]}})


_NOT_A_TOPIC = f"not a topic (topics: {', '.join(TOPICS)})"
# One Nested(_Topic) field per topic, named after it; marshmallow builds such a class from a dict.
_Topics = Schema.from_dict({topic: fields.Nested(_Topic) for topic in TOPICS}, name="_Topics")


class _TopicSet(_Topics):  # type: ignore[misc,valid-type]
    """A provider's or region's variants: ``[aspects.pickup.guides.providers.<name>.<topic>]``."""

    error_messages = {"unknown": _NOT_A_TOPIC}  # noqa: RUF012 (marshmallow reads it as a class attribute)


class _Contact(Schema):
    phone = fields.String(required=True)
    hours_en = fields.String(required=True)
    hours_zh = fields.String(required=True)


class _Name(Schema):
    en = fields.String(required=True)
    zh = fields.String(required=True)


class _Each(fields.Field[dict[str, Any]]):
    """A table of tables keyed by a name (a provider, a region), each loaded by ``schema``.

    Errors are named by that key (``contacts.Wanse.phone``), not by marshmallow's ``value`` level.
    """

    def __init__(self, schema: type[Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError("expected a table of tables, one per name")
        out: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, table in value.items():
            try:
                out[name] = self.schema().load(table)
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return out


class _Guides(_Topics):  # type: ignore[misc,valid-type]
    """``[aspects.pickup.guides]``: topics replacing the built-in steps, contacts, names, variants."""

    contacts = _Each(_Contact)
    names = _Each(_Name)
    providers = _Each(_TopicSet)
    regions = _Each(_TopicSet)

    error_messages = {  # noqa: RUF012 (marshmallow reads it as a class attribute)
        "unknown": f"{_NOT_A_TOPIC[:-1]}; or one of: {', '.join(RESERVED_KEYS)})"
    }

    @validates_schema
    def _no_contact_needs_no_number(self, data: dict[str, Any], **_: Any) -> None:
        for text in data.get("no_contact", {}).get("en", []) + data.get("no_contact", {}).get("zh", []):
            if placeholders_in(text) & {"phone", "hours"}:
                raise ValidationError(
                    {"no_contact": ["is shown when no number is known, so it cannot use {phone} or {hours}"]}
                )

    @post_load
    def _guides(self, data: dict[str, Any], **_: Any) -> Guides:
        return DEFAULT_GUIDES.merged(guides_from_table(data))


class PickupSettings(Schema):
    review_sla_hours = fields.Float(load_default=24.0, validate=validate.Range(min=0, min_inclusive=False))
    lookback_days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=90))
    regions = fields.List(fields.Nested(_Region), load_default=None)
    guides = fields.Nested(_Guides, load_default=None)

    @post_load
    def _drop_absent(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for key in ("regions", "guides"):
            if data.get(key) is None:
                data.pop(key, None)
        return data
