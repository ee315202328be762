"""The files ERP's products file, and what the listings aspect records in the bindings after a push."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from erpsync.connectors.files import FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.connectors.files.products import PRODUCT_COLUMNS
from erpsync.core.aspects.listing_bindings import bound_listings, record_push
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError
from erpsync.core.listings import ErpProduct, ErpSku
from erpsync.core.store import Store

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HEADER = ",".join(PRODUCT_COLUMNS) + "\n"


def erp(tmp_path: Path, **options: str) -> FilesErp:
    opts = FilesErpOptions().load({"path": "erp", **options})
    return FilesErp(opts, shop=ShopContext(name="s", base_dir=tmp_path))


def write(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / "erp").mkdir(exist_ok=True)
    (tmp_path / "erp" / name).write_text(text, encoding="utf-8")


def test_without_the_option_the_erp_keeps_no_products(tmp_path):
    assert erp(tmp_path).read_products() is None


def test_rows_of_one_id_are_the_skus_of_one_product(tmp_path):
    write(
        tmp_path,
        "products.csv",
        HEADER + "P1,SHIRT-S,Cotton shirt,Soft,12.50,USD,5,front.jpg|back.jpg,material=Cotton|fit=Slim\n"
        "P1,SHIRT-M,ignored title,,13,USD,0,,\n"
        "P2,MUG,Mug,,4,EUR,99999,,\n",
    )
    read = erp(tmp_path, products="products.csv").read_products()
    assert read is not None and read.errors == ()
    shirt, mug = read.items
    assert shirt.title == "Cotton shirt" and shirt.images == ("front.jpg", "back.jpg")
    assert shirt.attributes == (("material", "Cotton"), ("fit", "Slim"))
    assert [(s.seller_sku, s.price, s.inventory) for s in shirt.skus] == [
        ("SHIRT-S", Decimal("12.50"), 5),
        ("SHIRT-M", Decimal("13"), 0),
    ]
    assert shirt.source == "erp/products.csv:2" or shirt.source.endswith("products.csv:2")
    assert mug.currency == "EUR" and mug.skus[0].inventory == 99_999


def test_bad_rows_name_file_line_and_field_and_the_rest_goes_on(tmp_path):
    write(
        tmp_path,
        "products.csv",
        HEADER + "P1,,No sku,,1,USD,1,,\n"  # line 2: missing SKU
        "P2,NEG,Negative,,-3,USD,1,,\n"  # line 3: negative price
        "P3,OK,Fine,,2,USD,1,,\n"
        "P4,OK,Same SKU,,2,USD,1,,\n"  # line 5: seller_sku used twice
        "P5,BIG,Too many,,2,USD,100000,,\n"  # line 6: stock over the API's limit
        "P6,ATTR,Bad attribute,,2,USD,1,,colour\n"  # line 7: not name=value
        "P7,HUGE,Huge price,,1e999999,USD,1,,\n"  # line 8: a price no shop sets
        "P8,OK,Its first row reuses a SKU,,2,USD,1,,\n"  # line 9: first row fails...
        "P8,P8-2,Second row,,2,USD,1,,\n",  # line 10: ...so the product is left out whole
    )
    read = erp(tmp_path, products="products.csv").read_products()
    assert read is not None
    assert [p.id for p in read.items] == ["P3"]
    texts = [str(e) for e in read.errors]
    assert any("products.csv:2: product 'P1': seller_sku:" in t for t in texts), texts
    assert any("products.csv:3: product 'P2': price: must be a number > 0" in t for t in texts), texts
    assert any("products.csv:5: product 'P4': seller_sku: seller_sku 'OK' is used twice" in t for t in texts), texts
    assert any("products.csv:6: product 'P5': inventory: at most 99,999" in t for t in texts), texts
    assert any("products.csv:7: product 'P6': attributes:" in t for t in texts), texts
    assert any("products.csv:8: product 'P7': price: out of range: at most 12 digits" in t for t in texts), texts
    assert any("products.csv:10: product 'P8': the product's first row is malformed" in t for t in texts), texts


def test_json_products_take_lists_objects_and_numbers(tmp_path):
    rows = [
        {
            "id": 7,
            "seller_sku": "A-1",
            "title": "Lamp",
            "price": 19.9,
            "currency": "USD",
            "inventory": 3,
            "images": ["u1", "u2"],
            "attributes": {"material": "Glass"},
        }
    ]
    write(tmp_path, "products.json", json.dumps(rows))
    read = erp(tmp_path, products="products.json").read_products()
    assert read is not None and read.errors == ()
    (lamp,) = read.items
    assert lamp.id == "7" and lamp.skus[0].price == Decimal("19.9") and lamp.images == ("u1", "u2")
    assert lamp.attributes == (("material", "Glass"),)


def test_a_missing_products_file_is_a_permanent_error_naming_it(tmp_path):
    (tmp_path / "erp").mkdir()
    with pytest.raises(PermanentError, match=r"products\.csv: cannot read"):
        erp(tmp_path, products="products.csv").read_products()


def shirt() -> ErpProduct:
    skus = (ErpSku("S", Decimal("1"), 1), ErpSku("M", Decimal("2"), 2))
    return ErpProduct("P1", "Shirt", "", "USD", skus)


def test_pushes_are_recorded_and_read_back_as_what_was_last_pushed(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    bindings = store.bindings
    assert bound_listings(bindings, "shop", [shirt()]) == {}
    body = {
        "skus": [
            {
                "seller_sku": "S",
                "price": {"amount": "1", "currency": "USD"},
                "inventory": [{"warehouse_id": "W", "quantity": 1}],
            },
            {
                "seller_sku": "M",
                "price": {"amount": "2", "currency": "USD"},
                "inventory": [{"warehouse_id": "W", "quantity": 2}],
            },
        ]
    }
    created = {"erp_id": "P1", "body": body, "hash": "h1", "product_id": "T1", "answer": {"S": "s1", "M": "m1"}}
    record_push(bindings, "shop", "create", created, NOW)
    (listing,) = bound_listings(bindings, "shop", [shirt()]).values()
    assert (listing.product_id, listing.content_hash) == ("T1", "h1")
    assert listing.sku_ids == {"S": "s1", "M": "m1"}
    assert listing.prices == {"S": "1 USD", "M": "2 USD"} and listing.inventory == {"S": "W=1", "M": "W=2"}

    pushed = {"S": {"id": "s1", "quantity": 9}, "M": {"id": "m1", "quantity": 8}}
    stock = {"erp_id": "P1", "product_id": "T1", "warehouse_id": "W", "skus": pushed}
    record_push(bindings, "shop", "inventory", stock, NOW, failed={"m1"})  # the API refused M
    (listing,) = bound_listings(bindings, "shop", [shirt()]).values()
    assert listing.inventory == {"S": "W=9", "M": "W=2"}  # M keeps what was last pushed: pushed again
    assert bound_listings(bindings, "other shop", [shirt()]) == {}


def test_a_product_with_a_later_row_unread_is_read_partial(tmp_path):
    """A malformed or undecodable row after a product's first leaves the product without that SKU:
    it is read, marked ``partial`` so its content is not pushed without it (docs/listings.md)."""
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "products.csv").write_bytes(
        (
            HEADER + "P1,MUG,Mug,,4,USD,5,,\n"
            "P1,CUP,Mug,,-3,USD,5,,\n"  # a bad price
            "P2,PLATE,Plate,,4,USD,5,,\n"
            "P2,MUG,Plate,,4,USD,5,,\n"  # P1's SKU
            "P3,BOWL,Bowl,,4,USD,5,,\n"
            "P4,SPOON,Spoon,,4,USD,5,,\n"
        ).encode()
        + b"P4,FORK,Fork \xff,,4,USD,5,,\n"  # not UTF-8: set aside
    )
    read = erp(tmp_path, products="products.csv").read_products()
    assert read is not None and len(read.errors) == 3, read.errors
    assert {p.id: ([s.seller_sku for s in p.skus], p.partial) for p in read.items} == {
        "P1": (["MUG"], True),
        "P2": (["PLATE"], True),
        "P3": (["BOWL"], False),
        "P4": (["SPOON"], True),
    }


def test_a_seller_sku_is_claimed_by_its_row_even_when_the_rest_of_the_row_is_bad(tmp_path):
    """P6's row for F2 has a bad price, and P7 gives F2 too: F2 is used twice whatever else is
    wrong with its first row, so it is not read into P7 (and pushed there) unsaid. A product whose
    first row reuses a bad row's SKU is left out whole."""
    write(
        tmp_path,
        "products.csv",
        HEADER + "P6,F1,Pot,,3,USD,2,,\n"
        "P6,F2,Pot,,oops,USD,2,,\n"  # line 3: a bad price
        "P7,G1,Pan,,3,USD,2,,\n"
        "P7,F2,Pan,,3,USD,2,,\n"  # line 5: P6's SKU
        "P8,H1,Lid,,-1,USD,2,,\n"  # line 6: P8's first row is bad...
        "P9,H1,Jar,,3,USD,2,,\n",  # line 7: ...and P9's first row gives its SKU
    )
    read = erp(tmp_path, products="products.csv").read_products()
    assert read is not None
    assert {p.id: ([s.seller_sku for s in p.skus], p.partial) for p in read.items} == {
        "P6": (["F1"], True),
        "P7": (["G1"], True),
    }
    texts = [str(e) for e in read.errors]
    assert any("products.csv:3: product 'P6': price: not a decimal number" in t for t in texts), texts
    twice = "seller_sku: seller_sku {!r} is used twice (first on line {})"
    assert any(f"products.csv:5: product 'P7': {twice.format('F2', 3)}" in t for t in texts), texts
    assert any(f"products.csv:7: product 'P9': {twice.format('H1', 6)}" in t for t in texts), texts
    assert len(texts) == 4, texts


def test_a_later_row_in_another_currency_is_an_error_not_priced_in_the_first(tmp_path):
    """A product's SKUs are pushed in the currency of its first row: a row priced 3 EUR after a
    USD row would go out as 3 USD. It is a record error on its currency, and the product is read
    without that SKU, partial (its content waits for the row, as for any bad later row)."""
    write(
        tmp_path,
        "products.csv",
        HEADER + "P5,E1,Pan,,3,USD,2,,\n"
        "P5,E2,Pan,,3,EUR,2,,\n"  # line 3
        "P5,E3,Pan,,4,USD,2,,\n",
    )
    read = erp(tmp_path, products="products.csv").read_products()
    assert read is not None
    (pan,) = read.items
    assert (pan.currency, [s.seller_sku for s in pan.skus], pan.partial) == ("USD", ["E1", "E3"], True)
    (error,) = [str(e) for e in read.errors]
    assert error.endswith(
        "products.csv:3: product 'P5': currency: EUR is not the product's currency, USD (its first row, "
        "line 2): a product's SKUs are priced in one currency"
    ), error
