"""``erpsync bindings --forget-listing`` while a run works on the shop.

A run reads the listing bindings before it applies; the edit it then applies to a product
writes that product's binding again. Forgotten in between, the binding came back while the
command had printed "forgot": the command takes the shop's lease, as a run does, and refuses
while a run holds it. The real Syncer, SQLite store and command, against the in-memory Seller
Center of ``test_listings_moved_skus``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from test_listings_moved_skus import Center, Shop, _fresh  # noqa: F401  (autouse fixture)

from erpsync.cli import State, cli
from erpsync.core.errors import LockedError
from erpsync.core.listings import FoundListing


def _bound(root: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(root / "state.db") as db:
        query = "select erp_id, seller_id from bindings where entity = 'product' and seller_id is not null"
        return sorted(db.execute(query).fetchall())


def test_forget_listing_is_refused_while_a_run_edits_the_product(tmp_path: Path, monkeypatch: Any) -> None:
    shop = Shop(tmp_path)
    shop.write([("P2", "MUG", "4", "5")])
    shop.run()
    shop.write([("P2", "MUG", "4", "5"), ("P2", "CUP", "3", "7")])  # a new SKU: the run edits T1
    real_edit, tried = Center.edit_listing, []

    def edit_while_forgetting(self: Center, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        state = State(str(tmp_path / "erpsync.toml"), pm=shop.pm)
        args = ["-c", str(tmp_path / "erpsync.toml"), "bindings", "--shop", "s", "--forget-listing", "P2"]
        tried.append(CliRunner().invoke(cli, args, obj=state))
        return real_edit(self, product_id, changes)

    monkeypatch.setattr(Center, "edit_listing", edit_while_forgetting)
    shop.run()
    (result,) = tried
    assert isinstance(result.exception, LockedError), result.output  # the entry point exits 1 on it
    message = str(result.exception)
    assert "no listing forgotten" in message and "erpsync unlock --shop s" in message
    assert "forgot" not in result.output
    assert _bound(tmp_path) == [("P2", "T1")]
