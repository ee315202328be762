"""The contract suite is honest: a correct connector passes it, each broken one fails the cases it breaks.

A generated test module holds a small JSON-file ERP that keeps the contract, and one variant per
fault a real connector has had (a write that also touches another field, a write to an unknown
id that passes silently, a secret in an error, float prices, an order status written to a cache
...), each subclassing the suite. pytest runs it in a child process, as a plugin author's CI
would (its junit XML gives each case's verdict);
each variant must fail exactly the cases naming its fault and pass the rest, so a case that
stopped checking anything shows up here.
"""

from __future__ import annotations

import subprocess
import sys
from xml.etree import ElementTree

import pytest

MODULE = """
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from contextlib import contextmanager

import pytest
from marshmallow import Schema, fields

from erpsync.core.connector import Connector, ShopContext
from erpsync.core.errors import NotFoundError, PermanentError, RecordError, TemporaryError
from erpsync.core.listings import ErpProduct, ErpSku
from erpsync.core.models import Address, HandoverMode, Records, Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment
from erpsync.testing import ErpConnectorContract

pytest_plugins = ["erpsync.testing"]
FIELDS = list(Address.__dataclass_fields__)
TOKEN = "tok-SECRET-4242"


class MemoErp(Connector):
    type = "memo"
    role = "erp"
    secret_options = ("token",)

    class Options(Schema):
        path = fields.String(required=True)
        token = fields.String(required=True)

    def _fault(self, op):
        folder = Path(self.options["path"]).parent
        if (folder / "busy").exists():
            raise TemporaryError("the ERP is busy", connector="memo", operation=op, status=503)
        if (folder / "denied").exists():
            raise PermanentError("credentials refused", connector="memo", operation=op, status=401)

    def _load(self, op="read"):
        self._fault(op)
        return json.loads(Path(self.options["path"]).read_text(encoding="utf-8"))

    def _save(self, data):
        self._fault("write")
        Path(self.options["path"]).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    def _find(self, data, wid):
        for rec in data:
            if rec.get("id") == wid:
                return rec
        raise NotFoundError(f"no warehouse {wid!r}", connector="memo", operation="write")

    def list_warehouses(self):
        items, errors = [], []
        for rec in self._load():
            if not str(rec.get("phone", "")).isdigit():
                errors.append(RecordError("not a phone number", record=str(rec.get("id")), field="phone"))
                continue
            mode = HandoverMode(rec["mode"]) if rec["mode"] else None
            address = Address(**{f: rec[f] for f in FIELDS})
            items.append(Warehouse(rec["id"], rec["name"], address, mode, rec["seller"]))
        return Records(tuple(items), tuple(errors))

    def set_warehouse_address(self, wid, changes):
        if set(changes) - set(FIELDS):
            raise ValueError(f"not address fields: {sorted(set(changes) - set(FIELDS))}")
        data = self._load("write")
        self._find(data, wid).update(changes)
        self._save(data)

    def set_handover_mode(self, wid, mode):
        data = self._load("write")
        self._find(data, wid)["mode"] = mode.value
        self._save(data)

    def check(self):
        return f"memo ERP: {len(self._load())} warehouses"

    # products, shipments and order statuses: one JSON file each beside the warehouses'

    def _side(self, name, op="read"):
        self._fault(op)
        return json.loads(Path(self.options["path"]).with_name(name).read_text(encoding="utf-8"))

    def _save_side(self, name, data):
        self._fault("write")
        Path(self.options["path"]).with_name(name).write_text(json.dumps(data), encoding="utf-8")

    def read_products(self):
        return Records(tuple(
            ErpProduct(
                p["id"], p["title"], p["description"], p["currency"],
                tuple(ErpSku(sku, Decimal(price), qty) for sku, price, qty in p["skus"]),
                tuple(p["images"]), tuple(tuple(a) for a in p["attributes"]), source=f"products.json #{i + 1}",
            )
            for i, p in enumerate(self._side("products.json"))
        ))

    def list_shipments(self):
        rows = self._side("shipments.json")
        return Records(tuple(ErpShipment(*row, source=f"shipments.json #{i + 1}") for i, row in enumerate(rows)))

    def order_statuses(self, order_ids):
        data = self._side("orders.json")
        return Records(tuple(
            ErpOrderStatus(o, data[o][0], datetime.fromisoformat(data[o][1]), "orders.json")
            for o in order_ids
            if o in data
        ))

    def set_order_status(self, order_id, status, updated_at):
        data = self._side("orders.json", "write")
        data[order_id] = [status, updated_at.isoformat()]
        self._save_side("orders.json", data)


def record(w):
    mode = w.handover_mode.value if w.handover_mode else ""
    return {"id": w.id, "name": w.name, "seller": w.seller_warehouse_id, "mode": mode, **vars(w.address)}


@contextmanager
def marker(path):
    path.touch()
    try:
        yield
    finally:
        path.unlink()


class TestMemo(ErpConnectorContract):
    connector = MemoErp

    def build_connector(self, system):
        options = {"path": str(system / "erp.json"), "token": TOKEN}
        return self.connector(options, shop=ShopContext("shop", system))

    def seed(self, system, warehouses):
        (system / "erp.json").write_text(json.dumps([record(w) for w in warehouses]), encoding="utf-8")

    def seed_malformed(self, system, warehouses):
        bad = {**record(warehouses[0]), "id": "WH-BAD", "phone": "call me"}
        rows = [record(w) for w in warehouses]
        (system / "erp.json").write_text(json.dumps([bad, *rows]), encoding="utf-8")

    def fail(self, system, kind, operation):
        return marker(system / ("busy" if kind == "temporary" else "denied"))

    def seed_products(self, system, products):
        rows = [
            {
                "id": p.id, "title": p.title, "description": p.description, "currency": p.currency,
                "skus": [[s.seller_sku, str(s.price), s.inventory] for s in p.skus],
                "images": list(p.images), "attributes": [list(a) for a in p.attributes],
            }
            for p in products
        ]
        (system / "products.json").write_text(json.dumps(rows), encoding="utf-8")

    def seed_shipments(self, system, shipments):
        rows = [[s.id, s.package_id, s.order_id, s.tracking_number, s.carrier] for s in shipments]
        (system / "shipments.json").write_text(json.dumps(rows), encoding="utf-8")

    def seed_order_statuses(self, system, statuses):
        data = {s.order_id: [s.status, s.updated_at.isoformat()] for s in statuses}
        (system / "orders.json").write_text(json.dumps(data), encoding="utf-8")


class WriteTouchesAnotherField(MemoErp):
    def set_warehouse_address(self, wid, changes):
        super().set_warehouse_address(wid, changes)
        data = self._load()
        self._find(data, wid)["postal_code"] = "000000"
        self._save(data)


class UnknownIdPassesSilently(MemoErp):
    def _find(self, data, wid):
        try:
            return super()._find(data, wid)
        except NotFoundError:
            return {}


class SecretInErrors(MemoErp):
    def _find(self, data, wid):
        try:
            return super()._find(data, wid)
        except NotFoundError as exc:
            raise NotFoundError(f"{exc.message} (token {self.options['token']})") from None


class MalformedRecordRaises(MemoErp):
    def list_warehouses(self):
        records = super().list_warehouses()
        if records.errors:
            raise PermanentError(str(records.errors[0]), connector="memo")
        return records


class CloseFailsTwice(MemoErp):
    def close(self):
        if getattr(self, "closed", False):
            raise RuntimeError("already closed")
        self.closed = True


class TemporaryAsPermanent(MemoErp):
    def _fault(self, op):
        try:
            super()._fault(op)
        except TemporaryError as exc:
            raise PermanentError(exc.message, **exc.context) from None


class AcceptsAnyField(MemoErp):
    def set_warehouse_address(self, wid, changes):
        data = self._load("write")
        self._find(data, wid).update(changes)
        self._save(data)


class ReadsOneTwice(MemoErp):
    def list_warehouses(self):
        records = super().list_warehouses()
        return Records(records.items + records.items[:1], records.errors)


class BatchWritesAtOnce(MemoErp):
    @contextmanager
    def batch(self):
        yield


class FloatPrices(MemoErp):
    def read_products(self):
        records = super().read_products()
        return Records(tuple(
            ErpProduct(p.id, p.title, p.description, p.currency,
                       tuple(ErpSku(s.seller_sku, float(s.price), s.inventory) for s in p.skus),
                       p.images, p.attributes, p.source)
            for p in records.items
        ))


class EmptyCatalogueIsNone(MemoErp):
    def read_products(self):
        records = super().read_products()
        return records if records.items else None


class ReadStampsProducts(MemoErp):
    def read_products(self):
        stamp = Path(self.options["path"]).with_name("stamp")
        n = int(stamp.read_text()) + 1 if stamp.exists() else 1
        stamp.write_text(str(n))
        records = super().read_products()
        return Records(tuple(ErpProduct(**{**vars_of(p), "source": f"{p.source}, read {n}"}) for p in records.items))


def vars_of(product):
    return {name: getattr(product, name) for name in ErpProduct.__dataclass_fields__}


class ShipmentFailureSwallowed(MemoErp):
    def list_shipments(self):
        try:
            return super().list_shipments()
        except TemporaryError:
            return Records()


class AllOrdersWhateverAsked(MemoErp):
    def order_statuses(self, order_ids):
        return super().order_statuses(list(self._side("orders.json")))


class StatusWrittenToACache(MemoErp):
    def set_order_status(self, order_id, status, updated_at):
        self._fault("write")
        self.__dict__.setdefault("cache", {})[order_id] = (status, updated_at)

    def order_statuses(self, order_ids):
        records = super().order_statuses(order_ids)
        cache = self.__dict__.get("cache", {})
        kept = tuple(s for s in records.items if s.order_id not in cache)
        return Records(kept + tuple(ErpOrderStatus(o, *cache[o]) for o in order_ids if o in cache))


class UnknownOrderIgnored(MemoErp):
    def set_order_status(self, order_id, status, updated_at):
        if order_id in self._side("orders.json"):
            super().set_order_status(order_id, status, updated_at)


class ReadOnly(MemoErp):
    set_warehouse_address = None
    set_handover_mode = None


"""

