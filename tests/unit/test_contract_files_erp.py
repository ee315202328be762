"""The built-in files ERP passes the connector contract, as CSV files and as JSON files.

Seeding writes the files an ERP export would (``warehouses.csv``, ``products.csv``,
``shipments.csv``, ``orders.csv`` or their ``.json`` twins in the case's folder); failures are
the ones a shared folder really has: another program holding the file's lock (temporary: the
next run writes), a read-only file, a file gone or a folder where the file should be (permanent).
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from erpsync.connectors.files import COLUMNS, FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.connectors.files.orders import ORDER_COLUMNS
from erpsync.connectors.files.products import PRODUCT_COLUMNS
from erpsync.connectors.files.shipments import SHIPMENT_COLUMNS
from erpsync.core.connector import ShopContext
from erpsync.core.listings import ErpProduct
from erpsync.core.models import Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment
from erpsync.testing import ErpConnectorContract, Kind, Operation

pytest_plugins = ["erpsync.testing"]


def row(w: Warehouse) -> dict[str, str]:
    a = w.address
    return {
        "id": w.id, "name": w.name, "seller_warehouse_id": w.seller_warehouse_id or "",
        "contact_person": a.contact_person, "phone": a.phone, "region_code": a.region_code, "state": a.state,
        "city": a.city, "district": a.district, "street": a.street, "postal_code": a.postal_code,
        "handover_mode": w.handover_mode.label if w.handover_mode else "",
    }  # fmt: skip


def product_rows(p: ErpProduct, *, as_json: bool) -> list[dict[str, object]]:
    """One row per SKU, the product's fields on each (the file format: ``products.py``)."""
    images: object = list(p.images) if as_json else "|".join(p.images)
    attributes: object = dict(p.attributes) if as_json else "|".join(f"{k}={v}" for k, v in p.attributes)
    return [
        {
            "id": p.id,
            "seller_sku": s.seller_sku,
            "title": p.title,
            "description": p.description,
            "price": str(s.price),
            "currency": p.currency,
            "inventory": str(s.inventory),
            "images": images,
            "attributes": attributes,
        }
        for s in p.skus
    ]


def shipment_row(s: ErpShipment) -> dict[str, object]:
    return dict(zip(SHIPMENT_COLUMNS, (s.id, s.package_id, s.order_id, s.tracking_number, s.carrier), strict=True))


def order_row(s: ErpOrderStatus) -> dict[str, object]:
    return {"order_id": s.order_id, "status": s.status, "updated_at": s.updated_at.isoformat() if s.updated_at else ""}


@contextmanager
def folder_in_its_place(path: Path) -> Iterator[None]:
    aside = path.with_name(path.name + ".aside")
    path.rename(aside)
    path.mkdir()
    try:
        yield
    finally:
        path.rmdir()
        aside.rename(path)


@contextmanager
def file_moved_away(path: Path) -> Iterator[None]:
    aside = path.with_name(path.name + ".aside")
    path.rename(aside)
    try:
        yield
    finally:
        aside.rename(path)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    mode = path.stat().st_mode
    path.chmod(0o444)
    try:
        yield
    finally:
        path.chmod(mode)


@contextmanager
def locked_by_another_program(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class TestFilesErpCsv(ErpConnectorContract):
    name = "warehouses.csv"
    suffix = ".csv"

    def build_connector(self, system: Path) -> FilesErp:
        options = {"path": "erp", **{k: f"{k}{self.suffix}" for k in ("products", "shipments", "orders")}}
        connector = FilesErp(FilesErpOptions().load(options), shop=ShopContext("shop", system))
        connector.lock_timeout = 0.2  # a held lock is a TemporaryError after this, not after 30 s
        return connector

    def seed(self, system: Path, warehouses: Sequence[Warehouse]) -> None:
        self.write(system, [row(w) for w in warehouses])

    def seed_malformed(self, system: Path, warehouses: Sequence[Warehouse]) -> None:
        bad = {**row(warehouses[0]), "id": "WH-BAD", "phone": "call me"}
        self.write(system, [row(warehouses[0]), bad, *(row(w) for w in warehouses[1:])])

    def seed_products(self, system: Path, products: Sequence[ErpProduct]) -> None:
        rows = [r for p in products for r in product_rows(p, as_json=self.suffix == ".json")]
        self.write(system, rows, "products", PRODUCT_COLUMNS)

    def seed_shipments(self, system: Path, shipments: Sequence[ErpShipment]) -> None:
        self.write(system, [shipment_row(s) for s in shipments], "shipments", SHIPMENT_COLUMNS)

    def seed_order_statuses(self, system: Path, statuses: Sequence[ErpOrderStatus]) -> None:
        self.write(system, [order_row(s) for s in statuses], "orders", ORDER_COLUMNS)

    def write(
        self, system: Path, rows: Sequence[dict[str, object]], stem: str = "", columns: Sequence[str] = COLUMNS
    ) -> None:
        (system / "erp").mkdir(exist_ok=True)
        with (system / "erp" / (stem + self.suffix if stem else self.name)).open(
            "w", encoding="utf-8", newline=""
        ) as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    def fail(self, system: Path, kind: Kind, operation: Operation) -> AbstractContextManager[object] | None:
        folder = system / "erp"
        if operation in ("read", "read_products", "read_shipments"):
            # a local file is there or not: no read of it fails for a while and then works
            stem = {"read_products": "products", "read_shipments": "shipments"}.get(operation)
            return (
                file_moved_away(folder / (f"{stem}{self.suffix}" if stem else self.name))
                if kind == "permanent"
                else None
            )
        if operation == "read_order_statuses":
            # a missing orders file is one with nothing recorded yet: a folder in its place is not
            return folder_in_its_place(folder / f"orders{self.suffix}") if kind == "permanent" else None
        path = folder / (f"orders{self.suffix}" if operation == "write_order_status" else self.name)
        return locked_by_another_program(path) if kind == "temporary" else read_only(path)


class TestFilesErpJson(TestFilesErpCsv):
    name = "warehouses.json"
    suffix = ".json"

    def write(
        self, system: Path, rows: Sequence[dict[str, object]], stem: str = "", columns: Sequence[str] = COLUMNS
    ) -> None:
        (system / "erp").mkdir(exist_ok=True)
        path = system / "erp" / (stem + self.suffix if stem else self.name)
        path.write_text(json.dumps(list(rows), ensure_ascii=False, indent=2), encoding="utf-8")
