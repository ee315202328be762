"""The Odoo connector: the mixins' mappings over one transport, JSON-RPC or JSON-2 as configured."""

from __future__ import annotations

import builtins
from typing import Any, ClassVar

import requests
from marshmallow import Schema
from requests.auth import AuthBase

from erpsync.core.connector import ShopContext
from erpsync.core.errors import ConnectorError
from erpsync.core.http_connector import HttpErpConnector
from erpsync.core.models import Records

from .options import OdooOptions
from .orders import OrdersMixin
from .pickings import PickingsMixin
from .products import ProductsMixin
from .transport import Json2, JsonRpc, Transport
from .warehouses import WarehousesMixin

__all__ = ["OdooErp"]


class OdooErp(WarehousesMixin, ProductsMixin, PickingsMixin, OrdersMixin, HttpErpConnector):
    """Odoo over its external API: warehouses and addresses, handover mode (when a field is named),
    products, shipments and order statuses (when their fields are named). docs/erp-odoo.md."""

    type: ClassVar[str] = "odoo"
    description: ClassVar[str] = "Odoo over JSON-RPC or the JSON-2 API (Odoo 19+)"
    Options: ClassVar[builtins.type[Schema]] = OdooOptions
    secret_options: ClassVar[tuple[str, ...]] = ("password", "api_key")
    capabilities: ClassVar[tuple[str, ...]] = (
        "warehouses",
        "addresses",
        "handover",
        "products",
        "shipments",
        "order_statuses",
    )

    def __init__(self, options: dict[str, Any], *, shop: ShopContext) -> None:
        super().__init__(options, shop=shop)
        self.transport: Transport = Json2(self) if options.get("protocol") == "json2" else JsonRpc(self)
        self.protocol = str(options.get("protocol", "jsonrpc"))

    def classify(self, response: requests.Response, operation: str) -> ConnectorError | None:
        """An answer is judged by the transport: Odoo sends an error in a 200 answer too."""
        return self.transport.classify(response, operation)

    def make_auth(self) -> AuthBase | None:
        return self.transport.make_auth()

    def check(self) -> str:
        """The warehouse count, and whether the handover mode is kept: one line."""
        records: Records[Any] = self.list_warehouses()
        bad = f", {len(records.errors)} malformed" if records.errors else ""
        count = len(records.items)
        field = self.options["handover_field"]
        mode = f"in stock.warehouse {field}" if field else "not kept (set option handover_field)"
        plural = "" if count == 1 else "s"
        return f"odoo ({self.protocol}): {count} warehouse{plural}{bad}; handover mode: {mode}"
