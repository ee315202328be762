"""The Odoo connector's options: where the server is, how to log in, and which fields mean what.

Odoo has no field for several things erpsync reads (Seller Center's warehouse and package ids,
the handover mode, an order's Seller Center status), so each is an option naming a field the
seller adds to the model (a custom ``x_`` field, for instance) or one they already fill; left
empty, the connector reports the thing as not kept rather than guessing a field.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from erpsync.core.http_connector import HttpErpOptions

__all__ = ["DEFAULT_PRODUCT_DOMAIN", "OdooOptions"]

#: the products the catalogue is read from: those that can be sold
DEFAULT_PRODUCT_DOMAIN: list[list[Any]] = [["sale_ok", "=", True]]

#: a field name as Odoo spells them: lower case, digits, underscores and dots for related paths
_FIELD = validate.Regexp(r"^([a-z_][a-z0-9_]*)?$", error="must be an Odoo field name (e.g. x_handover_mode)")


def _field(default: str, description: str) -> fields.String:
    return fields.String(load_default=default, validate=_FIELD, metadata={"description": description})


class OdooOptions(HttpErpOptions):
    """``[shops.erp]`` with ``type = "odoo"``; docs/erp-odoo.md explains each option."""

    database = fields.String(load_default="", metadata={"description": "the Odoo database name"})
    protocol = fields.String(load_default="jsonrpc", validate=validate.OneOf(["jsonrpc", "json2"]))
    login = fields.String(load_default="", metadata={"description": "JSON-RPC: the user's login"})
    password = fields.String(load_default="", metadata={"description": "JSON-RPC: the password or an API key"})
    api_key = fields.String(load_default="", metadata={"description": "JSON-2: the user's API key"})
    page_size = fields.Integer(load_default=200, validate=validate.Range(min=1, max=10_000))

    seller_warehouse_field = _field("", "stock.warehouse field holding Seller Center's warehouse id")
    district_field = _field("street2", "res.partner field holding the district")
    handover_field = _field("", "stock.warehouse field holding the handover mode")
    handover_pickup = fields.String(load_default="pickup")
    handover_drop_off = fields.String(load_default="drop_off")

    product_key_field = _field("", "product.template field holding the product's id (empty: its database id)")
    stock_warehouse = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    product_domain = fields.List(fields.Raw(), load_default=lambda: [list(leaf) for leaf in DEFAULT_PRODUCT_DOMAIN])

    package_field = _field("", "stock.picking field holding Seller Center's package id")
    shipment_states = fields.List(fields.String(), load_default=lambda: ["done"], validate=validate.Length(min=1))
    order_ref_field = _field("client_order_ref", "sale.order field holding Seller Center's order id")
    order_status_field = _field("", "sale.order field recording Seller Center's order status")
    order_updated_field = _field("", "sale.order datetime field recording the status's update time")

    @validates_schema
    def _credentials(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("token") or data.get("hmac_secret"):
            raise ValidationError("Odoo takes login and password (jsonrpc) or api_key (json2)", "token")
        if data.get("protocol", "jsonrpc") == "jsonrpc":
            missing = [n for n in ("database", "login", "password") if not data.get(n)]
            if missing:
                raise ValidationError(f"protocol jsonrpc needs {', '.join(missing)}", missing[0])
        elif not data.get("api_key"):
            raise ValidationError("protocol json2 needs api_key", "api_key")
        if data.get("handover_field") and data.get("handover_pickup") == data.get("handover_drop_off"):
            raise ValidationError("PICK UP and DROP OFF need two different values", "handover_drop_off")
        if bool(data.get("order_status_field")) != bool(data.get("order_updated_field")):
            raise ValidationError("set order_status_field and order_updated_field together", "order_updated_field")
