"""The Odoo connector passes the connector contract, over JSON-RPC and over JSON-2.

The system is ``OdooServer`` (``odoo_fixtures.py``): Odoo's models in memory, answered in the
shapes Odoo documents, since no Odoo server runs in these tests. Seeding writes records the way
an Odoo database holds them: a warehouse with its address partner (state and country as
references to ``res.country.state`` / ``res.country``), custom ``x_`` fields for what Odoo has no
field for, templates with variants, delivery orders with their carrier and sale order. Failures
are what the server side really answers: a 503 from the proxy in front of Odoo (temporary), and
the credentials refused (permanent: AccessDenied over JSON-RPC, 401 over JSON-2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import ClassVar

import pytest
from odoo_fixtures import OdooServer, make_connector, serving

from erpsync.connectors.odoo import OdooErp
from erpsync.connectors.odoo.values import to_odoo_datetime
from erpsync.core.listings import ErpProduct
from erpsync.core.models import HandoverMode, Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment
from erpsync.testing import SAMPLE_WAREHOUSES, ErpConnectorContract, Kind, Operation

pytest_plugins = ["erpsync.testing"]

#: Odoo ids are integers: the samples as records 11, 12 and 13
SAMPLES = tuple(replace(w, id=str(11 + i)) for i, w in enumerate(SAMPLE_WAREHOUSES))
#: the custom fields a seller adds for what Odoo has no field for
FIELDS = {
    "seller_warehouse_field": ("stock.warehouse", "x_seller_warehouse_id"),
    "handover_field": ("stock.warehouse", "x_handover_mode"),
    "product_key_field": ("product.template", "x_erp_product_id"),
    "package_field": ("stock.picking", "x_tiktok_package_id"),
    "order_status_field": ("sale.order", "x_tiktok_status"),
    "order_updated_field": ("sale.order", "x_tiktok_status_at"),
}
MODE_VALUES = {HandoverMode.PICKUP: "pickup", HandoverMode.DROP_OFF: "drop_off"}


def seed_warehouses(server: OdooServer, warehouses: Sequence[Warehouse]) -> None:
    server.records["stock.warehouse"].clear()
    server.records["res.partner"].clear()
    for w in warehouses:
        a = w.address
        country = server.find("res.country", code=a.region_code) if a.region_code else None
        state = server.find("res.country.state", name=a.state, country_id=country) if a.state else None
        partner = server.create(
            "res.partner",
            {"name": a.contact_person, "phone": a.phone, "street": a.street, "street2": a.district,
             "city": a.city, "zip": a.postal_code, "state_id": state, "country_id": country},
        )  # fmt: skip
        vals = {
            "name": w.name,
            "code": f"W{w.id}",
            "partner_id": partner,
            "x_seller_warehouse_id": w.seller_warehouse_id,
        }
        vals["x_handover_mode"] = MODE_VALUES[w.handover_mode] if w.handover_mode else None
        server.create("stock.warehouse", vals, id=int(w.id))


class TestOdooErpJsonRpc(ErpConnectorContract):
    protocol = "jsonrpc"
    samples = SAMPLES
    #: Odoo keeps product images as binaries and attributes as records of their own: not read
    lacking_fields: ClassVar[tuple[str, ...]] = ("images", "attributes")

    @pytest.fixture
    def erp_system(self) -> Iterator[OdooServer]:
        with serving() as server:
            for model, name in FIELDS.values():
                server.add_field(model, name)
            server.create("res.currency", {"name": "CNY"})
            yield server

    def build_connector(self, system: OdooServer) -> OdooErp:
        # one attempt per call: a 503 is raised at once, not retried
        return make_connector(self.protocol, **{option: name for option, (_, name) in FIELDS.items()})

    def seed(self, system: OdooServer, warehouses: Sequence[Warehouse]) -> None:
        seed_warehouses(system, warehouses)

    def seed_malformed(self, system: OdooServer, warehouses: Sequence[Warehouse]) -> None:
        seed_warehouses(system, warehouses)
        system.create("stock.warehouse", {"name": "无地址仓", "code": "WBAD", "partner_id": None}, id=99)

    def fail(self, system: OdooServer, kind: Kind, operation: Operation) -> AbstractContextManager[object]:
        return system.failing(kind, "write" if operation.startswith("write") else "read")

    def seed_products(self, system: OdooServer, products: Sequence[ErpProduct]) -> None:
        system.records["product.product"].clear()
        system.records["product.template"].clear()
        cny = system.find("res.currency", name="CNY")
        warehouse = system.create("stock.warehouse", {"name": "总仓", "code": "WH"})
        for p in products:
            template = system.create("product.template", {"name": p.title, "x_erp_product_id": p.id})
            for sku in p.skus:
                system.create(
                    "product.product",
                    {"product_tmpl_id": template, "default_code": sku.seller_sku, "name": p.title,
                     "description_sale": p.description, "lst_price": float(sku.price),
                     "qty_available": {warehouse: float(sku.inventory)}, "currency_id": cny, "sale_ok": True},
                )  # fmt: skip

    def seed_shipments(self, system: OdooServer, shipments: Sequence[ErpShipment]) -> None:
        system.records["stock.picking"].clear()
        for s in shipments:
            carriers = [r["id"] for r in system.records["delivery.carrier"].values() if r["name"] == s.carrier]
            carrier = carriers[0] if carriers else system.create("delivery.carrier", {"name": s.carrier})
            sale = system.create("sale.order", {"name": f"S{s.order_id[-5:]}", "client_order_ref": s.order_id})
            system.create(
                "stock.picking",
                {"name": s.id, "picking_type_code": "outgoing", "state": "done", "origin": f"S{s.order_id[-5:]}",
                 "carrier_tracking_ref": s.tracking_number, "carrier_id": carrier, "sale_id": sale,
                 "x_tiktok_package_id": s.package_id},
            )  # fmt: skip

    def seed_order_statuses(self, system: OdooServer, statuses: Sequence[ErpOrderStatus]) -> None:
        system.records["sale.order"].clear()
        for s in statuses:
            when = to_odoo_datetime(s.updated_at) if s.updated_at else None
            vals = {"name": f"S{s.order_id[-5:]}", "client_order_ref": s.order_id, "x_tiktok_status": s.status}
            system.create("sale.order", {**vals, "x_tiktok_status_at": when})


class TestOdooErpJson2(TestOdooErpJsonRpc):
    protocol = "json2"
