"""The ``files`` ERP: a directory of CSV or JSON files, the embedded default that needs no server.

Layout: ``<path>/warehouses.csv`` (or ``warehouses.json``, a list of objects) with the columns
``id, name, seller_warehouse_id, contact_person, phone, region_code, state, city, district,
street, postal_code, handover_mode``. ``seller_warehouse_id`` (optional) is Seller Center's id
for the warehouse when the ERP keeps it; rows without it are matched by the core (the shop's
``bindings``, else by id, name or address: ``erpsync.core.matching``). ``handover_mode`` is
``PICK UP`` or ``DROP OFF`` (上门揽收 / 自寄 are accepted too).

A malformed row becomes a RecordError naming file, line and field, and the other rows go on
(a JSON record's line is the one its object starts on); a cell over 128 KiB is one of them, and
a row whose quote is never closed (it would run to the end of the file) is named where it
starts. Writes touch only the target row's cells, so a malformed row someone is still fixing
is never lost, and replace the file atomically under a lock, through symlinks, keeping mode,
owner and group, and never over a change another program made meanwhile (``replace.py`` says
how). A CSV file without even a
header row (zero bytes: an export that wrote nothing) is an error, not an ERP without records.

Shipments (optional, for the ``tracking`` aspect): the ``shipments`` option names a file in the
directory, ``shipments.csv`` or ``shipments.json``, with the columns ``id, package_id, order_id,
tracking_number, carrier``: the ERP's shipment id, Seller Center's package id, the order id, the
number on the label (one word: a number with spaces is a record error) and the carrier's name
(mapped to a shipping provider id by ``[aspects.tracking] carriers`` or the providers API).
erpsync only reads it. Without the option the ERP keeps no shipments and nothing is pushed.

Products (optional, for the ``listings`` aspect): the ``products`` option, ``products.py`` says
the columns. Order statuses (optional, for the ``order_status`` aspect): the ``orders`` option
names ``orders.csv`` or ``orders.json`` with ``order_id, status, updated_at``, which erpsync
reads and writes (other columns kept; ``orders.py``).

Modules: ``schema`` (options, row validation), ``parse`` (file to rows), ``connector`` (the
connector), ``replace`` (the safe rewrite), ``shipments``, ``products`` and ``orders`` (the
optional files).
"""

from __future__ import annotations

from collections.abc import Callable

from erpsync.core.connector import Connector
from erpsync.plugins import hookimpl

from .connector import FilesErp
from .schema import ADDRESS_FIELDS, COLUMNS, FilesOptions, WarehouseRecord

__all__ = ["ADDRESS_FIELDS", "COLUMNS", "FilesErp", "FilesOptions", "WarehouseRecord", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(FilesErp)
