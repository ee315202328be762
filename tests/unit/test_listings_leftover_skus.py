"""A SKU the ERP no longer has stays on sale in Seller Center: erpsync warns, it does not push.

A partial edit never removes SKUs, so a SKU removed from an ERP product (or a product removed from
the ERP) keeps selling in its listing with the last stock pushed, while the edit is recorded as
done. These run the real Syncer, SQLite bindings and the files ERP against the in-memory Seller
Center of ``test_listings_moved_skus``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_listings_moved_skus import Center, Shop, _fresh  # noqa: F401  (autouse fixture)

from erpsync.core.aspects.listing_leftovers import SKU_NOT_IN_ERP, Leftover, leftovers
from erpsync.core.errors import PermanentError, RecordError, TemporaryError
from erpsync.core.listings import ErpProduct, ErpSku, FoundListing
from erpsync.core.models import AspectReport, Drift
from erpsync.core.store import BindingRow


def _warnings(report: AspectReport) -> list[Drift]:
    return [d for d in report.drifts if d.kind == SKU_NOT_IN_ERP]


def test_a_sku_removed_from_an_erp_product_is_a_warning_until_the_erp_has_it_again(tmp_path: Path) -> None:
    """P1 (MUG, CUP) is created as T1. The ERP drops CUP: T1's edit goes without it, CUP keeps
    selling with stock 7, and a warning names CUP, T1 and P1 (no stock 0 is pushed). It stays
    open run after run, and resolves once CUP is back in P1."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    Center.calls.clear()
    shop.write([("P1", "MUG", "4", "5")])
    report = shop.run()
    (warning,) = _warnings(report)
    assert (warning.subject, warning.field) == ("P1", "CUP")
    assert all(w in warning.message for w in ("CUP", "T1", "P1", "still on sale")), warning.message
    assert warning.fingerprint in report.opened
    assert not [c for c in Center.calls if c[0] == "inventory"], Center.calls  # nothing taken off sale
    again = shop.run()  # unchanged: nothing pushed, still said
    assert [d.fingerprint for d in _warnings(again)] == [warning.fingerprint] and not again.resolved
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    back = shop.run()
    assert not _warnings(back) and warning.fingerprint in back.resolved


def test_a_product_removed_from_the_erp_warns_for_each_sku_of_its_listing(tmp_path: Path) -> None:
    """P2 (CUP, BOWL) was created as T2 and leaves the ERP: each of its SKUs is still on sale."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P2", "CUP", "3", "7"), ("P2", "BOWL", "2", "1")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5")])
    report = shop.run()
    assert sorted((d.subject, d.field) for d in _warnings(report)) == [("P2", "BOWL"), ("P2", "CUP")]
    assert all("no longer in the ERP" in d.message for d in _warnings(report))


def test_a_product_missing_after_a_read_with_errors_is_not_said_removed_and_its_warning_stays(tmp_path: Path) -> None:
    """A product whose first row is an error is left out of the read whole: it is not gone from
    the ERP, so no warning opens for it, and one already open does not resolve."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P2", "CUP", "3", "7")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5")])
    (opened,) = _warnings(shop.run())
    shop.write([("P1", "MUG", "4", "5"), ("P2", "CUP", "-3", "7")])  # P2 is back, its row unreadable
    report = shop.run()
    assert not _warnings(report) and opened.fingerprint not in report.resolved
    assert any("P2" in e or "CUP" in e for e in report.record_errors), report.record_errors


def _row(entity: str, erp_id: str, seller_id: str | None, value: str | None) -> BindingRow:
    return BindingRow("s", entity, erp_id, seller_id, value, datetime.now(UTC))


def test_skus_bound_by_an_older_version_name_no_listing_and_are_not_reported() -> None:
    """SKU rows written before the product was kept with them cannot be placed in a listing."""
    mug = ErpProduct("P1", "Mug", "", "USD", (ErpSku("MUG", Decimal("4"), 5),))
    products = {"P1": _row("product", "P1", "T1", "h")}
    skus = {"MUG": _row("sku", "MUG", "T1-MUG", "T1"), "CUP": _row("sku", "CUP", "T1-CUP", None)}
    assert leftovers(products, skus, [mug]) == {}
    skus["CUP"] = _row("sku", "CUP", "T1-CUP", "T1")
    assert leftovers(products, skus, [mug]) == {"P1": Leftover("P1", "T1", ("CUP",))}


