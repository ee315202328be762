"""The ``[shops.erp]`` table of the rest ERP: where each entity is listed, how it pages, where each field sits.

Every key is checked when the config loads (marshmallow), and an error names the key
(``shops[0].erp.warehouses.fields.phone: a bad index …``), so a mapping that cannot work is
refused before any call. ``docs/erp-rest.md`` documents every key with the worked example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from marshmallow import Schema, ValidationError, post_load, validate, validates_schema
from marshmallow import fields as mf

from erpsync.core.http_connector import HttpErpOptions

from .paths import Path, parse_path

__all__ = ["ENTITY_FIELDS", "RestOptions", "Update"]

#: erpsync field → required in the mapping, per entity (what the models in erpsync.core need)
ENTITY_FIELDS: dict[str, dict[str, bool]] = {
    "warehouses": {
        "id": True, "name": True, "seller_warehouse_id": False, "contact_person": False, "phone": False,
        "region_code": False, "state": False, "city": False, "district": False, "street": False,
        "postal_code": False, "handover_mode": False,
    },
    "products": {
        "id": True, "title": True, "currency": True, "description": False, "images": False, "attributes": False,
        "skus": False, "warehouse_id": False,
    },
    # inventory or warehouse_stock (or both): Products checks that one is mapped
    "skus": {"seller_sku": True, "price": True, "inventory": False, "warehouse_stock": False},
    "shipments": {
        "id": True, "package_id": True, "tracking_number": True, "carrier": True, "order_id": False,
        "warehouse_id": False,
    },
    "orders": {"order_id": True, "status": True, "updated_at": True},
}  # fmt: skip

_UPDATE = re.compile(r"^(PATCH|PUT|POST)\s+(/\S*)$")


class PathField(mf.Field):
    """A JSON path (``paths.py``), loaded as a tuple of steps."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Path:
        if not isinstance(value, str):
            raise ValidationError("a JSON path such as 'address.city' or 'lines[0]'")
        try:
            return parse_path(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


@dataclass(frozen=True)
class Update:
    """A write: ``PATCH /warehouses/{id}`` split into method and path template."""

    method: str
    template: str

    def path(self, record_id: str) -> str:
        return self.template.replace("{id}", quote(record_id, safe=""))


class UpdateField(mf.Field):
    """``"PATCH /warehouses/{id}"``: a method, a path starting with ``/`` and holding ``{id}``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Update:
        match = _UPDATE.match(value.strip()) if isinstance(value, str) else None
        if match is None or "{id}" not in match.group(2):
            raise ValidationError("a method and a path with {id}, such as 'PATCH /warehouses/{id}'")
        return Update(match.group(1), match.group(2))


class Paging(Schema):
    """How a list endpoint pages: not at all, by page number, by offset, or by a cursor it returns."""

    style = mf.String(load_default="none", validate=validate.OneOf(["none", "page", "offset", "cursor"]))
    size = mf.Integer(load_default=100, validate=validate.Range(min=1, max=10_000))
    page_param = mf.String(load_default="page")
    first_page = mf.Integer(load_default=1, validate=validate.Range(min=0))
    #: the page size's parameter (page and cursor styles); "" sends none
    size_param = mf.String(load_default=None)
    offset_param = mf.String(load_default="offset")
    limit_param = mf.String(load_default="limit")
    cursor_param = mf.String(load_default="cursor")
    #: where the answer holds the next cursor (cursor style); null, "" or absent: the last page
    next_cursor = PathField(load_default=None)
    #: where the answer holds how many items there are in all (page and offset styles): read until
    #: that many came, so a server that caps its pages below ``size`` is not read short
    total = PathField(load_default=None)
    #: a guard against an endpoint that ignores the paging parameters and repeats itself
    max_pages = mf.Integer(load_default=1000, validate=validate.Range(min=1))

    @validates_schema
    def _cursor_needs_next(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("style") == "cursor" and not data.get("next_cursor"):
            raise ValidationError("the JSON path of the next cursor in the answer (style 'cursor')", "next_cursor")
        if data.get("total") and data.get("style") not in ("page", "offset"):
            raise ValidationError("only the 'page' and 'offset' styles read a total", "total")

    @post_load
    def _size_param(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("size_param") is None:
            data["size_param"] = "per_page" if data["style"] == "page" else "limit"
        return data


def _fields_schema(entity: str) -> type[Schema]:
    """The ``fields`` table of one entity: erpsync field → JSON path, the required ones required."""
    declared: dict[str, mf.Field[Any]] = {
        name: PathField(required=required, metadata={"description": f"JSON path of {entity} {name}"})
        for name, required in ENTITY_FIELDS[entity].items()
    }
    return Schema.from_dict(declared, name=f"{entity.title()}Fields")


class Entity(Schema):
    """One entity's endpoint: ``list`` path, ``items`` path in the answer, ``paging``, ``fields``, ``update``."""

    list = mf.String(required=True, validate=validate.Regexp(r"^/", error="a path starting with '/'"))
    #: the JSON path of the array in the answer; absent: the answer is the array
    items = PathField(load_default=None)
    paging = mf.Nested(Paging, load_default=lambda: Paging().load({}))
    update = UpdateField(load_default=None)


class Warehouses(Entity):
    paths = mf.Nested(_fields_schema("warehouses"), data_key="fields", required=True)
    #: the ERP's words for the two handover modes, e.g. {PICKUP = "collect", DROP_OFF = "self"}
    handover_values = mf.Dict(
        keys=mf.String(validate=validate.OneOf(["PICKUP", "DROP_OFF"])), values=mf.String(), load_default=None
    )
    #: "name": the state field holds the province's name (广东省); "iso": its ISO 3166-2 code (CN-GD)
    state_format = mf.String(load_default="name", validate=validate.OneOf(["name", "iso"]))

    @validates_schema
    def _both_values(self, data: dict[str, Any], **_: Any) -> None:
        values = data.get("handover_values")
        if values is not None and set(values) != {"PICKUP", "DROP_OFF"}:
            raise ValidationError("name both PICKUP and DROP_OFF", "handover_values")


class Products(Entity):
    paths = mf.Nested(_fields_schema("products"), data_key="fields", required=True)
    #: the SKU's fields, relative to each element of ``fields.skus`` (or to the product itself)
    sku_paths = mf.Nested(_fields_schema("skus"), data_key="sku_fields", required=True)

    @validates_schema
    def _some_stock(self, data: dict[str, Any], **_: Any) -> None:
        paths = data.get("sku_paths")
        if paths is not None and not {"inventory", "warehouse_stock"} & set(paths):
            raise ValidationError("map inventory, warehouse_stock (stock per warehouse) or both", "sku_fields")


class Shipments(Entity):
    paths = mf.Nested(_fields_schema("shipments"), data_key="fields", required=True)


class Orders(Entity):
    paths = mf.Nested(_fields_schema("orders"), data_key="fields", required=True)
    #: how ``updated_at`` is written: an ISO 8601 text or whole seconds since the epoch
    time_format = mf.String(load_default="iso", validate=validate.OneOf(["iso", "epoch"]))


class RestOptions(HttpErpOptions):
    """The rest ERP's table: the HTTP options, then one table per entity it maps (warehouses required)."""

    warehouses = mf.Nested(Warehouses, required=True)
    products = mf.Nested(Products, load_default=None)
    shipments = mf.Nested(Shipments, load_default=None)
    orders = mf.Nested(Orders, load_default=None)
