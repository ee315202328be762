"""The built-in files ERP passes the connector contract, as a CSV file and as a JSON file.

Seeding writes the file an ERP export would (``warehouses.csv`` / ``warehouses.json`` in the
case's folder); failures are the ones a shared folder really has: another program holding the
file's lock (temporary: the next run writes), a read-only file or a file gone (permanent).
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from erpsync.connectors.files import COLUMNS, FilesErp, FilesOptions
from erpsync.core.connector import ShopContext
from erpsync.core.models import Warehouse
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

    def build_connector(self, system: Path) -> FilesErp:
        connector = FilesErp(FilesOptions().load({"path": "erp"}), shop=ShopContext("shop", system))
        connector.lock_timeout = 0.2  # a held lock is a TemporaryError after this, not after 30 s
        return connector

    def seed(self, system: Path, warehouses: Sequence[Warehouse]) -> None:
        self.write(system, [row(w) for w in warehouses])

    def seed_malformed(self, system: Path, warehouses: Sequence[Warehouse]) -> None:
        bad = {**row(warehouses[0]), "id": "WH-BAD", "phone": "call me"}
        self.write(system, [row(warehouses[0]), bad, *(row(w) for w in warehouses[1:])])

    def write(self, system: Path, rows: list[dict[str, str]]) -> None:
        (system / "erp").mkdir(exist_ok=True)
        with (system / "erp" / self.name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    def fail(self, system: Path, kind: Kind, operation: Operation) -> AbstractContextManager[object] | None:
        path = system / "erp" / self.name
        if operation == "read":
            # a local file is there or not: no read of it fails for a while and then works
            return file_moved_away(path) if kind == "permanent" else None
        return locked_by_another_program(path) if kind == "temporary" else read_only(path)


class TestFilesErpJson(TestFilesErpCsv):
    name = "warehouses.json"

    def write(self, system: Path, rows: list[dict[str, str]]) -> None:
        (system / "erp").mkdir(exist_ok=True)
        (system / "erp" / self.name).write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