def test_a_sku_is_not_added_while_its_listing_holds_a_sku_the_erp_lacks(tmp_path: Path) -> None:
    """P1 (MUG, CUP) is created as T1; the ERP then drops CUP and gains BOWL. An edit adding BOWL
    lists every SKU T1 keeps, and would delete CUP if the platform replaces them as the reference
    reads: so the content goes alone (once), BOWL is a record error naming P1, BOWL and CUP, run
    after run, and BOWL is added once CUP is back in P1. The read after the edit reads P1 again
    (its content drifts held open while T1 keeps CUP), so the edit is not "not verified"."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    Center.calls.clear()
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    report = shop.run()
    assert [c for c in Center.calls if c[0] == "edit"] == [("edit", "T1", ())], Center.calls  # no skus list
    assert [(r.status, r.detail) for r in report.actions if r.action.kind == "edit_listing"] == [("applied", None)]
    assert not [n for n in report.notes if "not verified" in n], report.notes
    (error,) = [e for e in report.record_errors if "BOWL" in e]
    assert all(w in error for w in ("P1", "T1", "CUP", "Seller Center", "ERP")), error
    assert Center.products["T1"] == {"MUG": "T1-MUG", "CUP": "T1-CUP"}
    Center.calls.clear()
    again = shop.run()  # BOWL is not recorded as added: refused again, the content not resent
    assert not [c for c in Center.calls if c[0] == "edit"], Center.calls
    assert [e for e in again.record_errors if "BOWL" in e]
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7"), ("P1", "BOWL", "2", "1")])
    back = shop.run()
    assert ("edit", "T1", ("MUG", "CUP", "BOWL")) in Center.calls, Center.calls
    assert not [e for e in back.record_errors if "BOWL" in e] and "BOWL" in Center.products["T1"]


def test_a_refused_sku_added_by_hand_in_seller_center_is_found_and_no_longer_refused(tmp_path: Path) -> None:
    """The other way out the error names: CUP is to go, so the seller deletes it in Seller Center
    and adds BOWL there by hand; the next run finds BOWL in T1 by seller_sku and binds it."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    assert [e for e in shop.run().record_errors if "BOWL" in e]
    Center.products["T1"] = {"MUG": "T1-MUG", "BOWL": "T1-BOWL"}
    Center.calls.clear()
    report = shop.run()
    assert not [e for e in report.record_errors if "BOWL" in e], report.record_errors
    assert [c for c in Center.calls if c[0] == "edit"] == [("edit", "T1", ())], Center.calls  # no skus list


def test_a_leftover_deleted_in_seller_center_is_forgotten_once_a_search_shows_its_listing(tmp_path: Path) -> None:
    """The error's way out taken: CUP, which P1 no longer has, is deleted in Seller Center and BOWL
    added there by hand. The search that finds BOWL returns T1 without CUP, so CUP's binding no
    longer places it in T1: its warning resolves, and PLATE, which the ERP adds next, is added by
    an edit listing MUG and BOWL, with no error naming CUP."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    (warning,) = _warnings(shop.run())
    Center.products["T1"] = {"MUG": "T1-MUG", "BOWL": "T1-BOWL"}  # as the error advises
    fixed = shop.run()
    assert not _warnings(fixed) and warning.fingerprint in fixed.resolved, fixed.drifts
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1"), ("P1", "PLATE", "1", "1")])
    Center.calls.clear()
    report = shop.run()
    assert not report.record_errors, report.record_errors
    assert ("edit", "T1", ("MUG", "BOWL", "PLATE")) in Center.calls, Center.calls
    assert Center.products["T1"] == {"MUG": "T1-MUG", "BOWL": "T1-BOWL", "PLATE": "T1-PLATE"}


def test_a_leftover_deleted_in_seller_center_alone_lets_the_refused_sku_be_added(tmp_path: Path) -> None:
    """CUP, which P1 no longer has, is deleted in Seller Center and BOWL is not added there by
    hand. The search for BOWL finds nothing, so it also asks for a SKU bound in T1 (MUG): its
    hit shows T1 without CUP, CUP is forgotten and its warning resolves, and the same run adds
    BOWL with an edit listing MUG and BOWL, instead of refusing BOWL run after run."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    (warning,) = _warnings(shop.run())
    del Center.products["T1"]["CUP"]  # deleted, as the warning advises; BOWL not added by hand
    Center.calls.clear()
    report = shop.run()
    assert not [e for e in report.record_errors if "BOWL" in e], report.record_errors
    assert not _warnings(report) and warning.fingerprint in report.resolved, report.drifts
    assert ("edit", "T1", ("MUG", "BOWL")) in Center.calls, Center.calls
    assert Center.products["T1"] == {"MUG": "T1-MUG", "BOWL": "T1-BOWL"}


