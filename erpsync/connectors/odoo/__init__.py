"""The ``odoo`` ERP: an Odoo database over its external API, JSON-RPC or JSON-2 (Odoo 19+).

``protocol = "jsonrpc"`` logs in with ``login`` and ``password`` (a password or an API key) on
``database``; ``protocol = "json2"`` sends ``api_key`` as a bearer token. Both reach the same
models and the same mapping (docs/erp-odoo.md, field by field):

- warehouses: ``stock.warehouse`` and its address partner (``res.partner``); a correction
  writes the partner's fields; Seller Center's warehouse id and the handover mode live in
  fields the seller names (``seller_warehouse_field``, ``handover_field``), or are not kept;
- products: ``product.product`` variants grouped by template (``default_code`` is the SKU);
- shipments: outgoing ``stock.picking`` with ``carrier_tracking_ref`` and ``carrier_id``;
- order statuses: on the ``sale.order`` whose ``client_order_ref`` is the order id, in the
  fields the seller names.

Modules: ``options`` (the options), ``transport`` (the two protocols behind one ``call``),
``errors`` (Odoo's exceptions as erpsync's), ``values`` (field values and paged reads),
``warehouses``, ``products``, ``pickings``, ``orders`` (the mappings) and ``connector``.
"""

from __future__ import annotations

from collections.abc import Callable

from erpsync.core.connector import Connector
from erpsync.plugins import hookimpl

from .connector import OdooErp
from .options import OdooOptions

__all__ = ["OdooErp", "OdooOptions", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(OdooErp)
