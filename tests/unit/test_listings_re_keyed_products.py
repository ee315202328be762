"""An ERP product re-keyed by the ERP (P1 removed, its SKUs now under P3) takes P1's listing; a
new product that merely shares SKUs with a removed one does not.

These run the real Syncer, SQLite bindings and the files ERP against the in-memory Seller Center
of ``test_listings_moved_skus``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_listings_moved_skus import Center, Shop, _fresh  # noqa: F401  (autouse fixture)

from erpsync.core.aspects import listing_lookup
from erpsync.core.aspects.listing_forget import forget_listings
from erpsync.core.aspects.listing_leftovers import SKU_NOT_IN_ERP
from erpsync.core.listings import FoundListing
from erpsync.core.models import AspectReport
from erpsync.core.store import Store


def _products(root: Path) -> list[tuple[str, str, str | None]]:
    """The product bindings that hold a listing: (ERP id, Seller Center product, content hash)."""
    with sqlite3.connect(root / "state.db") as db:
        return db.execute(
            "select erp_id, seller_id, last_pushed_hash from bindings"
            " where entity = 'product' and seller_id is not null order by erp_id"
        ).fetchall()


def _warnings(report: AspectReport) -> list[tuple[str, str]]:
    return sorted((d.subject, d.field) for d in report.drifts if d.kind == SKU_NOT_IN_ERP)


@pytest.mark.parametrize("bound", [False, True], ids=["stopped-before-the-bind", "stopped-after-the-bind"])
def test_a_run_stopped_while_a_re_keyed_product_takes_its_listing_is_completed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: bool
) -> None:
    """P1 (MUG, CUP) is T1; the ERP re-keys it as P3. The run that hands T1 to P3 stops before or
    right after writing P3's binding. Either way the next run (a dry run: binding is no push)
    leaves T1 bound to P3 alone, with the content hash P1 last pushed, and P1's warnings gone."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    ((_, _, pushed),) = _products(tmp_path)
    shop.write([("P3", "MUG", "4", "5"), ("P3", "CUP", "3", "7")])
    real: Callable[..., None] = listing_lookup.bind_found

    def stop(*args: Any, **kwargs: Any) -> None:
        if bound:
            real(*args, **kwargs)
        raise RuntimeError("the process stops here")

    monkeypatch.setattr(listing_lookup, "bind_found", stop)
    with pytest.raises(RuntimeError, match="the process stops here"):
        shop.run()
    monkeypatch.undo()
    shop.run(apply=False)
    assert _products(tmp_path) == [("P3", "T1", pushed)]
    report = shop.run()
    assert not report.record_errors and not _warnings(report), (report.record_errors, _warnings(report))
    assert [c for c in Center.calls if c[0] == "create"] == [("create", "T1", ("MUG", "CUP"))], Center.calls