def test_a_leftover_still_on_sale_keeps_the_new_sku_refused_though_its_listing_is_searched(tmp_path: Path) -> None:
    """The bound SKU searched beside BOWL shows T1 still holding CUP: nothing is forgotten, BOWL
    stays refused and CUP's warning open."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    (warning,) = _warnings(shop.run())
    Center.calls.clear()
    report = shop.run()
    assert [e for e in report.record_errors if "BOWL" in e], report.record_errors
    assert [d.fingerprint for d in _warnings(report)] == [warning.fingerprint]
    assert not [c for c in Center.calls if c[0] == "edit"], Center.calls
    assert Center.products["T1"] == {"MUG": "T1-MUG", "CUP": "T1-CUP"}


def test_a_hit_listing_only_the_skus_searched_does_not_forget_a_leftover_still_on_sale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seller plugin may answer each listing with the SKUs searched for alone (``whole`` left
    False). CUP, which P1 no longer has, is still on sale in T1 when BOWL is added there by hand:
    the search that finds BOWL answers T1 without CUP, yet CUP stays placed in T1 and its
    warning stays open."""

    def only_searched(self: Center, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        return {
            k: tuple(FoundListing(pid, {k: listing[k]}) for pid, listing in Center.products.items() if k in listing)
            for k in skus
            if any(k in listing for listing in Center.products.values())
        }

    monkeypatch.setattr(Center, "find_listings", only_searched)
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    (warning,) = _warnings(shop.run())
    Center.products["T1"]["BOWL"] = "T1-BOWL"  # added by hand; CUP is still on sale
    report = shop.run()
    assert [d.fingerprint for d in _warnings(report)] == [warning.fingerprint], report.drifts
    assert warning.fingerprint not in report.resolved


def test_an_edit_answer_without_a_leftover_does_not_forget_it(tmp_path: Path) -> None:
    """Whether an edit's answer lists every SKU of the product is not documented, so an answer
    that leaves CUP out does not clear it: CUP is deleted in Seller Center and dropped from P1, and
    the edit that follows answers T1 with MUG alone, yet CUP's warning stays open (to acknowledge)."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    del Center.products["T1"]["CUP"]
    shop.write([("P1", "MUG", "4", "5")])
    Center.calls.clear()
    (warning,) = _warnings(shop.run())
    assert [c for c in Center.calls if c[0] == "edit"] == [("edit", "T1", ())], Center.calls
    again = shop.run()
    assert [d.fingerprint for d in _warnings(again)] == [warning.fingerprint] and not again.resolved


def test_a_re_keyed_product_found_in_a_listing_without_a_leftover_forgets_it(tmp_path: Path) -> None:
    """P2 (CUP, BOWL) is T2 and leaves the ERP; CUP is deleted in Seller Center. The ERP then adds
    BOWL as P4: the search that finds P4 in T2 returns T2 without CUP, so no warning is left about
    CUP, neither under P2 nor under P4, which took T2."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P2", "CUP", "3", "7"), ("P2", "BOWL", "2", "1")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5")])
    assert len(_warnings(shop.run())) == 2
    del Center.products["T2"]["CUP"]
    shop.write([("P1", "MUG", "4", "5"), ("P4", "BOWL", "2", "1")])
    report = shop.run()
    assert not report.record_errors and not _warnings(report), (report.record_errors, _warnings(report))
    assert not _warnings(shop.run())


