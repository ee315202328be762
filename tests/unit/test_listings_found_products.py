"""What a seller_sku search finds is bound once.

A product found in Seller Center is bound (its product and SKU ids) as it is found, so a policy
that only reports its content edit does not leave it unbound: unbound, every run would search it
again and push its price and stock again. Same harness as the half-done pushes (``Shelf``,
``Shop``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from test_listings_half_done_pushes import Shelf, Shop, _fresh  # noqa: F401  (the fixture resets Shelf)

from erpsync.core.listings import FoundListing


def _report_content(shop: Shop) -> None:
    """The shop's policy: content edits are reported, price and stock pushed (the ERP wins)."""
    config = shop.root / "erpsync.toml"
    config.write_text(config.read_text(encoding="utf-8") + '[policy]\nlistings = { content = "report" }\n')


def test_a_found_product_whose_edit_is_only_reported_is_bound_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MUG is in Seller Center product T7, made by hand. The first run finds it, binds it and
    pushes its price and stock; its content edit is only reported. The second run must not
    search it again nor push its price and stock again; the content drift stays open."""
    searches: list[list[str]] = []

    def find(self: Any, skus: Sequence[str]) -> dict[str, FoundListing]:
        searches.append(list(skus))
        return {"MUG": FoundListing("T7", {"MUG": "id-MUG"})} if "MUG" in skus else {}

    monkeypatch.setattr(Shelf, "find_listings", find)
    shop = Shop(tmp_path)
    _report_content(shop)
    shop.write([("MUG", "4", "5")])
    first = shop.run()
    assert [(r.action.kind, r.status) for r in first.actions] == [
        ("set_prices", "applied"),
        ("set_inventory", "applied"),
    ]
    assert [d.kind for d in first.drifts] == ["price_changed", "inventory_changed", "content_changed"]
    assert searches == [["MUG"]] and Shelf.calls == ["price", "inventory"]
    second = shop.run()
    assert searches == [["MUG"]]  # bound: not searched again
    assert Shelf.calls == ["price", "inventory"]  # nothing pushed again
    assert second.actions == [] and second.error is None and not second.record_errors
    assert [d.kind for d in second.drifts] == ["content_changed"]
    assert second.resolved == [] and second.opened == []


def test_a_found_product_is_bound_by_a_run_that_pushes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dry run (reconcile without --apply) binds what it found too: it is a fact about Seller
    Center, not a push. The apply run after it pushes price and stock without searching."""
    searches: list[list[str]] = []

    def find(self: Any, skus: Sequence[str]) -> dict[str, FoundListing]:
        searches.append(list(skus))
        return {"MUG": FoundListing("T7", {"MUG": "id-MUG"})} if "MUG" in skus else {}

    monkeypatch.setattr(Shelf, "find_listings", find)
    shop = Shop(tmp_path)
    _report_content(shop)
    shop.write([("MUG", "4", "5")])
    from erpsync.plugins.manager import load_settings
    from erpsync.sync import Syncer

    syncer = Syncer(load_settings(shop.root / "erpsync.toml", shop.registry), pm=shop.pm, registry=shop.registry)
    try:
        syncer.run(apply=False)
    finally:
        syncer.close()
    assert searches == [["MUG"]] and Shelf.calls == []
    applied = shop.run()
    assert searches == [["MUG"]]
    assert [(r.action.kind, r.status) for r in applied.actions] == [
        ("set_prices", "applied"),
        ("set_inventory", "applied"),
    ]
