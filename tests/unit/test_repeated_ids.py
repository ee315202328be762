"""Rows that share one id (``erpsync.core.repeated_ids.one_per_id``): rows that agree are one
record and the first stands for them; rows that differ, or an id with a row that could not be
read, put the id in doubt with all its rows. Then the two callers, whose record errors come in
different orders (the orders file's grouped by order, the shipments' in the order given): each
keeps its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from erpsync.connectors.files.order_rows import one_status
from erpsync.core.aspects.tracking_input import distinct_ids
from erpsync.core.errors import RecordError
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.repeated_ids import Doubt, one_per_id
from erpsync.core.shipping import ErpShipment


@dataclass(frozen=True)
class Row:
    id: str
    value: str
    where: str


def per_id(rows: list[Row], unread: dict[str, list[str]] | None = None):
    return one_per_id(rows, lambda r: r.id, lambda r: r.value, unread or {})


def test_an_id_on_one_row_is_kept_and_the_order_of_first_appearance_holds():
    rows = [Row("b", "x", "1"), Row("a", "y", "2"), Row("c", "z", "3")]
    found = per_id(rows)
    assert found.kept == tuple(rows) and found.in_doubt == ()


def test_rows_that_agree_are_one_and_the_first_stands_for_them():
    """Agreeing is the key's business: ``where`` differs, the first row is the one kept."""
    first, again = Row("a", "x", "1"), Row("a", "x", "2")
    found = per_id([first, Row("b", "y", "3"), again])
    assert found.kept == (first, Row("b", "y", "3")) and found.kept[0] is first
    assert found.in_doubt == ()


def test_rows_that_differ_put_the_id_in_doubt_with_every_row_in_the_order_given():
    rows = [Row("a", "x", "1"), Row("b", "y", "2"), Row("a", "x", "3"), Row("a", "w", "4")]
    found = per_id(rows)
    assert found.kept == (rows[1],)
    assert found.in_doubt == (Doubt("a", (rows[0], rows[2], rows[3]), ()),)


def test_an_unread_row_puts_even_a_lone_or_agreeing_id_in_doubt_saying_where():
    lone, first, again = Row("a", "x", "1"), Row("b", "y", "2"), Row("b", "y", "3")
    found = per_id([lone, first, again, Row("c", "z", "4")], {"a": ["row 9"], "b": ["row 7", "row 8"]})
    assert found.kept == (Row("c", "z", "4"),)
    assert found.in_doubt == (Doubt("a", (lone,), ("row 9",)), Doubt("b", (first, again), ("row 7", "row 8")))


def test_an_unread_id_with_no_row_read_is_neither_kept_nor_in_doubt():
    found = per_id([Row("a", "x", "1")], {"z": ["row 3"]})
    assert found.kept == (Row("a", "x", "1"),) and found.in_doubt == ()


def test_an_empty_unread_list_is_no_doubt():
    found = per_id([Row("a", "x", "1")], {"a": []})
    assert found.kept == (Row("a", "x", "1"),) and found.in_doubt == ()


def test_kept_and_doubted_ids_each_come_in_the_order_their_ids_first_appear():
    rows = [Row("d", "1", ""), Row("k", "1", ""), Row("c", "1", ""), Row("d", "2", ""), Row("j", "1", "")]
    found = per_id(rows, {"c": ["row 5"]})
    assert [r.id for r in found.kept] == ["k", "j"]
    assert [d.id for d in found.in_doubt] == ["d", "c"]


def test_the_key_is_asked_only_of_ids_with_several_rows():
    def agree(row: Row) -> str:
        if row.id == "lone":
            raise AssertionError("a single row agrees with itself")
        return row.value

    found = one_per_id([Row("lone", "x", ""), Row("a", "y", ""), Row("a", "y", "")], lambda r: r.id, agree, {})
    assert [r.id for r in found.kept] == ["lone", "a"]


def test_items_may_be_any_iterable_read_once():
    found = one_per_id(iter([Row("a", "x", ""), Row("a", "y", "")]), lambda r: r.id, lambda r: r.value, {})
    assert found.kept == () and [len(d.rows) for d in found.in_doubt] == [2]


T = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("unread", [{}, {"o-2": ["orders.csv:9"]}], ids=["rows differ", "a row unread too"])
def test_the_orders_file_s_errors_come_grouped_by_order(unread):
    rows = [
        ErpOrderStatus("o-1", "AWAITING_SHIPMENT", T, source="orders.csv:2"),
        ErpOrderStatus("o-2", "UNPAID", None, source="orders.csv:3"),
        ErpOrderStatus("o-1", "IN_TRANSIT", T, source="orders.csv:4"),
        ErpOrderStatus("o-2", "CANCELLED", None, source="orders.csv:5"),
        ErpOrderStatus("o-3", "DELIVERED", T, source="orders.csv:6"),
    ]
    errors: list[RecordError] = []
    assert one_status(rows, errors, unread) == [rows[4]]
    assert [(e.record_id, e.source) for e in errors] == [
        ("o-1", "orders.csv:2"),
        ("o-1", "orders.csv:4"),
        ("o-2", "orders.csv:3"),
        ("o-2", "orders.csv:5"),
    ]
    assert errors[2].reason == errors[3].reason
    assert ("a row erpsync could not read (orders.csv:9)" in errors[2].reason) is bool(unread)


def test_the_shipments_errors_come_in_the_order_of_the_shipments():
    ships = [
        ErpShipment("S1", "P1", "O1", "SF1", "SF Express", source="a:2"),
        ErpShipment("S2", "P2", "O2", "SF2", "SF Express", source="a:3"),
        ErpShipment("S1", "P3", "O3", "SF3", "SF Express", source="a:4"),
        ErpShipment("S3", "P5", "O5", "SF5", "SF Express", source="a:5"),
        ErpShipment("S2", "P4", "O4", "SF4", "SF Express", source="a:6"),
    ]
    errors: list[RecordError] = []
    assert distinct_ids(ships, errors) == [ships[3]]
    assert [(e.record_id, e.package_id) for e in errors] == [("S1", "P1"), ("S2", "P2"), ("S1", "P3"), ("S2", "P4")]
    assert errors[1].reason == errors[3].reason and "package P4, SF4 by SF Express (a:6)" in errors[1].reason
