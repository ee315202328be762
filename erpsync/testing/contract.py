"""The ERP connector contract: one suite every ERP connector passes, built-in or third-party.

Subclass it in a test module (the class name must start with ``Test`` so pytest collects it)::

    from erpsync.testing import ErpConnectorContract

    class TestMyErp(ErpConnectorContract):
        def build_connector(self, system): ...  # the connector under test, on ``system``
        def seed(self, system, warehouses): ...  # make ``system`` hold exactly these warehouses
        def seed_malformed(self, system, warehouses): ...  # the same plus one unreadable record
        def fail(self, system, kind, operation): ...  # a context in which the system fails so
        # and, for the capabilities products, shipments and order_statuses:
        def seed_products(self, system, products): ...
        def seed_shipments(self, system, shipments): ...
        def seed_order_statuses(self, system, statuses): ...

Cases run only for the capabilities the connector has (``isinstance(connector,
WarehouseWriter)`` ...); the others are skipped with a reason naming the capability.
``docs/plugin-testing.md`` says what each case checks and why.
"""

from __future__ import annotations

from .cases_batch import BatchCases
from .cases_faults import FaultCases
from .cases_orders import OrderStatusCases
from .cases_products import ProductCases
from .cases_read import ReadCases
from .cases_shipments import ShipmentCases
from .cases_write import WriteCases


class ErpConnectorContract(
    ReadCases, WriteCases, BatchCases, ProductCases, ShipmentCases, OrderStatusCases, FaultCases
):
    """Every case, for one ERP connector; see ``ContractBase`` for what a subclass supplies."""
