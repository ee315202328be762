"""Forgetting an ERP product's listing binding, and what the next product found in the listing keeps.

A listing bound to one ERP product is never bound to another (``listing_lookup.py``: two ERP
products on one listing would push their content over each other's). So an ERP product renamed
while its listing exists (P2 becomes P3, with the same SKUs) is a record error on every run: P3's
SKUs are found in P2's listing. The operator's way out is to forget P2's binding
(``erpsync bindings --forget-listing P2``): the next run finds the listing by seller_sku and binds
it to P3, creating nothing, as P3 has every SKU the listing holds (a product lacking one is
refused: ``listing_owners.py``). Which rows go and which stay:

- the ``product`` row goes: it is the binding, and it is what keeps P3 out of the listing;
- the ``source`` row (P2's fingerprint) goes: it vouches only for P2's bindings;
- ``sku`` rows stay: seller_sku → SKU id and listing is a fact about Seller Center, not about
  the ERP product, and says which SKUs the listing holds; the search that binds P3 writes them
  again as it finds them;
- ``price`` and ``inventory`` rows stay: seller_sku → the SKU id and the value last pushed to
  it. The value went to that SKU id whichever ERP product holds it, so a product found with the
  same SKU id takes it (``Kept.listing``) and nothing is pushed again that Seller Center has;
- the content hash last pushed to the listing is kept under entity ``forgotten`` (Seller Center
  product id → the ERP product forgotten, the hash). The product found next in that listing
  takes it: a content equal to what was pushed (a rename changes no content) is not edited
  again, which would send the live product to audit for nothing; a content that differs is
  edited once, as for any bound product. Taken once, it is cleared (``bind_found``).

Without a ``forgotten`` row (a lost state store, a listing made by hand) a product found has no
content hash, and its content is pushed once, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from erpsync.core.errors import ErpsyncError
from erpsync.core.listing_ports import BindingState, ListingBindings
from erpsync.core.listing_source import SOURCE
from erpsync.core.listings import INVENTORY, PRICE, PRODUCT, BoundListing

__all__ = ["FORGOTTEN", "Kept", "ListingBinding", "forget_listings", "listing_bindings"]

#: the binding entity a forgotten product's listing keeps its content hash in (Seller Center product
#: id → the ERP product id forgotten, the content hash last pushed to the listing)
FORGOTTEN = "forgotten"


class ForgettingBindings(ListingBindings, Protocol):
    """The bindings, able to drop rows too (``store.bindings``)."""

    def forget(self, shop: str, entity: str, erp_ids: list[str] | None = None) -> int:
        """Drop the rows of these ERP ids; how many went."""
        ...


@dataclass(frozen=True)
class ListingBinding:
    """One ERP product's listing: its Seller Center product and the SKUs kept in it (seller_sku →
    SKU id)."""

    erp_id: str
    product_id: str
    skus: Mapping[str, str]


def listing_bindings(products: Mapping[str, BindingState], skus: Mapping[str, BindingState]) -> list[ListingBinding]:
    """Pure: every bound ERP product of a shop, by ERP id, with the SKUs its listing holds.

    ``products`` and ``skus`` are the shop's ``product`` and ``sku`` rows. A SKU is in a listing
    when its row names that Seller Center product; rows written before SKUs named theirs are
    placed by none, as in ``listing_leftovers.py``.
    """
    in_listing: dict[str, dict[str, str]] = {}
    for seller_sku, row in sorted(skus.items()):
        if row.seller_id and row.last_pushed_hash:
            in_listing.setdefault(row.last_pushed_hash, {})[seller_sku] = row.seller_id
    return [
        ListingBinding(erp_id, row.seller_id, in_listing.get(row.seller_id, {}))
        for erp_id, row in sorted(products.items())
        if row.seller_id
    ]


def forget_listings(bindings: ForgettingBindings, shop: str, erp_ids: Sequence[str], now: datetime) -> dict[str, str]:
    """Forget the listing bindings of ``erp_ids`` (module docstring); ``{erp id: Seller Center product id}``.

    An id with no listing binding is an error naming it, and then nothing is forgotten. The
    content hash is kept before the binding goes: stopped in between, the product is still
    bound, and forgetting it again does the rest.
    """
    rows = bindings.for_entity(shop, PRODUCT)
    unknown = [i for i in erp_ids if (row := rows.get(i)) is None or not row.seller_id]
    if unknown:
        named = ", ".join(repr(i) for i in unknown)
        raise ErpsyncError(
            f"shop {shop!r}: no listing binding for ERP product {named}; `erpsync bindings --listings` lists them"
        )
    gone: dict[str, str] = {}
    for erp_id in dict.fromkeys(erp_ids):
        row = rows[erp_id]
        product_id = str(row.seller_id)
        bindings.put(shop, FORGOTTEN, product_id, seller_id=erp_id, last_pushed_hash=row.last_pushed_hash, now=now)
        bindings.forget(shop, SOURCE, [erp_id])
        bindings.forget(shop, PRODUCT, [erp_id])
        gone[erp_id] = product_id
    return gone


@dataclass(frozen=True)
class Kept:
    """What the bindings still hold for listings no ERP product is bound to: read when a search
    finds unbound products, so that binding one pushes again only what Seller Center lacks."""

    hashes: Mapping[str, str] = field(default_factory=dict)  # Seller Center product id -> content hash
    prices: Mapping[str, BindingState] = field(default_factory=dict)  # seller_sku -> row
    stock: Mapping[str, BindingState] = field(default_factory=dict)  # seller_sku -> row

    @classmethod
    def read(cls, bindings: ListingBindings, shop: str, gone: Mapping[str, str] | None = None) -> Kept:
        """Three queries for a whole shop. ``gone``: Seller Center product id → the content hash
        last pushed to it for an ERP product the catalogue no longer has (re-keyed by the ERP, as
        ``listing_owners`` finds), which the product found there takes as a forgotten one's."""
        forgotten = bindings.for_entity(shop, FORGOTTEN)
        hashes = {pid: row.last_pushed_hash for pid, row in forgotten.items() if row.last_pushed_hash}
        hashes.update(gone or {})
        return cls(hashes, bindings.for_entity(shop, PRICE), bindings.for_entity(shop, INVENTORY))

    def listing(self, product_id: str, sku_ids: Mapping[str, str]) -> BoundListing:
        """A product found in ``product_id`` with ``sku_ids``: the content hash a forgotten binding
        left for the listing, and each value pushed to the very SKU id found (as ``bound_listings``
        reads them)."""
        prices = {k: r.last_pushed_hash for k, i in sku_ids.items() if (r := self.prices.get(k)) and r.seller_id == i}
        stock = {k: r.last_pushed_hash for k, i in sku_ids.items() if (r := self.stock.get(k)) and r.seller_id == i}
        return BoundListing(product_id, self.hashes.get(product_id), sku_ids, prices, stock)
