"""The Tryton ERP connector: warehouses, addresses, handover, batch, products, shipments, order statuses.

Every call goes through one ``HttpClient`` (retries, rate limit, deadline, redaction) and one
login session (``rpc.py``). Reads page with ``search_read`` ordered by id; writes are one
``write`` call each, or one for a whole batch (``ModelStorage.write`` takes several record lists
and values in one call, which trytond runs in one transaction: ``trytond/model/modelstorage.py``,
``trytond/protocols/dispatcher.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar

import requests

from erpsync.core.erp_connector import collect_records
from erpsync.core.errors import ConnectorError, NotFoundError, PermanentError
from erpsync.core.http_connector import HttpErpConnector
from erpsync.core.listings import ErpProduct
from erpsync.core.models import HandoverMode, Records, Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment

from .addresses import address_values, handover_values
from .options import TrytonOptions
from .orders import collect_statuses, status_text
from .products import PRODUCT_DOMAIN, PRODUCT_FIELDS, build_products
from .rpc import SessionAuth, TrytonRpc, classify
from .shipments import SHIPMENT_DOMAIN, build_shipment, shipment_fields
from .warehouses import build_warehouse, location_fields

WAREHOUSE_DOMAIN = [["type", "=", "warehouse"]]
#: order ids asked about per ``search_read`` (a domain's ``in`` list)
ORDER_CHUNK = 500


def _creates(values: Mapping[str, Any]) -> bool:
    """Whether a write creates a record (a new phone): sent twice, it would create two, so it is not
    resent after an answer that was lost (an error answer is safe: trytond rolled the call back)."""
    return any(action[0] == "create" for action in values.get("contact_mechanisms", ()))


class TrytonErp(HttpErpConnector):
    """A Tryton database over JSON-RPC (``docs/erp-tryton.md``)."""

    type = "tryton"
    Options = TrytonOptions
    secret_options: ClassVar[tuple[str, ...]] = ("password",)
    capabilities = ("warehouses", "addresses", "handover", "batch", "products", "shipments", "order_statuses")
    #: only a sale in Tryton can carry an order's status (``orders.py``)
    own_orders_only: ClassVar[bool] = True

    _rpc: TrytonRpc | None = None
    _auth: SessionAuth
    _pending: list[tuple[int, dict[str, Any]]] | None = None
    _snapshot: dict[str, dict[str, Any]] | None = None

    # -- the session ---------------------------------------------------------------------------

    #: Tryton answers these only for a call it rolled back: never resent as "maybe applied"
    unprocessed_codes: ClassVar[tuple[str, ...]] = (
        "UserError",
        "UserWarning",
        "ConcurrencyException",
        "LoginException",
        "locked",
        "server",
    )

    def make_auth(self) -> SessionAuth:
        """The session header, filled in by ``rpc`` once it has logged in."""
        self._auth = SessionAuth()
        return self._auth

    def classify(self, response: requests.Response, operation: str) -> ConnectorError | None:
        return classify(response, operation, self.type, self.http.redact)

    @property
    def rpc(self) -> TrytonRpc:
        if self._rpc is None:
            client = self.http
            self._rpc = TrytonRpc(
                client,
                self._auth,
                url=self.url(f"{self.options['database']}/rpc/"),
                login=str(self.options["login"]),
                password=str(self.options["password"]),
            )
        return self._rpc

    @property
    def source(self) -> str:
        """How records name where they came from: ``tryton:<database>``."""
        return f"tryton:{self.options['database']}"

    def close(self) -> None:
        if self._rpc is not None:
            self._rpc.close()
            self._rpc = None
        super().close()

    def check(self) -> str:
        records = self.list_warehouses()
        count = len(records.items)
        bad = f", {len(records.errors)} malformed" if records.errors else ""
        field = self.options.get("handover_field")
        mode = f"kept in address field {field}" if field else "not kept (set option handover_field)"
        warehouses = f"{count} warehouse{'' if count == 1 else 's'}{bad}"
        return f"tryton {self.options['database']}: {warehouses}; handover mode: {mode}"

    # -- warehouses ----------------------------------------------------------------------------

    def _locations(self) -> list[dict[str, Any]]:
        fields = location_fields(self.options)
        return list(
            self.rpc.search_read("stock.location", WAREHOUSE_DOMAIN, fields, page_size=self.options["page_size"])
        )

    def list_warehouses(self) -> Records[Warehouse]:
        return collect_records(
            self._locations(),
            lambda row: build_warehouse(row, self.options, source=f"{self.source}/stock.location/{row.get('id')}"),
            source=self.source,
            id_key="code",
        )

    def _warehouse_snapshot(self) -> dict[str, dict[str, Any]]:
        """Every warehouse location by code (the first of a code, in id order), as read now."""
        snapshot: dict[str, dict[str, Any]] = {}
        for row in self._locations():
            code = str(row.get("code") or "")
            if code:
                snapshot.setdefault(code, row)
        return snapshot

    def _location(self, warehouse_id: str) -> dict[str, Any]:
        """The warehouse location with this code: from the batch's snapshot inside one, else read now.

        A batch reads the warehouses at its first warehouse write, not as it opens: a batch of
        order statuses alone needs none, and must not fail for a user who may not read
        ``stock.location``. A read that fails fails that write alone; the next one reads again."""
        if self._pending is not None and self._snapshot is None:
            self._snapshot = self._warehouse_snapshot()
        if self._snapshot is not None:
            found = self._snapshot.get(warehouse_id)
            if found is None:
                raise NotFoundError(f"no warehouse with code {warehouse_id!r}", connector=self.type)
            return found
        domain = [*WAREHOUSE_DOMAIN, ["code", "=", warehouse_id]]
        row = self.rpc.one(
            "stock.location", domain, location_fields(self.options), what=f"warehouse with code {warehouse_id!r}"
        )
        return row

    def _country_id(self, code: str) -> int | None:
        ids = self.rpc.call("model.country.country.search", [["code", "=", code]], 0, 1, None)
        return int(ids[0]) if ids else None

    def _subdivision_id(self, country: int, text: str) -> int | None:
        domain = [["country", "=", country], ["OR", ["name", "=", text], ["code", "=", text]]]
        ids = self.rpc.call("model.country.subdivision.search", domain, 0, 2, [["id", "ASC"]])
        return int(ids[0]) if ids else None

    def _write(self, address_id: int, values: dict[str, Any]) -> None:
        if not values:
            return
        if self._pending is not None:
            self._pending.append((address_id, values))
            return
        self.rpc.call("model.party.address.write", [address_id], values, idempotent=not _creates(values))

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        location = self._location(warehouse_id)
        values = address_values(
            location,
            changes,
            self.options,
            country_id=self._country_id,
            subdivision_id=self._subdivision_id,
            connector=self.type,
        )
        self._write(int(location["address"]), values)

    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        location = self._location(warehouse_id)
        value = self.options["handover_pickup"] if mode is HandoverMode.PICKUP else self.options["handover_drop_off"]
        self._write(int(location["address"] or 0), handover_values(location, value, self.options, connector=self.type))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes checked against the warehouses as read by the first of them (``_location``), sent
        as one ``party.address.write`` at the end; order statuses are written as they come."""
        if self._pending is not None:
            raise PermanentError("a batch is already open on this connector", connector=self.type)
        self._snapshot, self._pending = None, []
        try:
            yield
            pending = self._pending
        finally:
            self._snapshot, self._pending = None, None
        merged: dict[int, dict[str, Any]] = {}
        for address_id, values in pending:
            merged.setdefault(address_id, {}).update(values)
        if merged:
            args: list[Any] = []
            for address_id, values in merged.items():
                args += [[address_id], values]
            creates = any(_creates(v) for v in merged.values())
            self.rpc.call("model.party.address.write", *args, idempotent=not creates)

    # -- products, shipments, orders -----------------------------------------------------------

    def _warehouse_ids(self) -> list[int]:
        code = self.options.get("stock_warehouse")
        domain = [*WAREHOUSE_DOMAIN, ["code", "=", code]] if code else WAREHOUSE_DOMAIN
        ids = self.rpc.call("model.stock.location.search", domain, 0, None, [["id", "ASC"]])
        if code and not ids:
            raise PermanentError(
                f"option stock_warehouse: Tryton has no warehouse with code {code!r}", connector=self.type
            )
        return [int(i) for i in ids]

    def _currency(self) -> str:
        company = self.rpc.context.get("company")
        if not company:
            raise PermanentError(
                f"the Tryton user {self.options['login']!r} has no company: list prices are kept per company",
                connector=self.type,
            )
        (row,) = self.rpc.call("model.company.company.read", [company], ["currency.code"])
        return str((row.get("currency.") or {}).get("code") or "")

    def read_products(self) -> Records[ErpProduct]:
        context = {"locations": self._warehouse_ids(), "with_childs": True}
        rows = self.rpc.search_read(
            "product.product", PRODUCT_DOMAIN, PRODUCT_FIELDS, page_size=self.options["page_size"], context=context
        )
        return build_products(
            list(rows), currency=self._currency(), sku_field=self.options["sku_field"], source=self.source
        )

    def list_shipments(self) -> Records[ErpShipment]:
        rows = self.rpc.search_read(
            "stock.shipment.out", SHIPMENT_DOMAIN, shipment_fields(self.options), page_size=self.options["page_size"]
        )
        return collect_records(
            rows,
            lambda row: build_shipment(row, self.options, source=self.source),
            source=self.source,
            kind="shipment",
            package_key=self.options["package_field"],  # a refused shipment holds its package back
        )

    def order_statuses(self, order_ids: Sequence[str]) -> Records[ErpOrderStatus] | None:
        field, status_field = self.options["order_field"], self.options["order_status_field"]
        if not status_field:
            return None
        rows: list[dict[str, Any]] = []
        wanted = list(dict.fromkeys(str(i) for i in order_ids))
        for start in range(0, len(wanted), ORDER_CHUNK):
            domain = [[field, "in", wanted[start : start + ORDER_CHUNK]]]
            rows += self.rpc.search_read(
                "sale.sale", domain, [field, status_field], page_size=self.options["page_size"]
            )
        return collect_statuses(rows, self.options, source=self.source)

    def set_order_status(self, order_id: str, status: str, updated_at: datetime) -> None:
        field, status_field = self.options["order_field"], self.options["order_status_field"]
        if not status_field:
            raise PermanentError(
                f"order {order_id}: order statuses are not kept in Tryton (set option order_status_field)",
                connector=self.type,
                operation="set_order_status",
            )
        try:
            sale = self.rpc.one(
                "sale.sale", [[field, "=", order_id]], [status_field], what=f"sale with {field} {order_id!r}"
            )
        except NotFoundError as exc:
            raise NotFoundError(f"order {order_id}: {exc.message}", **exc.context) from None
        text = status_text(status, updated_at)
        if sale.get(status_field) != text:
            self.rpc.call("model.sale.sale.write", [sale["id"]], {status_field: text})
