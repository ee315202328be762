"""``erpsync.sdk``: one documented public module, and the typed ERP base behind it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from erpsync import sdk

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_every_sdk_name_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in sdk.__all__ if f"`{name}`" not in text and f"`{name}(" not in text]
    assert missing == [], f"document these in docs/plugins.md: {missing}"


def test_all_lists_exactly_the_public_names():
    public = {n for n in vars(sdk) if not n.startswith("_") and n != "annotations"}
    assert set(sdk.__all__) == public
    assert len(sdk.__all__) == len(set(sdk.__all__))


def test_the_sdk_version_is_semver_and_the_docstring_says_it_is_stable():
    assert re.fullmatch(r"\d+\.\d+\.\d+", sdk.SDK_VERSION)
    assert sdk.SDK_VERSION == "1.1.0"
    assert "semantic versioning" in sdk.__doc__ and "internal" in sdk.__doc__


def test_the_address_fields_are_the_address_dataclass():
    assert tuple(sdk.Address.__dataclass_fields__) == sdk.ADDRESS_FIELDS


def test_importing_the_cli_does_not_import_the_sdk():
    """The SDK imports marshmallow and requests; ``erpsync --help`` must not pay for them."""
    code = "import sys, erpsync.cli; print('erpsync.sdk' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "False"


# --- ErpConnector: declared capabilities are abstract until defined --------------------------------


class Reads(sdk.ErpConnector):
    type = "reads"
    Options = sdk.Schema
    capabilities = ("warehouses", "handover")

    def list_warehouses(self) -> sdk.Records[sdk.Warehouse]:
        return sdk.Records()

    def set_handover_mod(self, warehouse_id: str, mode: sdk.HandoverMode) -> None:  # sic
        pass


def test_a_declared_capability_without_its_method_cannot_be_instantiated():
    assert Reads.__abstractmethods__ == frozenset({"set_handover_mode"})
    with pytest.raises(TypeError, match="set_handover_mode"):
        Reads({}, shop=sdk.ShopContext("s", Path(".")))


def test_a_subclass_that_defines_it_is_complete():
    class Complete(Reads):
        def set_handover_mode(self, warehouse_id: str, mode: sdk.HandoverMode) -> None:
            pass

    erp = Complete({}, shop=sdk.ShopContext("s", Path(".")))
    assert isinstance(erp, sdk.WarehouseReader) and isinstance(erp, sdk.PickupWriter)
    assert not isinstance(erp, sdk.WarehouseWriter)  # "addresses" was not declared
    assert erp.role == "erp"
    assert erp.check() == "reads: 0 warehouses"


def test_an_undeclared_capability_gets_no_stub():
    class Reader(sdk.ErpConnector):
        type = "reader"
        Options = sdk.Schema
        capabilities = ("warehouses",)

        def list_warehouses(self) -> sdk.Records[sdk.Warehouse]:
            return sdk.Records()

    assert not hasattr(Reader, "set_warehouse_address")
    assert Reader.__abstractmethods__ == frozenset()


# --- collect_records: one bad row is one RecordError ---------------------------------------------


def test_collect_records_keeps_the_good_rows_and_names_the_bad():
    def build(row: Mapping[str, object]) -> str:
        if row.get("flag"):
            raise sdk.RecordError("flagged", field="flag")
        return str(row["id"]) + str(row["name"])

    rows = [{"id": 1, "name": "a"}, {"id": 2}, "junk", {"name": "x", "id": ""}, {"id": 5, "flag": 1}]
    rows.append({"id": "1", "name": "again"})
    records = sdk.collect_records(rows, build, source="erp /w")
    assert records.items == ("1a",)
    assert [str(e) for e in records.errors] == [
        "erp /w: warehouse '2': name: missing",
        "erp /w: warehouse #3: not an object",
        "erp /w: warehouse #4 (no id): id: missing",
        "erp /w: warehouse '5': flag: flagged",
        "erp /w: warehouse '1': id: duplicate id (first as warehouse #1)",
    ]


def test_collect_records_keeps_the_record_id_a_build_gave_its_error():
    """``record_id`` is what code matches an error to a record by: lost, a caller that must not
    guess takes the error as possibly any record's."""

    def build(row: Mapping[str, object]) -> str:
        raise sdk.RecordError("unreadable", field="name", record_id=f"ACME-{row['id']}")

    (error,) = sdk.collect_records([{"id": 7}], build, source="erp /w").errors
    assert (str(error), error.record_id) == ("erp /w: warehouse '7': name: unreadable", "ACME-7")
