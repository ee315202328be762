"""A policy that only reports price or stock differences holds inside an edit that adds SKUs.

An edit adding SKUs lists every SKU the listing keeps (``edit_body``): with the ERP's price and
stock it would set them in Seller Center although the policy says only to report them. These run
the real Syncer, SQLite bindings and the files ERP against the in-memory Seller Center of
``test_listings_moved_skus``, whose edits keep a listed SKU's price and stock when the row has none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_listings_moved_skus import Center, Shop, _fresh  # noqa: F401  (autouse fixture)

from erpsync.core.listings import within_policy


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The changes of every edit Seller Center receives, as sent."""
    edits: list[dict[str, Any]] = []
    original = Center.edit_listing

    def edit(self: Center, product_id: str, changes: dict[str, Any]) -> Any:
        edits.append(changes)
        return original(self, product_id, changes)

    monkeypatch.setattr(Center, "edit_listing", edit)
    return edits


def _grow(tmp_path: Path, policy: str) -> Shop:
    """T1 is created with MUG at 4, stock 5 under ``[policy] listings = { <policy> }``; then the
    ERP says MUG 9, stock 8, and adds BOWL."""
    shop = Shop(tmp_path, extra=f"[policy]\nlistings = {{ {policy} }}\n")
    shop.write([("P1", "MUG", "4", "5")])
    shop.run()
    shop.write([("P1", "MUG", "9", "8"), ("P1", "BOWL", "2", "1")])
    return shop


def _edit_rows(sent: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The SKU rows of the one edit sent, by seller_sku."""
    (changes,) = sent
    return {row["seller_sku"]: row for row in changes["skus"]}


def _reported(shop: Shop, kind: str) -> list[tuple[str | None, str | None]]:
    """The (last pushed, ERP) values of the next run's ``kind`` drifts."""
    return [(d.seller_value, d.erp_value) for d in shop.run().drifts if d.kind == kind]


def test_a_price_report_policy_keeps_the_listed_skus_prices_out_of_an_edit_adding_a_sku(
    tmp_path: Path, sent: list[dict[str, Any]]
) -> None:
    """price = "report": MUG is listed by its id with its stock but no price, so Seller Center
    keeps 4 and the next run still reports 4 → 9 (nothing recorded as pushed); BOWL, new, goes
    with its price and stock."""
    shop = _grow(tmp_path, 'price = "report"')
    shop.run()
    rows = _edit_rows(sent)
    assert rows["MUG"] == {"id": "T1-MUG", "seller_sku": "MUG", "inventory": [{"warehouse_id": "W", "quantity": 8}]}
    assert rows["BOWL"]["price"] == {"amount": "2", "currency": "USD"} and "inventory" in rows["BOWL"]
    assert not [c for c in Center.calls if c[0] == "price"], Center.calls
    assert Center.prices["T1-MUG"] == "4" and Center.stock["T1-MUG"] == 8
    assert _reported(shop, "price_changed") == [("MUG=4 USD", "MUG=9 USD")]


def test_a_stock_report_policy_keeps_the_listed_skus_stock_out_of_an_edit_adding_a_sku(
    tmp_path: Path, sent: list[dict[str, Any]]
) -> None:
    shop = _grow(tmp_path, 'inventory = "report"')
    shop.run()
    rows = _edit_rows(sent)
    assert rows["MUG"] == {"id": "T1-MUG", "seller_sku": "MUG", "price": {"amount": "9", "currency": "USD"}}
    assert rows["BOWL"]["inventory"] == [{"warehouse_id": "W", "quantity": 1}]
    assert Center.stock["T1-MUG"] == 5 and Center.prices["T1-MUG"] == "9"
    assert [after for _before, after in _reported(shop, "inventory_changed")] == ["MUG=W=8"]


def test_with_both_reported_a_listed_sku_goes_by_its_id_alone(tmp_path: Path, sent: list[dict[str, Any]]) -> None:
    shop = _grow(tmp_path, 'price = "report", inventory = "report"')
    shop.run()
    assert _edit_rows(sent)["MUG"] == {"id": "T1-MUG", "seller_sku": "MUG"}
    assert (Center.prices["T1-MUG"], Center.stock["T1-MUG"]) == ("4", 5)


def test_within_policy_leaves_new_skus_and_a_body_without_skus_as_they_are() -> None:
    new = {"seller_sku": "BOWL", "price": {"amount": "2", "currency": "USD"}, "inventory": []}
    kept = {"id": "1", "seller_sku": "MUG", "price": {"amount": "9", "currency": "USD"}, "inventory": []}
    assert within_policy({"skus": [kept, new]}, prices=True, stock=True) == {"skus": [kept, new]}
    assert within_policy({"skus": [kept, new]}, prices=False, stock=False) == {
        "skus": [{"id": "1", "seller_sku": "MUG"}, new]
    }
    assert within_policy({"title": "Mug"}, prices=False, stock=False) == {"title": "Mug"}


def test_a_bare_stock_under_a_reporting_policy_is_not_said_to_be_pushed(tmp_path: Path) -> None:
    """A stock an earlier version stored as a bare quantity is described as unchanged; under
    ``inventory = "report"`` nothing pushes it, so the drift says what the next stock push does
    rather than that it was pushed, run after run."""
    import sqlite3

    shop = Shop(tmp_path, extra='[policy]\nlistings = { inventory = "report" }\n')
    shop.write([("P1", "MUG", "4", "5")])
    shop.run()
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("update bindings set last_pushed_hash = '5' where entity = 'inventory'")
    for _ in range(2):
        (drift,) = [d for d in shop.run().drifts if d.kind == "inventory_changed"]
        assert "stock unchanged at MUG=5" in drift.message and "pushed once" not in drift.message, drift.message
        assert "the next stock push sends it once" in drift.message