@pytest.mark.parametrize(
    "new", [[("MUG", "4", "5"), ("BOWL", "2", "1")], [("MUG", "4", "5"), ("CUP", "3", "7")]], ids=["one", "all-but-one"]
)
def test_a_new_product_sharing_some_skus_with_a_removed_one_does_not_take_its_listing(
    tmp_path: Path, new: list[tuple[str, str, str]]
) -> None:
    """P1 (MUG, CUP, PLATE) is T1 and is removed from the ERP. A new product P3 has MUG but not
    every SKU T1 holds: it is not P1 under a new key, and bound to T1 it would push its content
    over a listing that still sells P1's other SKUs. So it is the record error it was before the
    ERP's re-keys were recognised, naming P1 and the command that frees T1; T1 stays P1's, nothing
    is created or edited, and P1's warnings stay open. Forgetting P1 would not hand T1 to P3
    either (T1 still sells SKUs P3 lacks), so the error does not advise it."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7"), ("P1", "PLATE", "2", "1")])
    shop.run()
    shop.write([("P3", *row) for row in new])
    Center.calls.clear()
    report = shop.run()
    (error,) = report.record_errors
    assert all(w in error for w in ("'P3'", "'P1'", "T1")) and "--forget-listing" not in error, error
    assert [(erp_id, listing) for erp_id, listing, _ in _products(tmp_path)] == [("P1", "T1")]
    assert Center.calls == [], Center.calls
    assert _warnings(report) == [("P1", "CUP"), ("P1", "MUG"), ("P1", "PLATE")]


@pytest.mark.parametrize("whole", [False, True], ids=["hits-of-the-skus-searched", "whole-hits"])
def test_a_removed_products_listing_whose_skus_no_binding_places_is_handed_over_only_on_a_whole_hit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole: bool
) -> None:
    """P1 (MUG, CUP) is T1, its SKU rows as an older version wrote them (naming no listing, but
    their SKU ids), and the ERP re-keys it as P3. When Seller Center's hits list only the SKUs
    searched (a seller plugin's), which SKUs T1 holds is not known and P3 may not be P1 under a
    new key: it is the record error naming P1 and the command that frees T1, as before. A whole
    hit shows T1 holds MUG and CUP with the ids the rows hold: P3 has both and takes T1."""
    real = Center.find_listings

    def hits(self: Center, skus: list[str]) -> dict[str, tuple[FoundListing, ...]]:
        return {k: tuple(replace(h, whole=whole) for h in found) for k, found in real(self, skus).items()}

    monkeypatch.setattr(Center, "find_listings", hits)
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("update bindings set last_pushed_hash = NULL where entity = 'sku'")
    shop.write([("P3", "MUG", "4", "5"), ("P3", "CUP", "3", "7")])
    Center.calls.clear()
    errors = shop.run().record_errors
    if whole:
        assert not errors and not [c for c in Center.calls if c[0] == "create"], (errors, Center.calls)
    else:
        (error,) = errors
        assert "'P3'" in error and "--forget-listing P1" in error, error
    expected = [("P3", "T1")] if whole else [("P1", "T1")]
    assert [(erp_id, listing) for erp_id, listing, _ in _products(tmp_path)] == expected


def test_a_whole_hit_shows_the_skus_rows_naming_no_listing_hold(tmp_path: Path) -> None:
    """P1 (MUG, CUP, PLATE) is T1; the rows of MUG and CUP are as an older version wrote them
    (naming no listing, but their SKU ids), PLATE's names T1. The ERP splits P1 into P3 (PLATE)
    and P4 (MUG, CUP). The whole hit of T1 shows MUG and CUP there with the ids their rows hold,
    so T1 holds all three: neither product is P1 re-keyed, T1 stays P1's and is not edited."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7"), ("P1", "PLATE", "2", "1")])
    shop.run()
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("update bindings set last_pushed_hash = NULL where entity = 'sku' and erp_id in ('MUG', 'CUP')")
    shop.write([("P3", "PLATE", "2", "1"), ("P4", "MUG", "4", "5"), ("P4", "CUP", "3", "7")])
    Center.calls.clear()
    errors = shop.run().record_errors
    assert [(erp_id, listing) for erp_id, listing, _ in _products(tmp_path)] == [("P1", "T1")], errors
    assert Center.calls == [], Center.calls
    assert len(errors) == 2 and all("'P1'" in e and "--forget-listing" not in e for e in errors), errors


def test_a_product_refused_a_listing_another_took_this_run_is_not_told_to_forget_it(tmp_path: Path) -> None:
    """P1 (MUG, CUP) is T1, where the seller adds SAUCER by hand. The ERP removes P1 and adds P4
    (SAUCER), then P3 (MUG, CUP). P3 has every SKU bound in T1 and takes it, though P4 comes
    first; P4's record error names P3 but does not advise forgetting P3's binding, which this run
    made: P3 never was P4 under another key."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    Center.products["T1"]["SAUCER"] = "T1-SAUCER"
    shop.write([("P4", "SAUCER", "2", "1"), ("P3", "MUG", "4", "5"), ("P3", "CUP", "3", "7")])
    report = shop.run()
    (error,) = report.record_errors
    assert "'P4'" in error and "'P3'" in error and "--forget-listing" not in error, error
    assert [(erp_id, listing) for erp_id, listing, _ in _products(tmp_path)] == [("P3", "T1")]


def _split_with_a_hand_added_sku(shop: Shop) -> None:
    """P1 (MUG, CUP) is T1, where SAUCER is added by hand; the ERP re-keys P1 as P3 and adds P4
    (SAUCER only), listed first."""
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    Center.products["T1"]["SAUCER"] = "T1-SAUCER"
    shop.write([("P4", "SAUCER", "2", "1"), ("P3", "MUG", "4", "5"), ("P3", "CUP", "3", "7")])


def test_a_run_stopped_after_the_hand_over_leaves_the_listing_to_the_product_with_its_skus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run that hands T1 to P3 stops after forgetting P1 and before binding P3: T1 is bound to
    no one, its SKU rows still placing MUG and CUP there. The next run does not give it to P4,
    found first but holding only SAUCER (its content would go over a listing selling MUG and
    CUP): P3 takes it, with the one edit of its own content, and P4 is the record error naming P3."""
    shop = Shop(tmp_path)
    _split_with_a_hand_added_sku(shop)

    def stop(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process stops here")

    monkeypatch.setattr(listing_lookup, "bind_found", stop)
    with pytest.raises(RuntimeError, match="the process stops here"):
        shop.run()
    monkeypatch.undo()
    assert _products(tmp_path) == []
    Center.calls.clear()
    (error,) = shop.run().record_errors
    assert [(erp_id, listing) for erp_id, listing, _ in _products(tmp_path)] == [("P3", "T1")], Center.calls
    assert "'P4'" in error and "'P3'" in error and "--forget-listing" not in error, error
    assert [c for c in Center.calls if c[0] == "edit"] == [("edit", "T1", ())], Center.calls  # P3's title


def test_a_forgotten_listing_goes_to_the_product_with_every_sku_it_holds(tmp_path: Path) -> None:
    """After P3 took T1, P4 (only the hand-added SAUCER) is refused run after run, never advised
    to forget P3's binding (P3 holds SKUs P4 lacks: P3 is not P4 renamed). Forgotten anyway, T1
    goes back to P3, not to P4 found first; P4 is told which SKUs T1 still holds."""
    shop = Shop(tmp_path)
    _split_with_a_hand_added_sku(shop)
    shop.run()
    (error,) = shop.run().record_errors
    assert "'P4'" in error and "'P3'" in error and "--forget-listing" not in error, error
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        forget_listings(store.bindings, "s", ["P3"], datetime.now(UTC))
    Center.calls.clear()
    shop.run(apply=False)  # a dry run: binding is no push
    assert [(erp_id, listing) for erp_id, listing, _ in _products(tmp_path)] == [("P3", "T1")], Center.calls
    (error,) = shop.run().record_errors
    assert "'P4'" in error and "'P3'" in error and "--forget-listing" not in error, error
    assert not [c for c in Center.calls if c[0] == "edit"], Center.calls


def test_a_forgotten_listing_still_holding_skus_is_not_taken_by_a_product_lacking_them(tmp_path: Path) -> None:
    """P1 (MUG, CUP) is T1, where SAUCER is added by hand; P1's binding is forgotten and the ERP
    now has only P4 (SAUCER). T1 still sells MUG and CUP: P4 is the record error saying so,
    naming P1, with no command to run, and T1 stays bound to no one, nothing pushed to it."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    Center.products["T1"]["SAUCER"] = "T1-SAUCER"
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        forget_listings(store.bindings, "s", ["P1"], datetime.now(UTC))
    shop.write([("P4", "SAUCER", "2", "1")])
    Center.calls.clear()
    (error,) = shop.run().record_errors
    assert all(w in error for w in ("'P4'", "T1", "'P1'", "'CUP', 'MUG'")) and "--forget-listing" not in error, error
    assert _products(tmp_path) == [] and Center.calls == [], Center.calls
