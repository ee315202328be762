"""A quote never closed swallows the rest of a CSV file: that row is broken, not a valid row."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.connectors.files.parse import parse

BROKEN = "a quote opened in this row is never closed: it runs to the end of the file"


@pytest.mark.parametrize(
    ("text", "rows", "broken"),
    [
        ('id,name\nE1,"东莞仓,WH-DG\n', [], [2]),
        ('id,name\nE1,x\nE2,"open\nE3,y\n', [2], [3]),
        ('id,name\nE1,"a ""b"" c"\nE2,x\n', [2, 3], []),  # escaped quotes are pairs
        ('id,name\nE1,12" pipe\nE2,x\n', [2, 3], []),  # a stray quote in an unquoted cell spans no line
        ('id,name\nE1,"two\nlines"\n', [2], []),  # a closed multi-line cell is fine
    ],
)
def test_unclosed_quotes(text: str, rows: list[int], broken: list[int]) -> None:
    doc = parse(Path("warehouses.csv"), text.encode(), ValueError)
    assert [line for line, _i, _r in doc.rows] == rows
    assert doc.broken == [(line, BROKEN) for line in broken]
