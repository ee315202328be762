"""A quote never closed swallows the rest of a CSV file: that row is broken, not a valid row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from erpsync.connectors.files import COLUMNS, FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.connectors.files.parse import parse
from erpsync.connectors.files.parse_csv import FIELD_LIMIT
from erpsync.connectors.files.shipments import SHIPMENT_COLUMNS
from erpsync.core.connector import ShopContext
from erpsync.core.models import Records

BROKEN = "a quote opened in this row is never closed: it runs to the end of the file"


@pytest.mark.parametrize(
    ("text", "rows", "broken"),
    [
        ('id,name\nE1,"东莞仓,WH-DG\n', [], [2]),
        ('id,name\nE1,x\nE2,"open\nE3,y\n', [2], [3]),
        ('id,name\nE1,"a ""b"" c"\nE2,x\n', [2, 3], []),  # escaped quotes are pairs
        ('id,name\nE1,12" pipe\nE2,x\n', [2, 3], []),  # a stray quote in an unquoted cell spans no line
        ('id,name\nE1,"two\nlines"\n', [2], []),  # a closed multi-line cell is fine
        # a stray quote elsewhere makes the count of quotes even: the unclosed one is still seen
        ('id,name\nE1,12" pipe\nE2,"open\nE3,y\n', [2], [3]),
        # and a stray quote elsewhere does not make a closed multi-line cell look unclosed
        ('id,name\nE1,12" pipe\nE2,"two\nlines"\n', [2, 3], []),
    ],
)
def test_unclosed_quotes(text: str, rows: list[int], broken: list[int]) -> None:
    doc = parse(Path("warehouses.csv"), text.encode(), ValueError)
    assert [line for line, _i, _r in doc.rows] == rows
    assert doc.broken == [(line, BROKEN) for line in broken]


def test_a_quote_closed_rows_later_names_the_lines_it_took() -> None:
    """Two stray quotes pair up: the cell between them would swallow the rows in between."""
    text = 'id,name\nE1,"Main depot\nE2,x\nE3,"West" annex\nE4,y\n'
    doc = parse(Path("warehouses.csv"), text.encode(), ValueError)
    assert [line for line, _i, _r in doc.rows] == [5]
    ((line, why),) = doc.broken
    assert line == 2 and "a quote opened on line 2 runs to line 4, taking the lines between" in why


def _erp(tmp_path: Path, name: str, text: str) -> FilesErp:
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / name).write_text(text, encoding="utf-8")
    options = {"path": "erp", **({} if name == "warehouses.csv" else {name.split(".")[0]: name})}
    return FilesErp(FilesErpOptions().load(options), shop=ShopContext("s", tmp_path))


HUGE = '"' + "x" * (FIELD_LIMIT + 1) + '"'  # closed, so the csv module reads it: one cell too long to trust


@pytest.mark.parametrize(
    ("name", "header", "good", "big", "read"),
    [
        (
            "warehouses.csv",
            ",".join(COLUMNS),
            "WH-1,东莞仓,7001,张伟,13800138000,CN,广东省,东莞市,长安镇,振安中路 88号,523850,PICK UP",
            f"WH-2,{HUGE},7002,李娜,13900139000,CN,浙江省,金华市,义乌市,稠州北路 1号,322000,DROP OFF",
            lambda erp: erp.list_warehouses(),
        ),
        (
            "shipments.csv",
            ",".join(SHIPMENT_COLUMNS),
            "S1,P1,O1,JT0001,J&T Express",
            f"S2,P2,O2,JT0002,{HUGE}",
            lambda erp: erp.list_shipments(),
        ),
        (
            "products.csv",
            "id,title,description,currency,seller_sku,price,inventory,images",
            "P1,Mug,A mug,USD,MUG-1,9.99,5,mug.jpg",
            f"P2,Cup,{HUGE},USD,CUP-1,4.99,5,cup.jpg",
            lambda erp: erp.read_products(),
        ),
    ],
    ids=["warehouses", "shipments", "products"],
)
def test_a_cell_too_long_is_named_as_such_in_every_file_and_the_rest_is_read(
    tmp_path: Path, name: str, header: str, good: str, big: str, read: Callable[[FilesErp], Records[Any]]
) -> None:
    """Not "more cells than the header": the row has the header's cells, one of them over the limit."""
    found = read(_erp(tmp_path, name, f"{header}\n{good}\n{big}\n"))
    assert [r.id for r in found.items] == [good.split(",")[0]]
    (error,) = found.errors
    column = "description" if name == "products.csv" else "carrier" if name == "shipments.csv" else "name"
    assert (error.source or "").endswith(f"erp/{name}:3") and error.field == column
    assert f"a cell of {FIELD_LIMIT + 1} characters" in str(error)
    assert "unclosed quote" in str(error) and "more cells than the header" not in str(error)
