"""Forgetting a listing binding against the sandbox: an ERP product renamed while its listing exists.

A listing is bound to one ERP product. P2 renamed to P3 (the same SKUs) takes P2's listing by
itself once a read without record errors no longer has P2; while the reads have record errors
(P2's rows might be among the unread), P3 is a record error on every run: P3's SKUs are in P2's
listing. ``erpsync bindings --forget-listing P2`` frees it, and the next run binds P3 to that
same Seller Center product. Either way: no second create, and nothing pushed again that the
listing already has (the sandbox's ``/_sandbox/effects`` count every write).
"""

from __future__ import annotations

import json

import pytest
from image_bytes import png
from listing_shop import COLUMNS, configure, listing_skus, run_listings, upload_image

from erpsync.core.aspects.listing_forget import FORGOTTEN
from erpsync.core.store import Store

pytestmark = pytest.mark.integration


def write_products(ws, erp_id: str, *, bad_row: bool = False) -> None:
    """One mug in two sizes, under ERP product id ``erp_id``; ``bad_row``: and a lamp whose price
    is negative, a record error of the read."""
    (ws.root / "erp").mkdir(exist_ok=True)
    rows = [(erp_id, "MUG-S", "4", "10"), (erp_id, "MUG-L", "5", "6")]
    rows += [("P9", "LAMP", "-1", "1")] if bad_row else []
    lines = [",".join(COLUMNS)] + [f"{p},{k},Mug,About the mug,{c},USD,{q},front.png," for p, k, c, q in rows]
    (ws.root / "erp" / "products.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def effects(ws) -> dict[str, dict[str, int]]:
    return {k: v for k, v in ws.admin("GET", "effects").items() if v}


def listings(ws) -> list[dict]:
    done = ws.cli("bindings", "--listings", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["listings"]


def test_a_renamed_product_is_bound_to_its_listing_once_the_old_binding_is_forgotten(demo_ws):
    configure(demo_ws, f'images = {{ "front.png" = "{upload_image(demo_ws, png())}" }}\n')
    demo_ws.admin("DELETE", "effects")
    write_products(demo_ws, "P2")
    run_listings(demo_ws)
    assert effects(demo_ws) == {"product_create": {"MUG-S": 1, "MUG-L": 1}}
    ((product_id, sku_ids),) = listing_skus(demo_ws, "MUG-S").items()
    (bound,) = listings(demo_ws)
    assert (bound["erp_id"], bound["product_id"], bound["skus"]) == ("P2", product_id, sku_ids)

    write_products(demo_ws, "P3", bad_row=True)  # renamed in the ERP, its SKUs the same; a read with errors
    renamed = run_listings(demo_ws)
    assert [r.action.kind for r in renamed.actions] == []
    assert any("'P3'" in e and "--forget-listing P2" in e for e in renamed.record_errors), renamed.record_errors
    assert [e for e in renamed.record_errors if "'P3'" in e] == [
        e for e in run_listings(demo_ws).record_errors if "'P3'" in e
    ]  # on every run

    unknown = demo_ws.cli("bindings", "--shop", "shop", "--forget-listing", "P7")
    assert unknown.returncode == 1 and "no listing binding for ERP product 'P7'" in unknown.stderr
    forgot = demo_ws.cli("bindings", "--shop", "shop", "--forget-listing", "P2")
    assert forgot.returncode == 0, forgot.stderr
    assert listings(demo_ws) == []

    demo_ws.admin("DELETE", "effects")
    write_products(demo_ws, "P3")  # the lamp's row mended
    rebound = run_listings(demo_ws)
    assert rebound.record_errors == [] and rebound.actions == []  # the content, price and stock are there
    assert effects(demo_ws) == {}  # no second create, nothing pushed again
    assert listing_skus(demo_ws, "MUG-S") == {product_id: sku_ids}
    (bound,) = listings(demo_ws)
    assert (bound["erp_id"], bound["product_id"], bound["skus"]) == ("P3", product_id, sku_ids)
    with Store.open(f"sqlite:///{demo_ws.root / 'state.db'}") as store:
        # taken once: cleared; and the warnings about P2's SKUs resolved, no ERP product holding them now
        assert [r.last_pushed_hash for r in store.bindings.for_entity("shop", FORGOTTEN).values()] == [None]
        assert store.drifts.list_open("shop") == []

    quiet = run_listings(demo_ws)
    assert (quiet.actions, quiet.drifts, quiet.record_errors) == ([], [], [])
    assert effects(demo_ws) == {}


def test_a_product_the_erp_re_keys_takes_its_listing_with_what_was_pushed_to_it(demo_ws):
    """P2 renamed to P3 and a read without record errors: P3 takes P2's listing by itself, with
    the content hash P2 last pushed and the values pushed to the same SKU ids, so nothing is
    pushed again, and no warning or error is left."""
    configure(demo_ws, f'images = {{ "front.png" = "{upload_image(demo_ws, png())}" }}\n')
    write_products(demo_ws, "P2")
    run_listings(demo_ws)
    ((product_id, sku_ids),) = listing_skus(demo_ws, "MUG-S").items()
    demo_ws.admin("DELETE", "effects")

    write_products(demo_ws, "P3")
    rebound = run_listings(demo_ws)
    assert (rebound.actions, rebound.record_errors) == ([], []), (rebound.actions, rebound.record_errors)
    assert effects(demo_ws) == {}  # no second create, nothing pushed again
    (bound,) = listings(demo_ws)
    assert (bound["erp_id"], bound["product_id"], bound["skus"]) == ("P3", product_id, sku_ids)
    quiet = run_listings(demo_ws)
    assert (quiet.actions, quiet.drifts, quiet.record_errors) == ([], [], [])
    assert effects(demo_ws) == {}


def test_a_renamed_product_whose_content_changed_too_is_edited_once(demo_ws):
    """The content hash the forgotten binding left is the listing's: a product found in it whose
    content differs (here a new title) gets one edit, and its price and stock, already there,
    are not pushed again."""
    configure(demo_ws, f'images = {{ "front.png" = "{upload_image(demo_ws, png())}" }}\n')
    write_products(demo_ws, "P2")
    run_listings(demo_ws)
    ((product_id, _),) = listing_skus(demo_ws, "MUG-S").items()
    products = demo_ws.root / "erp" / "products.csv"
    write_products(demo_ws, "P3")
    products.write_text(products.read_text(encoding="utf-8").replace(",Mug,", ",Tall mug,"), encoding="utf-8")
    assert demo_ws.cli("bindings", "--shop", "shop", "--forget-listing", "P2").returncode == 0
    demo_ws.admin("DELETE", "effects")

    rebound = run_listings(demo_ws)
    assert [(r.action.kind, r.status) for r in rebound.actions] == [("edit_listing", "applied")], rebound.actions
    assert effects(demo_ws) == {"product_edit": {product_id: 1}}
    assert run_listings(demo_ws).actions == []
