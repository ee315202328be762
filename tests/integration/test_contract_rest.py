"""The rest ERP passes the connector contract against the real REST ERP server on loopback.

The server (``erpsync.erp_servers.rest``) holds the items in its own nested shape and the
connector reads them through the mapping of ``config/rest-erp.toml`` (province codes, handover
words, page / offset / cursor paging). Failures are staged by the server itself: every request
answers 503 (temporary) or 400 (permanent) inside ``fail``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rest_erp_world import TOKEN, erp_table, items, warehouse_item

from erpsync.connectors.rest import RestErp, RestOptions
from erpsync.core.connector import ShopContext
from erpsync.core.http import HttpPolicy
from erpsync.core.listings import ErpProduct
from erpsync.core.models import Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment
from erpsync.erp_servers.rest import RestErpServer
from erpsync.testing import ErpConnectorContract, Kind, Operation

pytestmark = pytest.mark.integration
pytest_plugins = ["erpsync.testing"]


@pytest.fixture(scope="module")
def rest_server() -> Iterator[RestErpServer]:
    with RestErpServer(token=TOKEN) as server:
        yield server


class TestRestErp(ErpConnectorContract):
    @pytest.fixture
    def erp_system(self, rest_server: RestErpServer) -> RestErpServer:
        rest_server.app.load({})
        return rest_server

    def build_connector(self, system: RestErpServer) -> RestErp:
        table = {**erp_table(), "base_url": f"{system.url}/api/v1", "token": TOKEN}
        connector = RestErp(RestOptions().load(table), shop=ShopContext("shop", Path(".")))
        connector.policy = replace(HttpPolicy(), max_attempts=1)  # a staged 503 is raised, not waited out
        return connector

    def _put(self, system: RestErpServer, kind: str, rows: list[dict[str, Any]]) -> None:
        system.app.load({**system.app.snapshot(), kind: rows})

    def seed(self, system: RestErpServer, warehouses: Sequence[Warehouse]) -> None:
        self._put(system, "warehouses", items("warehouses", warehouses))

    def seed_malformed(self, system: RestErpServer, warehouses: Sequence[Warehouse]) -> None:
        bad = warehouse_item(replace(warehouses[0], id="WH-BAD"))
        del bad["contact"]["phone"]  # a mapped field the item lacks
        rows = items("warehouses", warehouses)
        self._put(system, "warehouses", [rows[0], bad, *rows[1:]])

    def seed_products(self, system: RestErpServer, products: Sequence[ErpProduct]) -> None:
        self._put(system, "products", items("products", products))

    def seed_shipments(self, system: RestErpServer, shipments: Sequence[ErpShipment]) -> None:
        self._put(system, "shipments", items("shipments", shipments))

    def seed_order_statuses(self, system: RestErpServer, statuses: Sequence[ErpOrderStatus]) -> None:
        self._put(system, "orders", items("orders", statuses))

    def fail(self, system: RestErpServer, kind: Kind, operation: Operation) -> AbstractContextManager[object] | None:
        return system.failing(503 if kind == "temporary" else 400)
