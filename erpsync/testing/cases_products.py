"""Contract cases for ``ProductReader``: the catalogue the listings aspect pushes to Seller Center.

Every product read is pushed: a price read wrong is a wrong price on the shop, a product read
twice under one id makes the listings aspect push one of two at random, and a read that changes
the system (a "last synced" stamp) makes each run find a change to push. So the catalogue must
come back exactly as seeded, the same on every read, each product naming where it was read
(``source``) so that an error about it names the record an operator fixes.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from erpsync.core.listing_ports import ProductReader
from erpsync.core.listings import ErpProduct
from erpsync.core.models import Records

from .contract_base import ContractBase
from .harness import Harness, need
from .samples import duplicates
from .samples_commerce import SAMPLE_PRODUCTS, commerce_problems, comparable_product

#: why ``None`` fails these cases: it means "this ERP keeps no catalogue", not "an empty one"
NONE_MEANS = (
    "read_products() returned None, which says the ERP keeps no catalogue: configure the connector "
    "in build_connector so that it reads one"
)


class ProductCases(ContractBase):
    def _products(self, erp: Harness, products: Sequence[ErpProduct]) -> ProductReader:
        need(erp.connect(), ProductReader)
        self.seed_products(erp.system, list(products))
        connector = erp.connect()
        assert isinstance(connector, ProductReader)
        return connector

    def _read_products(self, reader: ProductReader) -> Records[ErpProduct]:
        records = reader.read_products()
        if records is None:
            pytest.fail(NONE_MEANS, pytrace=False)
        return records

    def test_products_read_as_seeded(self, erp: Harness) -> None:
        records = self._read_products(self._products(erp, SAMPLE_PRODUCTS))
        assert commerce_problems(records, ErpProduct) == []
        assert [str(e) for e in records.errors] == [], "a clean seed must read without record errors"
        assert duplicates([p.id for p in records.items]) == [], "each product must be read once, under one id"
        got = {p.id: comparable_product(p, self.lacking_fields) for p in records.items}
        assert got == {p.id: comparable_product(p, self.lacking_fields) for p in SAMPLE_PRODUCTS}

    def test_an_empty_catalogue_reads_as_no_products(self, erp: Harness) -> None:
        records = self._read_products(self._products(erp, []))
        assert commerce_problems(records, ErpProduct) == []
        assert (records.items, [str(e) for e in records.errors]) == ((), [])

    def test_every_product_names_its_source(self, erp: Harness) -> None:
        records = self._read_products(self._products(erp, SAMPLE_PRODUCTS))
        nameless = [p.id for p in records.items if not (isinstance(p.source, str) and p.source.strip())]
        assert nameless == [], "each product needs a source (where it was read) for messages about it"

    def test_reading_products_changes_nothing(self, erp: Harness) -> None:
        """Twice through one connector, then through a fresh one: the same products, sources included."""
        reader = self._products(erp, SAMPLE_PRODUCTS)
        first = self._read_products(reader).items
        assert self._read_products(reader).items == first, "a second read through the same connector differs"
        fresh = erp.connect()
        assert isinstance(fresh, ProductReader)
        assert self._read_products(fresh).items == first, (
            "a read through a fresh connector differs: did a read change it?"
        )