def test_an_edit_refused_unsent_run_after_run_pushes_no_price_or_stock_each_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T1 holds HAND, a SKU made by hand in Seller Center, and the ERP adds BOWL to P1: the edit
    listing MUG and BOWL is refused unsent (as the TikTok writer refuses an edit that would delete
    a SKU), run after run. It sends MUG with the price and stock recorded for it, so they are not
    forgotten: no run pushes them again."""
    real = Center.edit_listing

    def guarded(self: Center, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        listed = {s["id"] for s in changes.get("skus") or () if "id" in s}
        if changes.get("skus") and (left := [k for k, i in Center.products[product_id].items() if i not in listed]):
            Center.calls.append(("refused", product_id, tuple(left)))
            raise PermanentError(f"not sent: would delete {left}", connector="center", operation="edit product")
        return real(self, product_id, changes)

    monkeypatch.setattr(Center, "edit_listing", guarded)
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5")])
    shop.run()
    Center.products["T1"]["HAND"] = "T1-HAND"
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    for _ in range(3):
        Center.calls.clear()
        shop.run()
        assert [c[0] for c in Center.calls] == ["refused"], Center.calls


def test_with_no_sku_of_the_listing_left_bound_the_error_does_not_say_deleting_is_enough(tmp_path: Path) -> None:
    """Every SKU of P1 renamed in the ERP: no SKU bound in T1 is left to search for, so only the
    way out that works is given (add the new SKU by hand), not "deleting them is enough"."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    shop.write([("P1", "BOWL", "2", "1")])
    (error,) = [e for e in shop.run().record_errors if "BOWL" in e]
    assert "add the new SKU to that product there by hand" in error and "is enough" not in error, error
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    (error,) = [e for e in shop.run().record_errors if "BOWL" in e]
    assert "deleting them is enough: the next run's search for MUG" in error, error


def test_the_refusal_tells_a_seller_whose_hits_are_partial_to_acknowledge_the_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin's hits list the SKUs searched alone, so a search never shows CUP deleted: the
    error does not promise that its warning resolves by itself there."""
    real = Center.find_listings

    def partial(self: Center, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        return {k: tuple(FoundListing(h.product_id, h.skus) for h in hits) for k, hits in real(self, skus).items()}

    monkeypatch.setattr(Center, "find_listings", partial)
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    shop.write([("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1")])
    (error,) = [e for e in shop.run().record_errors if "BOWL" in e]
    assert "else acknowledge them" in error and "Where the seller's search shows whole products" in error, error
    del Center.products["T1"]["CUP"]
    Center.products["T1"]["BOWL"] = "T1-BOWL"  # the way out for every seller
    report = shop.run()
    assert not [e for e in report.record_errors if "BOWL" in e], report.record_errors
    assert [d.field for d in _warnings(report)] == ["CUP"]  # to acknowledge, as the error says


@pytest.mark.parametrize(
    "error",
    [
        RecordError("skus[0].price: not a number", record="product T1", source="TikTok search"),
        TemporaryError("read timed out", connector="center", operation="search products"),
    ],
    ids=["hit-unreadable", "timed-out"],
)
def test_a_failed_search_of_a_listing_with_a_dropped_sku_is_a_note_and_holds_nothing_else_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """MUG is searched to see whether T1 still holds CUP, in a search of its own; its hit cannot
    be read, or the call times out after its retries. Only CUP's warning and BOWL wait on it: a
    note says what could not be told, BOWL stays refused (CUP may be on sale), and P2's price and
    new FORK are pushed in the same run."""
    real = Center.find_listings

    def failing(self: Center, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        if "MUG" in skus:
            raise error
        return real(self, skus)

    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7"), ("P2", "PLATE", "1", "1")])
    shop.run()
    monkeypatch.setattr(Center, "find_listings", failing)
    Center.calls.clear()
    rows = [("P1", "MUG", "4", "5"), ("P1", "BOWL", "2", "1"), ("P2", "PLATE", "9", "1"), ("P2", "FORK", "1", "1")]
    shop.write(rows)
    report = shop.run()
    assert report.error is None, report.error
    assert any(n.startswith("could not tell whether SKUs the ERP dropped") for n in report.notes), report.notes
    assert [e for e in report.record_errors if "BOWL" in e]
    assert ("price", "T2", ("T2-PLATE",)) in Center.calls and "FORK" in Center.products["T2"], Center.calls
