"""What the listings aspect observes of one shop, and the pushes it plans from it.

Its own module because the planning it holds (``pushes``: fingerprints first, ``plan_pushes``
for the rest, a failing ``map_listing`` hook a record error) is pure and is what tests and the
diff benchmark drive without the aspect's reads and writes (``core/aspects/listings.py``, which
re-exports it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from erpsync.core.aspects.base import Observation
from erpsync.core.aspects.listing_leftovers import Leftover
from erpsync.core.errors import RecordError
from erpsync.core.listing_audits import ListingAudit
from erpsync.core.listing_source import fingerprint, mapping_key
from erpsync.core.listings import BoundListing, ErpProduct, ListingMapping, Push, plan_pushes
from erpsync.core.models import Records

__all__ = ["CONTENT_KINDS", "ListingObservation"]

#: the drift kinds of a product's content (its create, its edit: ``KINDS`` in
#: ``core/aspects/listings.py``), which a ``partial`` product is not compared for
CONTENT_KINDS = frozenset({"not_listed", "content_changed"})


@dataclass
class ListingObservation(Observation):
    """The ERP's catalogue, the bindings read for it and the failed audits, planned once.

    ``observe`` fills it and plans it while the host can still report a hook's failure; ``diff``
    and ``plan`` read the same pushes back, so each product is planned once per run.
    """

    mapping: ListingMapping = field(default_factory=ListingMapping)
    #: the ERP's products; ``pushes`` reads them once, in order, so a stream will do for the
    #: pure diff (``observe`` keeps a list: it looks the unbound ones up first)
    products: Iterable[ErpProduct] = field(default_factory=list)
    #: what was last pushed, per ERP product id; a product found by seller_sku has no hash yet
    bound: dict[str, BoundListing] = field(default_factory=dict)
    #: False without bindings: only products not found in Seller Center are pushed (created)
    comparable: bool = True
    #: the shop's listings whose audit failed (``core/listing_audits.py``)
    audits: Records[ListingAudit] = field(default_factory=Records)
    #: fingerprints of the bound products found to need nothing, to keep: {erp id: (product id, fp)}
    learned_sources: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: ERP products read but left out for a record error (a failing hook, SKUs in several Seller
    #: Center products): nothing of them was compared, so none of their open drifts resolves. A
    #: ``partial`` one (a SKU row unread) is compared for price and stock but not for content:
    #: only its content drifts are held open (``kept_open``)
    left_out: set[str] = field(default_factory=set)
    #: bound products with SKUs that have no id and could not be looked up (an unreadable search
    #: hit): those SKUs may be in the listing already, and an edit sends every SKU without an id
    #: as new, so no edit this run; price and stock still go, content drifts are held open
    content_held: set[str] = field(default_factory=set)
    #: SKUs still bound in a listing that the ERP no longer has, per ERP product id (warnings:
    #: ``listing_leftovers.py``)
    leftovers: dict[str, Leftover] = field(default_factory=dict)
    _pushes: list[Push] | None = None
    _planned: dict[str, ErpProduct] = field(default_factory=dict)  # the products with a push

    def pushes(self) -> list[Push]:
        """Every push the catalogue needs, in product order (computed once per observation).

        A bound product whose fingerprint equals the one kept is unchanged without comparing
        anything else (``core/listing_source.py``); the others are planned (``plan_pushes``), and
        those that need nothing have their fingerprint kept. A ``map_listing`` hook that raises
        on a product makes that product a record error and leaves it out; the others go on. A
        ``partial`` product (SKU rows unread) is a record error too, and only its good SKUs'
        price and stock are pushed (``plan_pushes``); no fingerprint is kept for it. One in
        ``content_held`` gets no edit, its price and stock pushed as usual, and no fingerprint.
        """
        if self._pushes is None:
            pushes: list[Push] = []
            mapping, bound, comparable = self.mapping, self.bound, self.comparable
            learned, planned_for = self.learned_sources, self._planned
            key = mapping_key(mapping)  # None: no fingerprints (a map_listing hook)
            failed: set[int] = set()  # ids of the products whose hook raised
            for product in self.products:
                known = bound.get(product.id)
                mark = None
                if product.partial:
                    reason = "some of its SKU rows could not be read (see their errors): content not pushed this run"
                    self.record_errors.append(
                        RecordError(reason, record=f"product {product.id!r}", source=product.source)
                    )
                    self.kept_open.setdefault(product.id, set()).update(CONTENT_KINDS)
                if known is not None and known.source is not None and comparable:
                    mark = fingerprint(product, key, known)
                    if mark == known.source:
                        continue  # most products on most runs
                left = self.leftovers.get(product.id)
                leftover = left.seller_skus if left is not None and known is not None else ()
                try:
                    planned = plan_pushes(product, mapping, known, leftover)
                except Exception as exc:  # a plugin's hook: any error is this product's alone
                    reason = f"map_listing failed: {type(exc).__name__}: {exc}"
                    self.record_errors.append(
                        RecordError(reason, record=f"product {product.id!r}", source=product.source)
                    )
                    failed.add(id(product))
                    self.left_out.add(product.id)
                    continue
                held = product.partial or product.id in self.content_held
                if leftover and not held and known is not None:
                    held = self._refuse_new_skus(product, known, leftover)
                if product.id in self.content_held:
                    planned = [p for p in planned if p.kind != "edit"]
                    self.kept_open.setdefault(product.id, set()).update(CONTENT_KINDS)
                if planned:
                    planned = planned if comparable else [p for p in planned if p.kind == "create"]
                    pushes += planned
                    if planned:
                        planned_for[product.id] = product
                elif known is not None and comparable and not held:
                    mark = mark or fingerprint(product, key, known)
                    if mark is not None:
                        learned[product.id] = (known.product_id, mark)
            if failed and isinstance(self.products, list):
                self.products = [p for p in self.products if id(p) not in failed]
            self._pushes = pushes
        return self._pushes

    def _refuse_new_skus(self, product: ErpProduct, known: BoundListing, leftover: Sequence[str]) -> bool:
        """The SKUs ``product`` gains are not added while its listing holds SKUs the ERP lacks
        (``plan_pushes``): a record error that says so, its content drifts held open. True: some
        SKU was refused (no fingerprint is kept, so the next run tries again)."""
        new = [s.seller_sku for s in product.skus if s.seller_sku not in known.sku_ids]
        if not new:
            return False
        reason = (
            f"SKU {', '.join(new)} not added to Seller Center product {known.product_id}: an edit that adds "
            f"SKUs lists every SKU the listing keeps, and the listing also holds {', '.join(leftover)}, which "
            f"ERP product {product.id} no longer has, so the edit would delete them (docs/listings.md). "
            "Put them back in the ERP product (the next run adds the new SKU); or, if they are to go, delete "
            "them in Seller Center and add the new SKU to that product there by hand: the next run finds it "
            "by seller_sku and binds it (and where the seller's search shows whole products, as erpsync "
            "reads TikTok's, that search resolves their sku_not_in_erp warnings; else acknowledge them)"
        )
        if (probe := known.probe_sku) is not None:  # a SKU bound there to search for (listing_lookup._probes)
            reason += (
                f". Where the seller's search shows whole products, deleting them is enough: the next run's "
                f"search for {probe} shows the product without them and adds the new SKU"
            )
        self.record_errors.append(RecordError(reason, record=f"product {product.id!r}", source=product.source))
        self.kept_open.setdefault(product.id, set()).update(CONTENT_KINDS)
        return True

    def product(self, erp_id: str) -> ErpProduct:
        """The ERP product a push was planned for."""
        self.pushes()
        return self._planned[erp_id]
