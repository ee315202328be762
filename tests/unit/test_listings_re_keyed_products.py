"""An ERP product re-keyed by the ERP (P1 removed, its SKUs now under P3) takes P1's listing.

These run the real Syncer, SQLite bindings and the files ERP against the in-memory Seller Center
of ``test_listings_moved_skus``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_listings_moved_skus import Center, Shop, _fresh  # noqa: F401  (autouse fixture)

from erpsync.core.aspects import listing_lookup
from erpsync.core.aspects.listing_leftovers import SKU_NOT_IN_ERP
from erpsync.core.models import AspectReport


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
