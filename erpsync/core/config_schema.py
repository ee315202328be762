"""The shape of ``erpsync.toml`` as marshmallow schemas: the top level, ``[state]``, ``[plugins]``
and each ``[[shops]]`` table (its connectors' own options are each connector's ``Options``).

Kept apart from the loader (``config.py``), which interpolates, checks what needs the registry
(connector types, aspects, alert sinks) and builds ``Settings``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from erpsync.core.lang import LANGS
from erpsync.core.matching import MATCH_KEYS

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_SHOP_TIME_BUDGET_SECONDS", "Root"]

#: seconds one shop may take in a run unless the config says otherwise (``shop_time_budget_seconds``
#: at the top, ``time_budget_seconds`` in a shop's table): past it the shop stops and the next runs
DEFAULT_SHOP_TIME_BUDGET_SECONDS = 1800.0
#: shops reconciled side by side unless the config says otherwise (``concurrency``). Each shop has
#: its own rate budget on the platform (per app, shop and API), so shops overlap without costing
#: each other calls, and a shop's thread spends most of its time waiting (for its budget, for the
#: network): the count is of threads waiting on the API, not of CPUs. What bounds it is the one
#: interpreter's CPU: measured (``bench/reconcile_shapes.py``), a shop read at its full rate uses
#: about a sixth of a core (3-5 ms of client CPU per call at 45 calls a second), so about six shops
#: fill one core; 8 leaves room for shops waiting on slower parts (the network's latency, the ERP).
#: More shops than that only queue on the interpreter; the state database serialises their writes.
DEFAULT_CONCURRENCY = 8


class _Shop(Schema):
    name = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_.-]+$", error="use ASCII letters, digits, - _ . (it is typed on command lines)"
        ),
    )
    seller = fields.Dict(required=True)
    erp = fields.Dict(required=True)
    aspects = fields.List(
        fields.String(),
        load_default=None,
        validate=validate.Length(min=1, error="list at least one aspect, or leave the key out for all"),
    )
    policy = fields.Dict(load_default=dict)
    time_budget_seconds = fields.Float(load_default=None, validate=validate.Range(min=0, min_inclusive=False))
    bindings = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1)),
        values=fields.String(validate=validate.Length(min=1, error="give the Seller Center warehouse id")),
        load_default=dict,
    )
    match_by = fields.List(
        fields.String(validate=validate.OneOf(MATCH_KEYS, error="use " + ", ".join(MATCH_KEYS) + ", not {input!r}")),
        load_default=lambda: list(MATCH_KEYS),
    )

    @validates_schema
    def _one_erp_record_per_warehouse(self, data: dict[str, Any], **_: Any) -> None:
        seen: dict[str, str] = {}
        for erp_id, seller_id in data.get("bindings", {}).items():
            if seller_id in seen:
                raise ValidationError(
                    f"ERP warehouses {seen[seller_id]!r} and {erp_id!r} are both bound to Seller Center warehouse "
                    f"{seller_id!r}: bind one of them",
                    "bindings",
                )
            seen[seller_id] = erp_id
        by = data.get("match_by", [])
        if len(set(by)) != len(by):
            raise ValidationError("a key is listed twice", "match_by")


class _State(Schema):
    url = fields.String(load_default="")


class _Plugins(Schema):
    """``[plugins]``: ``blocked`` names plugins never to load (read early by ``plugins/manager.py``)."""

    blocked = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)


class Root(Schema):
    data_dir = fields.String(load_default=".erpsync")
    lang = fields.String(
        load_default="en",
        validate=validate.OneOf(LANGS, error='use "en" (English) or "zh" (中文), not {input!r}'),
        error_messages={"invalid": 'use "en" (English) or "zh" (中文), in quotes'},
    )
    shop_time_budget_seconds = fields.Float(
        load_default=DEFAULT_SHOP_TIME_BUDGET_SECONDS, validate=validate.Range(min=0, min_inclusive=False)
    )
    concurrency = fields.Integer(
        load_default=DEFAULT_CONCURRENCY,
        strict=True,
        validate=validate.Range(min=1, max=64, error="use a whole number of shops from 1 to 64"),
    )
    state = fields.Nested(_State, load_default=lambda: {"url": ""})
    plugins = fields.Nested(_Plugins, load_default=lambda: {"blocked": []})
    shops = fields.List(
        fields.Nested(_Shop),
        required=True,
        validate=validate.Length(min=1, error="at least one [[shops]] table is needed"),
    )
    alerts = fields.List(fields.Dict(), load_default=lambda: [{"type": "log"}])
    alerting = fields.Dict(load_default=dict)  # checked by config_alerts.AlertingSchema
    service = fields.Dict(load_default=dict)  # checked by config_service.ServiceSchema
    policy = fields.Dict(load_default=dict)
    aspects = fields.Dict(keys=fields.String(), load_default=dict)  # each checked by its aspect's Settings
