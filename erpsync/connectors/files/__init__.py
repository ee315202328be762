"""The ``files`` ERP: a directory of CSV or JSON files, the embedded default that needs no server.

Layout: ``<path>/warehouses.csv`` (or ``warehouses.json``, a list of objects) with the columns
``id, name, seller_warehouse_id, contact_person, phone, region_code, state, city, district,
street, postal_code, handover_mode``. ``seller_warehouse_id`` binds the row to Seller Center's
warehouse; ``handover_mode`` is ``PICK UP`` or ``DROP OFF`` (上门揽收 / 自寄 are accepted too).

A malformed row becomes a RecordError naming file, line and field, and the other rows go on;
a cell over 128 KiB (an unclosed quote, usually) is one of them. Writes touch only the target
row's cells, so a malformed row someone is still fixing is never lost, and replace the file
atomically under a lock, through symlinks, keeping mode, owner and group, and never over a
change another program made meanwhile (``replace.py`` says how).

Modules: ``schema`` (options, row validation), ``parse`` (file to rows), ``connector`` (the
connector), ``replace`` (the safe rewrite).
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
