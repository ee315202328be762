"""A changed ``[aspects.listings] warehouse_id`` sends the stock to the new warehouse.

The inventory binding names the warehouse a quantity went to, so the same quantity for another
warehouse is a stock to push. Runs the real Syncer, SQLite bindings and the files ERP against the
in-memory Seller Center of ``test_listings_moved_skus``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

import pytest
from test_listings_moved_skus import Center, Shop, _fresh  # noqa: F401  (autouse fixture)


def test_a_new_warehouse_id_is_pushed_the_stock_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, dict[str, dict[str, int]]]] = []

    def inventory(self: Center, product_id: str, quantities: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
        sent.append((product_id, {k: dict(v) for k, v in quantities.items()}))
        return {}

    monkeypatch.setattr(Center, "set_listing_inventory", inventory)
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5")])
    shop.run()  # created in W, its stock in the create
    config = tmp_path / "erpsync.toml"
    config.write_text(config.read_text().replace('warehouse_id = "W"', 'warehouse_id = "W2"'))
    report = shop.run()
    assert sent == [("T1", {"T1-MUG": {"W2": 5}})], Center.calls
    assert [d.kind for d in report.drifts] == ["inventory_changed"]
    shop.run()  # recorded as pushed to W2: nothing more
    assert len(sent) == 1, sent


def test_after_an_upgrade_an_unchanged_stock_is_not_said_to_differ(tmp_path: Path) -> None:
    """Inventory bindings as an earlier version wrote them (``"5"``, no warehouse): the stock is
    pushed once (docs/listings.md), and the drift says it is unchanged, with its warehouse."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5")])
    shop.run()
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("update bindings set last_pushed_hash = '5' where entity = 'inventory'")
        db.execute("delete from bindings where entity = 'source'")
    report = shop.run()
    (message,) = [d.message for d in report.drifts if d.kind == "inventory_changed"]
    assert "stock differs" not in message and "MUG=5 (warehouse W)" in message, message
