"""The ``tryton`` ERP: a Tryton server (trytond 8.2) over JSON-RPC, the HTTP its own client speaks.

Warehouses are ``stock.location`` records of type warehouse with their ``party.address``;
products are templates with their variants, shipments ``stock.shipment.out`` with a shipping
reference, order statuses a field of ``sale.sale`` the seller dedicates to them. What Tryton has
no field for (a district, a handover mode, another system's order status) is an option naming the
field that holds it, and not kept until set. ``docs/erp-tryton.md`` maps every field and names
the trytond source of each fact.

Modules: ``options`` (the options), ``rpc`` (session, calls, errors, paging), ``warehouses``
(reading), ``addresses`` (writing), ``products``, ``shipments``, ``orders``, ``connector``.
"""

from __future__ import annotations

from collections.abc import Callable

from erpsync.core.connector import Connector
from erpsync.plugins import hookimpl

from .connector import TrytonErp
from .options import TrytonOptions

__all__ = ["TrytonErp", "TrytonOptions", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(TrytonErp)
