"""Products and SKUs erpsync holds no Seller Center id for, looked up by ``seller_sku``.

Two cases, each one search for the whole shop (``ListingReader.find_listings``):

- an **unbound product** (never pushed, a create whose answer was lost, one another machine
  made, one whose binding an operator forgot): found, it is bound at once to what was found, its
  SKU ids with it (``bind_found``), whatever the run then pushes, so it is never created twice
  nor searched for again; it keeps what the bindings hold of that listing (``listing_forget.py``),
  so a forgotten binding's pushes are not sent again. Its SKUs
  in several Seller Center products, or found in a listing already bound to another ERP product
  (a SKU the ERP split off into a new product), are a record error and it is not pushed: two ERP
  products bound to one listing would push their content over each other's. A listing bound to
  an ERP product that a read without record errors no longer has is taken by the product found
  there that has every SKU it holds (the ERP re-keyed the product), and the gone one's binding
  is forgotten first, so its SKUs there are the new product's, never a warning about the gone
  one (``listing_owners.py``); a product sharing only some of them is the record error above.
  So is one found in a listing bound to no ERP product whose ``sku`` rows still place SKUs it
  lacks there (a forgotten binding, a run stopped mid hand-over);
- a **bound product's SKU without an id** (a create or edit answer that left it out, or a SKU
  added in the ERP since): found in the same listing, its id is bound at once, so its price and
  stock are compared from this run on and no edit adds it a second time. Not found, it stays
  unbound and the next edit adds it (a SKU added in the ERP changes the content hash), unless
  its listing holds a SKU the ERP dropped: then one SKU bound there is searched too, so a hit
  shows whether the dropped one was deleted meanwhile (``_probes``). Found
  in another Seller Center product (or in several), it is a record error naming them, and the product is in
  ``content_held``: an edit would add the SKU to this listing, a second one on sale. A search
  hit that cannot be read is a record error and the SKUs stay unbound this run, their products
  in ``content_held`` too (an edit would send SKUs the listing may hold already as new ones).
  A product in ``content_held`` gets no edit this run and keeps its content drifts open, while
  its price and stock, and the shop's other pushes, go on. For an unbound product an
  unreadable hit stops the run instead: it might be created twice.

A SKU the ERP no longer has that is bound in a listing which either search answers whole
(``FoundListing.whole``: every SKU of the product) without it was deleted there: its binding is
forgotten (``_unplace``), and its ``sku_not_in_erp`` warning resolves. A hit that may list only
the SKUs searched (a seller plugin's) forgets nothing: the SKU may still be on sale.

Called from the aspect's observe (``core/aspects/listings.py``), before anything is planned.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from erpsync.core.aspects.listing_bindings import bind_found
from erpsync.core.aspects.listing_forget import Kept
from erpsync.core.aspects.listing_observation import ListingObservation
from erpsync.core.aspects.listing_owners import Owners, hand_over, read_owners
from erpsync.core.aspects.warehouse_address import lacks
from erpsync.core.connector import Connector
from erpsync.core.errors import ConnectorError, RecordError
from erpsync.core.listing_ports import ListingBindings, ListingReader
from erpsync.core.listings import SKU, ErpProduct, FoundListing

__all__ = ["every_listing", "look_up"]


def every_listing(
    found: Mapping[str, Sequence[FoundListing] | FoundListing],
) -> dict[str, tuple[FoundListing, ...]]:
    """``find_listings``'s answer as every listing per SKU.

    A seller plugin written when ``find_listings`` answered one listing per SKU still gives a
    ``FoundListing`` alone: it is read as the one listing found, so the plugin keeps working.
    """
    return {k: (v,) if isinstance(v, FoundListing) else tuple(v) for k, v in found.items()}


def look_up(
    seller: Connector,
    obs: ListingObservation,
    products: list[ErpProduct],
    bindings: ListingBindings | None,
    now: datetime,
    *,
    read_whole: bool = False,
) -> None:
    """Bind in ``obs.bound`` what Seller Center holds of ``products`` erpsync has no id for.

    A product found is bound in ``bindings`` too. A product whose SKUs are in several Seller
    Center products, or in one bound to another ERP product, is a record error, taken out of
    ``products`` and named in ``obs.left_out``; ``read_whole`` (the catalogue read had no record
    errors) lets a listing bound to an ERP product missing from ``products`` be taken;
    a bound one whose SKU without an id is in another one is a record error in
    ``obs.content_held``. A seller that cannot search is an error when a product is unbound (it
    might be created twice) and nothing when only SKUs lack ids (they are added by an edit).
    """
    unbound = [p for p in products if p.id not in obs.bound]
    missing = {
        p.id: [s.seller_sku for s in p.skus if s.seller_sku not in known.sku_ids]
        for p in products
        if (known := obs.bound.get(p.id)) is not None and len(known.sku_ids) < len(p.skus)
    }
    if not unbound and not missing:
        return
    if not isinstance(seller, ListingReader):
        if unbound:
            raise lacks(seller, "seller", "look listings up by seller_sku")
        return
    if unbound:  # an unreadable hit raises: creating without knowing could list a product twice
        found = every_listing(seller.find_listings([s.seller_sku for p in unbound for s in p.skus]))
        owners = read_owners(obs, products, bindings, read_whole, found) if found else Owners()
        # a gone product's listing keeps its hash, as a forgotten one
        kept = Kept.read(bindings, obs.shop, owners.hashes()) if found and bindings is not None else Kept()
        # the product that takes a gone listing first: the others found there are refused naming it
        for product in sorted(unbound, key=lambda p: not owners.takes_free(p, found)):
            _bind_product(obs, products, product, found, owners, kept, notes=bindings is None)
        if bindings is not None:  # bound now, whatever is pushed: never searched for again
            bound = {p.id: p for p in unbound if p.id in obs.bound}
            hand_over(obs, bindings, bound, owners, now)  # first: a stop before the bind leaves it free
            bind_found(bindings, obs.shop, {erp_id: obs.bound[erp_id] for erp_id in bound}, now)
            _unplace(obs, bindings, found, now)
    if not missing:
        return
    try:
        found = every_listing(seller.find_listings([k for keys in missing.values() for k in keys]))
    except RecordError as exc:
        obs.record_errors.append(exc)
        obs.content_held.update(missing)
        return
    for erp_id, keys in missing.items():
        known = obs.bound[erp_id]
        hits = {k: tuple(found[k]) for k in keys if k in found}
        _refuse_elsewhere(obs, products, erp_id, known.product_id, hits)
        # found in its own listing, the SKU's id is that one's (even if another holds it too)
        ids = {k: h.skus[k] for k, listings in hits.items() for h in listings if h.product_id == known.product_id}
        if not ids:
            continue
        # the fingerprint kept vouches for the SKU ids known then: the product is compared again
        obs.bound[erp_id] = replace(known, sku_ids={**known.sku_ids, **ids}, source=None)
        if bindings is not None:
            for seller_sku, sku_id in sorted(ids.items()):
                bindings.put(obs.shop, SKU, seller_sku, seller_id=sku_id, last_pushed_hash=known.product_id, now=now)
    if bindings is not None:
        _unplace(obs, bindings, {**found, **_probed(seller, obs, missing, found)}, now)


def _probed(
    seller: ListingReader,
    obs: ListingObservation,
    missing: Mapping[str, Sequence[str]],
    found: Mapping[str, Sequence[FoundListing]],
) -> dict[str, tuple[FoundListing, ...]]:
    """The listings ``_probes`` names, searched apart, except those a whole hit of the new SKUs'
    search already shows. Only a warning and the new SKUs it holds back wait on this search, so a
    hit that cannot be read, or the call failing after its retries, is a note: nothing else is
    held back, and the next run searches again."""
    shown = {h.product_id for hits in found.values() for h in hits if h.whole}
    probes = _probes(obs, missing, shown)
    if not probes:
        return {}
    try:
        return every_listing(seller.find_listings(probes))
    except (RecordError, ConnectorError) as exc:
        obs.notes.append(f"could not tell whether SKUs the ERP dropped are still in Seller Center: {exc}")
        return {}


def _probes(obs: ListingObservation, missing: Mapping[str, Sequence[str]], shown: Collection[str]) -> list[str]:
    """A SKU bound in the listing (not in ``shown``) of each product whose new SKUs its leftovers
    hold back. A search for the new SKUs alone finds nothing until the seller adds them by hand;
    a whole hit of the listing (``_unplace``) shows the dropped SKU deleted, as its warning advises.
    So with whole hits (TikTok's, as docs/listings.md reads its search) deleting it is enough."""
    probes = []
    for erp_id in missing:
        left, known = obs.leftovers.get(erp_id), obs.bound[erp_id]
        if left is None or left.product_id != known.product_id or left.product_id in shown:
            continue
        if (probe := known.probe_sku) is not None:
            probes.append(probe)
    return probes


def _refuse_elsewhere(
    obs: ListingObservation,
    products: list[ErpProduct],
    erp_id: str,
    product_id: str,
    hits: dict[str, tuple[FoundListing, ...]],
) -> None:
    """A bound product's SKU found in another Seller Center product: a record error, and no edit.

    An edit sends every SKU without an id as new, so it would put the SKU on sale a second time,
    in this listing beside the other one. Which product should hold it is the seller's call: the
    error names both, and the product gets no edit until the SKU is found in its own listing or
    nowhere (``content_held``: its price and stock still go, its content drifts stay open).
    """
    elsewhere = {
        k: ", ".join(others)
        for k, listings in sorted(hits.items())
        if (others := [h.product_id for h in listings if h.product_id != product_id])
    }
    if not elsewhere:
        return
    source = next((p.source for p in products if p.id == erp_id), "")
    for seller_sku, other in elsewhere.items():
        reason = (
            f"its SKU {seller_sku!r} is in Seller Center product {other}, while the product is Seller"
            f" Center product {product_id}: not edited this run, as an edit would add {seller_sku!r} to"
            f" {product_id}, a second one on sale; keep the SKU in one product, in the ERP or in Seller Center"
        )
        obs.record_errors.append(RecordError(reason, record=f"product {erp_id!r}", source=source))
    obs.content_held.add(erp_id)


def _unplace(
    obs: ListingObservation, bindings: ListingBindings, found: Mapping[str, Sequence[FoundListing]], now: datetime
) -> None:
    """Forget the leftover SKUs a search hit shows their listing no longer holds.

    Only a hit that is the whole Seller Center product (``whole``: every SKU it has) is read:
    a SKU the ERP no longer has that is missing from it was deleted there, as its warning
    advises: its ``sku`` binding is forgotten, so it no longer places the SKU in the listing, its
    ``sku_not_in_erp`` warning resolves and SKUs its ERP product gains are added again
    (``plan_pushes``). Only leftovers that the read vouches for are cleared (``obs.leftovers``
    after ``_hold_leftovers``), and only by a search: a create's answer names a new product, and
    whether an edit's answer lists every SKU is not documented (docs/listings.md).
    """
    listings = {h.product_id: h for hits in found.values() for h in hits if h.whole}
    for erp_id, left in list(obs.leftovers.items()):
        hit = listings.get(left.product_id)
        if hit is None:
            continue
        deleted = [k for k in left.seller_skus if k not in hit.skus]
        for seller_sku in deleted:
            bindings.put(obs.shop, SKU, seller_sku, seller_id=None, last_pushed_hash=None, now=now)
        if len(deleted) == len(left.seller_skus):
            del obs.leftovers[erp_id]
        elif deleted:
            obs.leftovers[erp_id] = replace(left, seller_skus=tuple(k for k in left.seller_skus if k in hit.skus))


def _bind_product(
    obs: ListingObservation,
    products: list[ErpProduct],
    product: ErpProduct,
    found: Mapping[str, Sequence[FoundListing]],
    owners: Owners,
    kept: Kept,
    notes: bool,
) -> None:
    """Bind an unbound product to the one Seller Center product its SKUs are found in.

    It takes what the bindings still hold of that listing (``listing_forget.py``): the content
    hash its forgotten ERP product left and the values pushed to the SKU ids found, so only what
    differs from them is pushed.

    Found in several, or in one another ERP product holds (``Owners.holder``), it is a record
    error and is not pushed: binding it would push its content over the other one's (a SKU the
    ERP split off into a new product is found in its old product's listing), and creating it
    would put the SKU on sale a second time. Which product holds the SKU is the seller's call.
    The error suggests ``--forget-listing`` only for an ERP product bound before this run (one
    bound by it was never this product under another key) whose listing holds no SKU this product
    lacks (else forgetting it would not hand the listing to this product either).
    """
    listings = {h.product_id: h for s in product.skus for h in found.get(s.seller_sku, ())}
    reason = ""
    if len(listings) > 1:
        reason = f"its SKUs are in several Seller Center products ({', '.join(sorted(listings))}): not pushed"
    elif listings and (other := owners.holder(next(iter(listings)), product)) is not None:
        (listing,) = listings.values()
        named = ", ".join(repr(s.seller_sku) for s in product.skus if s.seller_sku in listing.skus)
        mine = {s.seller_sku for s in product.skus}
        held = ", ".join(repr(k) for k in sorted(owners.holds.get(listing.product_id, frozenset()) - mine))
        free = listing.product_id in owners.free and listing.product_id not in owners.taken
        reason = (
            f"its SKU {named} is in Seller Center product {listing.product_id}, which is ERP product"
            f" {other!r}'s listing: not pushed, as two ERP products bound to one listing would push"
            f" their content over each other's; keep the SKU in one product, in the ERP or in Seller Center"
            if not free
            else f"its SKU {named} is in Seller Center product {listing.product_id}, which no ERP product is"
            f" bound to{f' since {other!r} was forgotten' if other else ''} but which still holds {held}, which"
            " this product lacks: not pushed, as its content would be pushed over a listing selling other"
            " SKUs; keep the SKU in one product, in the ERP or in Seller Center"
        )
        # only a product with every SKU the other's listing holds can be the other renamed
        if other in owners.earlier and owners.has_all(listing.product_id, product):
            reason += (
                f" (if {other!r} became this product: `erpsync bindings --shop {obs.shop} --forget-listing {other}`)"
            )
    if reason:
        obs.record_errors.append(RecordError(reason, record=f"product {product.id!r}", source=product.source))
        products.remove(product)
        obs.left_out.add(product.id)
        return
    if not listings:
        return
    (listing,) = listings.values()
    mine = {s.seller_sku for s in product.skus}
    skus = {k: v for k, v in listing.skus.items() if k in mine}
    obs.bound[product.id] = kept.listing(listing.product_id, skus)
    owners.taken[listing.product_id] = product.id
    if notes:
        obs.notes.append(
            f"ERP product {product.id} is Seller Center product {listing.product_id}: not compared (no bindings kept)"
        )