#: variant class → the cases it must fail (without parameters); every other case must pass or skip
BROKEN: dict[str, set[str]] = {
    "WriteTouchesAnotherField": {
        "test_write_changes_only_the_given_fields",
        "test_write_is_repeatable",
        "test_write_of_the_current_value_changes_nothing",
    },
    "UnknownIdPassesSilently": {
        "test_write_to_unknown_id_is_a_connector_error",
        "test_handover_mode_unknown_id_is_a_connector_error",
    },
    "SecretInErrors": {"test_no_secret_in_any_error"},
    "MalformedRecordRaises": {"test_malformed_record_is_a_record_error"},
    "CloseFailsTwice": {"test_close_is_safe_twice"},
    "TemporaryAsPermanent": {"test_transport_failure_maps_to_its_error"},
    "AcceptsAnyField": {"test_write_refuses_fields_the_system_lacks"},
    "BatchWritesAtOnce": {
        "test_batch_writes_are_made_together_as_it_ends",
        "test_batch_left_by_an_exception_makes_none",
    },
    "ReadsOneTwice": {"test_read_ids_are_unique", "test_malformed_record_is_a_record_error"},
    "FloatPrices": {"test_products_read_as_seeded"},
    "EmptyCatalogueIsNone": {"test_an_empty_catalogue_reads_as_no_products"},
    "ReadStampsProducts": {"test_reading_products_changes_nothing"},
    "ShipmentFailureSwallowed": {"test_transport_failure_maps_to_its_error"},
    "AllOrdersWhateverAsked": {"test_order_statuses_read_as_seeded"},
    "StatusWrittenToACache": {
        "test_set_order_status_is_read_by_a_fresh_connector",
        "test_set_order_status_twice_changes_nothing",
        "test_set_order_status_of_an_order_the_erp_lacks",
    },
    "UnknownOrderIgnored": {"test_set_order_status_of_an_order_the_erp_lacks"},
}


