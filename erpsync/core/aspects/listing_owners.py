"""Which ERP product holds each listing a seller_sku search finds, and handing a removed one's over.

A listing bound to one ERP product is never bound to another: two ERP products on one listing
would push their content over each other's (``listing_lookup.py``). A listing whose ERP product
a read without record errors no longer has is **gone**: the ERP may have re-keyed the product
(P1 removed, its SKUs now under P3). It is handed to the product found there only when that
product has every SKU the listing holds (below): then P3 is P1 under a new key. A new product
that merely shares a SKU with P1 (P3 with MUG and BOWL, while the listing still sells P1's CUP
and PLATE) would push its content over a listing that is still P1's, so it is refused as before:
a record error naming P1.

A listing holds the SKUs the ``sku`` rows place there and, when a search hit shows the whole
listing (``FoundListing.whole``), every SKU of the hit whose ``sku`` row holds the very SKU id
found (rows written before SKUs named their product place none, yet the id says erpsync bound it
there), less the SKUs such a hit lacks. A gone listing holding none that way cannot be vouched
for, so it is not handed over either.

The same holds for a listing bound to no ERP product whose ``sku`` rows still place SKUs there
(one whose binding was forgotten, or a run stopped between the hand-over and the bind): only a
product with every SKU it holds may take it, any other found there is the record error, so a
product holding only a SKU added there by hand never pushes its content over it. With no ``sku``
row placing anything there (a lost state store, a listing made by hand) the first product found
takes it. ``--forget-listing OTHER`` is advised only to a product holding every SKU OTHER's
listing holds: only then can it be OTHER renamed.

Handing over does what ``forget_listings`` does for P1 (``listing_forget.py``), before P3 is
bound: the content hash P1 last pushed is kept as a ``forgotten`` row of the listing, then
P1's rows go. A run stopped after that and before P3's binding leaves the listing free with its
hash kept, and the next run finds P3 there and binds it as after ``--forget-listing``. The
other order would leave the listing bound to both for good, as P3, bound, is never looked up
again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from erpsync.core.aspects.listing_forget import FORGOTTEN
from erpsync.core.aspects.listing_leftovers import Leftover
from erpsync.core.aspects.listing_observation import ListingObservation
from erpsync.core.listing_ports import ListingBindings
from erpsync.core.listing_source import SOURCE
from erpsync.core.listings import PRODUCT, SKU, ErpProduct, FoundListing

__all__ = ["Owners", "hand_over", "read_owners"]


@dataclass
class Owners:
    """The ERP products holding the shop's listings, by Seller Center product id."""

    #: listing -> the ERP product bound to it, before this run or by it
    taken: dict[str, str] = field(default_factory=dict)
    #: listing of an ERP product the read no longer has -> (that product, content hash last pushed)
    gone: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    #: listing found -> the seller SKUs it holds, which a product must all have to take it if it is free
    holds: dict[str, frozenset[str]] = field(default_factory=dict)
    #: listing bound to no ERP product whose ``sku`` rows place SKUs there -> the ERP product forgotten there
    free: dict[str, str | None] = field(default_factory=dict)
    #: the ERP products bound before this run (the only ones ``--forget-listing`` can free)
    earlier: frozenset[str] = frozenset()

    def has_all(self, listing_id: str, product: ErpProduct) -> bool:
        """Whether ``product`` has every SKU ``listing_id`` holds."""
        return self.holds.get(listing_id, frozenset()) <= {s.seller_sku for s in product.skus}

    def holder(self, listing_id: str, product: ErpProduct) -> str | None:
        """The other ERP product ``listing_id`` is held by, or None: ``product`` may be bound to it.

        A free listing holding SKUs ``product`` lacks is held by the ERP product last forgotten
        there, or by ``""`` when no ``forgotten`` row names one.
        """
        other = self.taken.get(listing_id)
        gone = other is None and listing_id in self.gone
        if gone and (not self.holds.get(listing_id) or not self.has_all(listing_id, product)):
            other = self.gone[listing_id][0]
        elif other is None and listing_id in self.free and not self.has_all(listing_id, product):
            other = self.free[listing_id] or ""
        return other if other != product.id else None

    def takes_free(self, product: ErpProduct, found: Mapping[str, Sequence[FoundListing]]) -> bool:
        """Whether ``product`` is found in one gone or free listing only, and may take it."""
        listings = {h.product_id for s in product.skus for h in found.get(s.seller_sku, ())}
        if len(listings) != 1 or self.holder(pid := next(iter(listings)), product) is not None:
            return False
        return pid in self.gone or pid in self.free

    def hashes(self) -> dict[str, str]:
        """The content hash last pushed to each gone listing, for the product that takes it."""
        return {listing: h for listing, (_, h) in self.gone.items() if h}


