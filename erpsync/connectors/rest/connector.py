"""The rest ERP: any JSON-over-HTTP ERP, described by a mapping in config instead of code.

It declares every capability a mapping can give (warehouses, addresses, handover, products,
shipments, order statuses) and refuses, with a PermanentError naming the mapping key to add, a
write its mapping does not configure; a read the mapping does not configure answers None ("this
ERP keeps none"), as the capability protocols allow. One class with honest refusals is easier to
follow than a class built per config, and ``erpsync check`` says what the mapping leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import requests

from erpsync.core.errors import PermanentError
from erpsync.core.http_connector import HttpErpConnector
from erpsync.core.listings import ErpProduct
from erpsync.core.models import HandoverMode, Records, Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment

from . import build, regions
from .fetch import fetch_items
from .mapping import RestOptions
from .paths import put
from .records import build_records

__all__ = ["RestErp"]


class RestErp(HttpErpConnector):
    type = "rest"
    description = "a JSON-over-HTTP ERP described by a mapping (endpoints, JSON paths, paging, auth)"
    Options = RestOptions
    capabilities = ("warehouses", "addresses", "handover", "products", "shipments", "order_statuses")

    # -- plumbing ----------------------------------------------------------------------------

    def request(self, path: str, params: dict[str, Any], operation: str) -> requests.Response:
        return self.http.request("GET", self.url(path), params=params, operation=operation)

    def _table(self, entity: str, key: str | None = None, *, operation: str) -> Mapping[str, Any]:
        """The entity's table, or a PermanentError naming the key the mapping lacks."""
        table = self.options.get(entity)
        if table is None or (key is not None and table.get(key) is None):
            missing = entity if table is None else f"{entity}.{key}"
            raise PermanentError(
                f"the mapping has no {missing}: add it to [shops.erp] (docs/erp-rest.md)",
                connector=self.type,
                operation=operation,
            )
        return table

    def _send(self, entity: str, record_id: str, body: dict[str, Any], operation: str) -> None:
        update = self._table(entity, "update", operation=operation)["update"]
        # counted and paced by the mapping's template (PUT /orders/{id}), not once per record
        self.send_json(update.method, update.path(record_id), body, operation=operation, template=update.template)

    def _warehouse_ids(self) -> set[str]:
        return {w.id for w in self.list_warehouses().items}

    # -- reads -------------------------------------------------------------------------------

    def list_warehouses(self) -> Records[Warehouse]:
        table = self.options["warehouses"]
        items = fetch_items(self.request, self.type, "warehouses", table)
        return build_records(items, table["paths"], lambda r, s: build.warehouse(r, table, s), kind="warehouse")

    def read_products(self) -> Records[ErpProduct] | None:
        table = self.options.get("products")
        if table is None:
            return None
        known = self._warehouse_ids() if "warehouse_id" in table["paths"] else set()
        items = fetch_items(self.request, self.type, "products", table)
        return build_records(items, table["paths"], lambda r, s: build.product(r, table, known, s), kind="product")

    def list_shipments(self) -> Records[ErpShipment] | None:
        table = self.options.get("shipments")
        if table is None:
            return None
        known = self._warehouse_ids() if "warehouse_id" in table["paths"] else set()
        items = fetch_items(self.request, self.type, "shipments", table)
        return build_records(
            items, table["paths"], lambda r, s: build.shipment(r, known, s), kind="shipment", package_field="package_id"
        )

    def order_statuses(self, order_ids: Sequence[str]) -> Records[ErpOrderStatus] | None:
        """What the ERP records for these orders: the list endpoint read whole, then filtered, its
        record errors included: an item of another order is not this read's concern (its error
        would hold the order_status aspect's read position for an order it never asked about), while
        an item whose order id could not be read at all may be any order's, so its error stays."""
        table = self.options.get("orders")
        if table is None:
            return None
        items = fetch_items(self.request, self.type, "orders", table)
        records = build_records(
            items, table["paths"], lambda r, s: build.order_status(r, s), kind="order", id_field="order_id"
        )
        wanted = set(order_ids)
        errors = tuple(e for e in records.errors if e.record_id is None or e.record_id in wanted)
        return Records(tuple(s for s in records.items if s.order_id in wanted), errors)

    # -- writes ------------------------------------------------------------------------------

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        """PATCH (or as ``warehouses.update`` says) only the given fields, at their mapped paths."""
        operation = "set warehouse address"
        unknown = sorted(set(changes) - set(build.ADDRESS_FIELDS))
        if unknown:
            raise ValueError(f"not address fields: {', '.join(unknown)}")
        table = self._table("warehouses", "update", operation=operation)
        body: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in table["paths"]:
                raise PermanentError(
                    f"the ERP keeps no {name}: the mapping has no warehouses.fields.{name}",
                    connector=self.type,
                    operation=operation,
                )
            if name == "state" and table["state_format"] == "iso" and value:
                try:
                    value = regions.code_of(value)
                except ValueError as exc:
                    raise PermanentError(str(exc), connector=self.type, operation=operation) from None
            put(body, table["paths"][name], value)
        self._send("warehouses", warehouse_id, body, operation)

    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        operation = "set handover mode"
        table = self._table("warehouses", "update", operation=operation)
        if "handover_mode" not in table["paths"]:
            raise PermanentError(
                "the ERP keeps no handover mode: set warehouses.fields.handover_mode (and handover_values)",
                connector=self.type,
                operation=operation,
            )
        values = table["handover_values"]
        body: dict[str, Any] = {}
        put(body, table["paths"]["handover_mode"], values[mode.value] if values else mode.label)
        self._send("warehouses", warehouse_id, body, operation)

    def set_order_status(self, order_id: str, status: str, updated_at: datetime) -> None:
        """Send order id, status and time at their paths (a PUT may create the order's record)."""
        operation = "set order status"
        table = self._table("orders", "update", operation=operation)
        body: dict[str, Any] = {}
        put(body, table["paths"]["order_id"], order_id)
        put(body, table["paths"]["status"], status)
        put(body, table["paths"]["updated_at"], build.format_time(updated_at, table["time_format"]))
        self._send("orders", order_id, body, operation)

    # -- check -------------------------------------------------------------------------------

    def check(self) -> str:
        records = self.list_warehouses()
        bad = f", {len(records.errors)} malformed" if records.errors else ""
        count = len(records.items)
        parts = [f"rest ERP {self.options['base_url']}: {count} warehouse{'' if count == 1 else 's'}{bad}"]
        table = self.options["warehouses"]
        if "handover_mode" not in table["paths"]:
            parts.append("handover mode: not kept (set option warehouses.fields.handover_mode)")
        if table["update"] is None:
            parts.append("writes: none (set option warehouses.update)")
        kept = [e for e in ("products", "shipments", "orders") if self.options.get(e) is not None]
        parts.append(f"also mapped: {', '.join(kept) or 'nothing else'}")
        return "; ".join(parts)
