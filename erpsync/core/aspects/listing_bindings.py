"""What the listings aspect keeps in the bindings: read as ``BoundListing``s, written after each push.

Five entities (``core/listings.py``): ``product`` (ERP product id → TikTok product id, content
hash), ``sku`` (seller_sku → TikTok SKU id, as a create or edit answered it or a search found
it, and the TikTok product it is in), ``price`` and ``inventory`` (seller_sku → TikTok SKU id, the value last pushed: a
``price_text``, or a ``stock_text``: ``wh=q`` for the configured warehouse, ``wh=q;wh=q``
per warehouse), and ``source`` (ERP product id → TikTok product id, the fingerprint of the
product when nothing was left to push: ``core/listing_source.py``). seller_sku is the key both
systems share and is unique in a shop, so SKUs are kept per seller_sku, not per product. SKU ids
are kept apart from the pushed values so that a price push the API refused still leaves the SKU
known: it is never added to its product a second time; for the same reason SKU ids are bound as
soon as they are known, before the push that carries them. Because they are kept per seller_sku,
a product reads a SKU's id only when the SKU was bound in that product's own listing (a SKU the
ERP moved from another product is looked up again: ``listing_lookup.py``), and a pushed value
only when it was pushed to that SKU id (a listing remade by hand gets its values pushed anew).
A pushed value is written only after the push it records succeeded, and the values a push
sends are forgotten before it is sent (``forget_pushed``), so a push that failed, or whose
process died, is planned again by the next run, whatever the ERP says by then.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from erpsync.core.aspects.listing_forget import FORGOTTEN
from erpsync.core.aspects.listing_leftovers import Leftover, leftovers
from erpsync.core.listing_ports import ListingBindings
from erpsync.core.listing_source import SOURCE
from erpsync.core.listings import INVENTORY, PRICE, PRODUCT, SKU, BoundListing, ErpProduct

__all__ = [
    "bind_found",
    "bound_listings",
    "forget_pushed",
    "inventory_quantities",
    "keep_sources",
    "record_push",
    "stock_pushed",
]


def bound_listings(
    bindings: ListingBindings,
    shop: str,
    products: Sequence[ErpProduct],
    *,
    left: dict[str, Leftover] | None = None,
) -> dict[str, BoundListing]:
    """What was last pushed for each bound product, by ERP id: five queries for a whole shop.

    ``left``, when given, is filled with the SKUs still bound in a listing that its ERP product
    (or the ERP) no longer has (``listing_leftovers.py``), from the same rows.
    """
    rows = bindings.for_entity(shop, PRODUCT)
    skus = bindings.for_entity(shop, SKU)
    prices = bindings.for_entity(shop, PRICE)
    stock = bindings.for_entity(shop, INVENTORY)
    sources = bindings.for_entity(shop, SOURCE)
    out: dict[str, BoundListing] = {}
    for product in products:
        row = rows.get(product.id)
        if row is None or not row.seller_id:
            continue
        keys = [s.seller_sku for s in product.skus]
        # a SKU kept as in another Seller Center product is not this listing's: looked up again
        sku_ids = {
            k: r.seller_id
            for k in keys
            if (r := skus.get(k)) is not None and r.seller_id and r.last_pushed_hash in (None, row.seller_id)
        }
        # a value pushed to another SKU id (the SKU remade in Seller Center) is not this SKU's
        pushed_prices = {
            k: r.last_pushed_hash for k in keys if (r := prices.get(k)) is not None and r.seller_id == sku_ids.get(k)
        }
        pushed_stock = {
            k: r.last_pushed_hash for k in keys if (r := stock.get(k)) is not None and r.seller_id == sku_ids.get(k)
        }
        kept = sources.get(product.id)
        source = kept.last_pushed_hash if kept is not None and kept.seller_id == row.seller_id else None
        out[product.id] = BoundListing(
            row.seller_id, row.last_pushed_hash, sku_ids, pushed_prices, pushed_stock, source
        )
    if left is not None:
        left.update(leftovers(rows, skus, products))
    return out


def keep_sources(bindings: ListingBindings, shop: str, learned: Mapping[str, tuple[str, str]], now: datetime) -> None:
    """Keep the fingerprints of the products found to need nothing (``{erp id: (product id, fp)}``).

    In one transaction when the store can (``put_many``): the first run after they are
    introduced learns one per product.
    """
    if learned:
        _put_all(bindings, shop, SOURCE, learned, now)


def _put_all(
    bindings: ListingBindings,
    shop: str,
    entity: str,
    values: Mapping[str, tuple[str | None, str | None]],
    now: datetime,
) -> None:
    """Write ``{erp id: (seller id, value)}`` of one entity: in one transaction when the store
    can (``put_many``), else one row at a time."""
    put_many = getattr(bindings, "put_many", None)
    if put_many is not None:
        put_many(shop, entity, values, now=now)
        return
    for erp_id, (seller_id, value) in sorted(values.items()):
        bindings.put(shop, entity, erp_id, seller_id=seller_id, last_pushed_hash=value, now=now)


def bind_found(bindings: ListingBindings, shop: str, found: Mapping[str, BoundListing], now: datetime) -> None:
    """Bind the products a seller_sku search found (``{erp id: what was found}``), as they are found.

    A found product is a fact about Seller Center, not a push, so it is bound whatever the run
    then pushes: a policy that only reports its content edit, a dry run or a push that fails still
    leaves it bound. Unbound, every run would search it again and push its price and stock again
    as never pushed. Its SKU ids go first, so a product binding never lacks the ids it was found
    with, and any fingerprint kept for it is cleared, as a fingerprint never vouches for bindings
    written after it. The product binding holds the content hash found with it: the one a
    forgotten binding left for the listing (``listing_forget.py``), then cleared as taken, else
    none, as its content was never pushed and the next run still plans its edit. One
    transaction per entity when the store can.
    """
    if not found:
        return
    sources: dict[str, tuple[str | None, str | None]] = {erp_id: (None, None) for erp_id in found}
    skus: dict[str, tuple[str | None, str | None]] = {
        seller_sku: (sku_id, listing.product_id)
        for listing in found.values()
        for seller_sku, sku_id in listing.sku_ids.items()
    }
    products: dict[str, tuple[str | None, str | None]] = {
        erp_id: (listing.product_id, listing.content_hash) for erp_id, listing in found.items()
    }
    taken: dict[str, tuple[str | None, str | None]] = {
        listing.product_id: (None, None) for listing in found.values() if listing.content_hash is not None
    }
    for entity, values in ((SOURCE, sources), (SKU, skus), (PRODUCT, products), (FORGOTTEN, taken)):
        _put_all(bindings, shop, entity, values, now)


def forget_pushed(bindings: ListingBindings, shop: str, kind: str, data: Mapping[str, Any], now: datetime) -> None:
    """Before a push: forget what the bindings say was last pushed of the values it sends.

    A push can take effect and still fail for erpsync: its answer lost and the retries spent, or
    the process killed before ``record_push``. Kept, the bindings would still hold the values
    from before; an ERP that then went back to them would differ from nothing, and Seller Center
    would keep the values of a push no one recorded. Forgotten, they are unknown until a push
    succeeds and records them again, so the next run pushes the ERP's values whatever happened.
    A create records nothing before its answer, so there is nothing to forget.
    """

    def put(entity: str, erp_id: str, seller_id: str | None) -> None:
        bindings.put(shop, entity, erp_id, seller_id=seller_id, last_pushed_hash=None, now=now)

    if kind == "create":
        return
    if data.get("erp_id") is not None:  # a fingerprint vouches for the bindings: it goes with them
        put(SOURCE, data["erp_id"], None)
    # SKU ids are not written here: every id a push carries was bound when the run learnt it
    # (``bind_found``, ``look_up``, a create or edit answer), with the Seller Center product it
    # was found in. A push only knows the product it goes to, and stamping that on a SKU bound
    # by an older version (no product kept) would make a wrong pairing look verified for good.
    if kind == "edit":
        put(PRODUCT, data["erp_id"], data["product_id"])  # its content hash forgotten
        # an edit adding SKUs lists those the listing keeps, with their price and stock where the
        # policy gives them to the ERP: a value it sends that differs from the one recorded for
        # that SKU id is forgotten, as a price push's is. One equal to it stays: Seller Center
        # holds it whatever becomes of the edit, and an edit refused unsent, run after run (it
        # would delete a SKU made by hand), then sends no price or stock push each run either.
        stock: Mapping[str, str] = data.get("stock") or {}
        for sku in data["changes"].get("skus") or ():
            if "id" not in sku or "seller_sku" not in sku:
                continue
            for entity, text in _sent(sku, stock):
                row = bindings.get(shop, entity, sku["seller_sku"])
                if row is None or row.seller_id != sku["id"] or row.last_pushed_hash != text:
                    put(entity, sku["seller_sku"], sku["id"])
    else:
        entity = PRICE if kind == "price" else INVENTORY
        for seller_sku, sku in data["skus"].items():
            put(entity, seller_sku, sku["id"])


def record_push(
    bindings: ListingBindings,
    shop: str,
    kind: str,
    data: Mapping[str, Any],
    now: datetime,
    *,
    failed: Collection[str] = (),
) -> None:
    """Record what one successful push sent (``data``: the action's value plus the answer).

    A create or edit records the price and stock of each SKU it listed with them: an edit lists
    the SKUs the listing keeps without the values the policy does not give to the ERP
    (``within_policy``), and those stay as last recorded. ``failed`` names SKU ids the API
    refused within an inventory push: their stock stays as last recorded, so the next run pushes
    it again. A refusal that names no SKU of the push (the platform's error entry without a
    ``sku_id``, read as ``"(unknown SKU)"``) may be about any of them, so none is recorded as
    pushed.
    """

    def put(entity: str, erp_id: str, seller_id: str | None, value: str | None) -> None:
        bindings.put(shop, entity, erp_id, seller_id=seller_id, last_pushed_hash=value, now=now)

    if data.get("erp_id") is not None:  # first: a fingerprint never vouches for bindings it predates
        put(SOURCE, data["erp_id"], None, None)

    if kind in ("create", "edit"):
        answer: Mapping[str, str] = data.get("answer") or {}
        for seller_sku, known in sorted(answer.items()):
            put(SKU, seller_sku, known, data["product_id"])
        body = data["body"] if kind == "create" else data["changes"]
        stock: Mapping[str, str] = data.get("stock") or {}
        for sku in body.get("skus") or ():  # the price and stock each SKU listed was sent with
            sku_id = answer.get(sku.get("seller_sku", ""))
            if sku_id is None:  # not in the answer: the next run finds it by seller_sku
                continue
            for entity, text in _sent(sku, stock):  # a kept SKU goes without a value the policy keeps
                put(entity, sku["seller_sku"], sku_id, text)
        put(PRODUCT, data["erp_id"], data["product_id"], data["hash"])
    elif kind == "price":
        for seller_sku, sku in data["skus"].items():
            put(PRICE, seller_sku, sku["id"], sku["price"])
    elif kind == "inventory":
        sku_ids = {sku["id"] for sku in data["skus"].values()}
        if not sku_ids.issuperset(failed):
            failed = sku_ids
        for seller_sku, sku in data["skus"].items():
            if sku["id"] not in failed:
                put(INVENTORY, seller_sku, sku["id"], stock_pushed(sku, data.get("warehouse_id") or ""))
    else:
        raise ValueError(f"unknown listing push {kind!r}")


def _sent(sku: Mapping[str, Any], stock: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(entity, text recorded)`` for the price and stock one SKU entry of a create or edit
    sends. The stock text is the one planned (``stock_text``, the payload's ``stock``); a payload
    written without it records the warehouses sent."""
    out = []
    if "price" in sku:
        out.append((PRICE, f"{sku['price']['amount']} {sku['price']['currency']}"))
    if "inventory" in sku:
        out.append((INVENTORY, stock.get(sku["seller_sku"]) or stock_pushed(sku, "")))
    return out


def stock_pushed(sku: Mapping[str, Any], warehouse_id: str) -> str:
    """The text an inventory push's SKU entry records: as ``stock_text`` wrote it when planned.

    An entry is ``{"id", "quantity"}`` (pushed to ``warehouse_id``, the payload's: the configured
    warehouse when planned) or ``{"id", "inventory": [{"warehouse_id", "quantity"}, ...]}``
    (every warehouse of the SKU). A pending push planned by an older version records the
    warehouse it went to as well.
    """
    if "inventory" not in sku:
        return f"{warehouse_id}={sku['quantity']}"
    return ";".join(f"{i.get('warehouse_id', '')}={i['quantity']}" for i in sku["inventory"])  # in planned order


def inventory_quantities(data: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """``{sku id: {warehouse id: quantity}}`` of an inventory push, in either entry shape.

    A pending push written before stock was kept per warehouse has only the ``quantity`` shape
    and the payload's ``warehouse_id``: it is applied as it was planned.
    """
    out: dict[str, dict[str, int]] = {}
    for sku in data["skus"].values():
        if "inventory" in sku:
            out[sku["id"]] = {str(i["warehouse_id"]): int(i["quantity"]) for i in sku["inventory"]}
        else:
            out[sku["id"]] = {str(data["warehouse_id"]): int(sku["quantity"])}
    return out