def read_owners(
    obs: ListingObservation,
    products: Sequence[ErpProduct],
    bindings: ListingBindings | None,
    read_whole: bool,
    found: Mapping[str, Sequence[FoundListing]],
) -> Owners:
    """The holders of the shop's listings, from the bindings and ``obs.bound``.

    Listings of the products ``leftovers`` reports as removed (bound, missing from a read
    without record errors: ``read_whole``) are ``gone``; after a read with record errors a
    missing product may be one whose rows could not be read, and its listing stays taken. Each
    listing found holds what the module docstring says; one bound to no ERP product whose
    ``sku`` rows place SKUs there is ``free``.
    """
    owners = Owners()
    if bindings is None:
        owners.taken.update({known.product_id: erp_id for erp_id, known in obs.bound.items()})
        owners.earlier = frozenset(owners.taken.values())
        return owners
    read = {p.id for p in products}
    for erp_id, row in bindings.for_entity(obs.shop, PRODUCT).items():
        if not row.seller_id:
            continue
        if read_whole and erp_id not in read:
            owners.gone[row.seller_id] = (erp_id, row.last_pushed_hash)
        else:
            owners.taken[row.seller_id] = erp_id
    owners.taken.update({known.product_id: erp_id for erp_id, known in obs.bound.items()})
    owners.earlier = frozenset(owners.taken.values()) | {erp_id for erp_id, _ in owners.gone.values()}
    rows = bindings.for_entity(obs.shop, SKU)
    placed: dict[str, set[str]] = {}
    for seller_sku, row in rows.items():
        if row.seller_id and row.last_pushed_hash:
            placed.setdefault(row.last_pushed_hash, set()).add(seller_sku)
    hits = {h.product_id: h for hits in found.values() for h in hits}
    hits.update({h.product_id: h for hits in found.values() for h in hits if h.whole})
    forgotten = bindings.for_entity(obs.shop, FORGOTTEN)
    for listing, hit in hits.items():
        held = placed.get(listing, set())
        if hit.whole:  # the whole listing: what it lacks is not held, an id erpsync bound is
            held = {k for k in held if k in hit.skus}
            held |= {k for k, sku_id in hit.skus.items() if (r := rows.get(k)) is not None and r.seller_id == sku_id}
        owners.holds[listing] = frozenset(held)
        if listing not in owners.taken and listing not in owners.gone and placed.get(listing):
            owners.free[listing] = (r.seller_id or None) if (r := forgotten.get(listing)) is not None else None
    return owners


def hand_over(
    obs: ListingObservation,
    bindings: ListingBindings,
    bound: Mapping[str, ErpProduct],
    owners: Owners,
    now: datetime,
) -> None:
    """Forget the gone ERP product of each listing a product found now takes, before it is bound.

    As ``forget_listings`` does: the listing's content hash is kept as a ``forgotten`` row first,
    then the gone product's fingerprint and binding go. The listing is the found product's from
    this run on, and the gone product's warnings resolve. Its leftovers the found product lacks
    (only SKUs a whole hit shows deleted, as it has every other) become the found product's, so
    the search's ``_unplace`` still forgets them.
    """
    for erp_id, product in bound.items():
        listing = obs.bound[erp_id].product_id
        if listing not in owners.gone:
            continue
        old, content_hash = owners.gone[listing]
        bindings.put(obs.shop, FORGOTTEN, listing, seller_id=old, last_pushed_hash=content_hash, now=now)
        bindings.put(obs.shop, SOURCE, old, seller_id=None, last_pushed_hash=None, now=now)
        bindings.put(obs.shop, PRODUCT, old, seller_id=None, last_pushed_hash=None, now=now)
        left = obs.leftovers.pop(old, None)
        has = {s.seller_sku for s in product.skus}
        if left is not None and (extra := tuple(k for k in left.seller_skus if k not in has)):
            obs.leftovers[erp_id] = Leftover(erp_id, listing, extra)