def generated() -> str:
    tests = "".join(f"class Test{name}(TestMemo):\n    connector = {name}\n\n\n" for name in [*BROKEN, "ReadOnly"])
    return MODULE + tests


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict[str, dict[str, str]]]:
    """Run the generated module once: {class: {case[param]: "passed" | "failed: ..." | "skipped: ..."}}."""
    folder = tmp_path_factory.mktemp("contract_honesty")
    (folder / "test_memo.py").write_text(generated(), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=report.xml", "test_memo.py"],
        cwd=folder, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert (folder / "report.xml").exists(), run.stdout + run.stderr
    found: dict[str, dict[str, str]] = {}
    for case in ElementTree.parse(folder / "report.xml").iter("testcase"):
        verdict = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                verdict = f"{child.tag}: {child.get('message', '')}"
        found.setdefault(case.get("classname", "").rpartition(".")[2], {})[case.get("name", "")] = verdict
    assert found, run.stdout + run.stderr
    return found


def failed(result: dict[str, str]) -> set[str]:
    """The cases (without parameters) that failed or errored."""
    return {name.partition("[")[0] for name, v in result.items() if v.startswith(("failure", "error"))}


def test_a_connector_that_keeps_the_contract_passes_every_case(outcomes):
    memo = outcomes["TestMemo"]
    assert failed(memo) == set()
    skipped = {name: v for name, v in memo.items() if v.startswith("skipped")}
    # MemoErp has every capability but PickupReader and BatchWriter, and fail() stages every failure
    assert set(skipped) == {
        "test_pickup_signals_are_schema_valid",
        "test_batch_writes_are_made_together_as_it_ends",
        "test_batch_refuses_a_bad_write_at_once_and_makes_the_others",
        "test_batch_left_by_an_exception_makes_none",
    }
    assert "is no PickupReader" in skipped["test_pickup_signals_are_schema_valid"]
    assert "is no BatchWriter (it has no batch())" in skipped["test_batch_left_by_an_exception_makes_none"]


@pytest.mark.parametrize("variant", sorted(BROKEN))
def test_a_broken_connector_fails_the_cases_naming_its_fault(outcomes, variant):
    assert failed(outcomes[f"Test{variant}"]) == BROKEN[variant]


def test_cases_for_a_missing_capability_are_skipped_naming_it(outcomes):
    read_only = outcomes["TestReadOnly"]
    assert failed(read_only) == set()
    reasons = {name: v for name, v in read_only.items() if v.startswith("skipped")}
    assert "is no WarehouseWriter (it has no set_warehouse_address())" in reasons["test_write_is_repeatable"]
    assert "is no PickupWriter (it has no set_handover_mode())" in reasons["test_handover_mode_round_trips[PICK UP]"]
    assert "has no write capability" in reasons["test_transport_failure_maps_to_its_error[temporary-write]"]
    assert read_only["test_read_returns_every_seeded_warehouse_as_seeded"] == "passed"
