"""The ``[shops.erp]`` options of a Tryton ERP: where it is, who logs in, and which fields hold what.

Tryton has no field for a warehouse's district or handover mode, none for another system's package
or order id and none for its order status (``docs/erp-tryton.md`` cites the models), so those
mappings are options: each names the Tryton field the seller dedicates to it, and an empty name
means "not kept", which the connector then says rather than guessing.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from erpsync.core.http_connector import HttpErpOptions

#: an option that names a field: a Tryton field name (letters, digits, underscores) or empty
FIELD_NAME = validate.Regexp(r"^([a-z][a-z0-9_]*)?$", error="not a Tryton field name (lower case, digits, _)")
#: the ``party.address`` fields erpsync maps itself: a dedicated field may not be one of them
MAPPED_ADDRESS_FIELDS = frozenset(
    {"street", "street_unstructured", "city", "postal_code", "country", "subdivision", "party", "contact_mechanisms"}
)


class TrytonOptions(HttpErpOptions):
    """``base_url`` (the trytond root), ``database``, ``login``, ``password`` and the field mappings."""

    database = fields.String(required=True, validate=validate.Length(min=1))
    login = fields.String(required=True, validate=validate.Length(min=1))
    password = fields.String(required=True, validate=validate.Length(min=1))
    page_size = fields.Integer(load_default=500, validate=validate.Range(min=1, max=10_000))
    contact_field = fields.String(load_default="attn", validate=FIELD_NAME)
    district_field = fields.String(load_default="", validate=FIELD_NAME)
    handover_field = fields.String(load_default="", validate=FIELD_NAME)
    handover_pickup = fields.String(load_default="PICK UP", validate=validate.Length(min=1))
    handover_drop_off = fields.String(load_default="DROP OFF", validate=validate.Length(min=1))
    sku_field = fields.String(load_default="suffix_code", validate=validate.OneOf(["suffix_code", "code"]))
    stock_warehouse = fields.String(load_default="")
    package_field = fields.String(load_default="reference", validate=FIELD_NAME)
    order_field = fields.String(load_default="reference", validate=FIELD_NAME)
    order_status_field = fields.String(load_default="", validate=FIELD_NAME)

    @validates_schema
    def _tryton_choices(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("token") or data.get("hmac_secret"):
            raise ValidationError("Tryton logs in with login and password; token and hmac_secret are not used", "token")
        if data.get("handover_pickup") == data.get("handover_drop_off"):
            raise ValidationError("must differ from handover_pickup", "handover_drop_off")
        dedicated = [n for n in ("contact_field", "district_field", "handover_field") if data.get(n)]
        for name in dedicated:
            if data[name] in MAPPED_ADDRESS_FIELDS:
                raise ValidationError(f"{data[name]!r} already holds part of the address", name)
        values = [data[n] for n in dedicated]
        if len(set(values)) != len(values):
            raise ValidationError("contact_field, district_field and handover_field must name different fields")
        if not data.get("package_field"):
            raise ValidationError("required: the stock.shipment.out field holding the package id", "package_field")
        if not data.get("order_field"):
            raise ValidationError("required: the sale.sale field holding the order id", "order_field")
        if data.get("order_status_field") and data["order_status_field"] == data.get("order_field"):
            raise ValidationError("must differ from order_field", "order_status_field")
