"""erpsync's public API for plugin authors: import from here, and only from here.

Stable under semantic versioning (:data:`SDK_VERSION`): a name in ``__all__`` keeps its meaning
and its signature until the major version changes; a minor version only adds. Everything else in
``erpsync`` (``erpsync.core``, ``erpsync.plugins``, the connectors) is internal and may move
or change in any release, so a plugin that imports it may break on an upgrade.

What is here, by job (each documented in ``docs/plugins.md``):

- connector bases: :class:`ErpConnector` (declare ``capabilities``; a missing method is refused
  when the plugin registers), :class:`HttpErpConnector` with :class:`HttpErpOptions` (an ERP
  over HTTP JSON, the client built from ``base_url``, ``timeout_seconds`` and a token or HMAC
  secret), :class:`Connector` (any side), :class:`ShopContext`, :data:`CAPABILITIES`;
- capability protocols: :class:`WarehouseReader`, :class:`WarehouseWriter`,
  :class:`PickupReader`, :class:`PickupWriter`, :class:`BatchWriter`, :class:`ProductReader`,
  :class:`ShipmentReader`, :class:`OrderStatusBook`;
- models: :class:`Address`, :data:`ADDRESS_FIELDS`, :class:`Warehouse`, :class:`HandoverMode`,
  :class:`Records`, :class:`PickupSignals`, :class:`PackageSignal`, :class:`SlotSignal`,
  :class:`ErpProduct`, :class:`ErpSku`, :class:`ErpShipment`, :class:`ErpOrderStatus`, and
  :func:`collect_records` (rows to records, a bad row becoming a record error);
- errors: :class:`ErpsyncError`, :class:`ConnectorError`, :class:`TemporaryError`,
  :class:`PermanentError`, :class:`AuthError`, :class:`NotFoundError`, :class:`RecordError`,
  :class:`PluginError`;
- HTTP: :class:`HttpClient`, :class:`HttpPolicy`, :class:`BearerAuth`, :class:`HmacAuth`;
- options: marshmallow's :class:`Schema`, :mod:`fields`, :mod:`validate` and
  :class:`ValidationError`, the same marshmallow erpsync loads options with;
- plugins: :data:`hookimpl`.
"""

from __future__ import annotations

from dataclasses import fields as _dataclass_fields

from marshmallow import Schema, ValidationError, fields, validate

from erpsync.core.connector import Connector, ShopContext
from erpsync.core.erp_connector import CAPABILITIES, ErpConnector, collect_records
from erpsync.core.errors import (
    AuthError,
    ConnectorError,
    ErpsyncError,
    NotFoundError,
    PermanentError,
    RecordError,
    TemporaryError,
)
from erpsync.core.http import HttpClient, HttpPolicy
from erpsync.core.http_connector import BearerAuth, HmacAuth, HttpErpConnector, HttpErpOptions
from erpsync.core.listing_ports import ProductReader
from erpsync.core.listings import ErpProduct, ErpSku
from erpsync.core.models import Address, HandoverMode, PackageSignal, PickupSignals, Records, SlotSignal, Warehouse
from erpsync.core.orders import ErpOrderStatus, OrderStatusBook
from erpsync.core.ports import BatchWriter, PickupReader, PickupWriter, WarehouseReader, WarehouseWriter
from erpsync.core.shipping import ErpShipment, ShipmentReader
from erpsync.plugins import hookimpl
from erpsync.plugins.loading import PluginError

#: the version of this API (semantic versioning), independent of erpsync's own version
SDK_VERSION = "1.1.0"

#: the fields of :class:`Address`, the keys a ``set_warehouse_address`` change may carry
ADDRESS_FIELDS: tuple[str, ...] = tuple(f.name for f in _dataclass_fields(Address))

__all__ = [
    "ADDRESS_FIELDS",
    "CAPABILITIES",
    "SDK_VERSION",
    "Address",
    "AuthError",
    "BatchWriter",
    "BearerAuth",
    "Connector",
    "ConnectorError",
    "ErpConnector",
    "ErpOrderStatus",
    "ErpProduct",
    "ErpShipment",
    "ErpSku",
    "ErpsyncError",
    "HandoverMode",
    "HmacAuth",
    "HttpClient",
    "HttpErpConnector",
    "HttpErpOptions",
    "HttpPolicy",
    "NotFoundError",
    "OrderStatusBook",
    "PackageSignal",
    "PermanentError",
    "PickupReader",
    "PickupSignals",
    "PickupWriter",
    "PluginError",
    "ProductReader",
    "RecordError",
    "Records",
    "Schema",
    "ShipmentReader",
    "ShopContext",
    "SlotSignal",
    "TemporaryError",
    "ValidationError",
    "Warehouse",
    "WarehouseReader",
    "WarehouseWriter",
    "collect_records",
    "fields",
    "hookimpl",
    "validate",
]
