"""A fingerprint of what an ERP product was when nothing was left to push for it.

Deciding that a product is unchanged the exact way (``plan_pushes``: the content hash, every
SKU's price and stock text against the bindings) costs far more than reading the product, and a
run decides it for every product of the catalogue. So when a product is found to need nothing,
a fingerprint of its raw ERP fields is kept beside its bindings (entity ``source``: ERP product
id → TikTok product id, the fingerprint). The next run computes the same fingerprint first:
equal, the product, the mapping and the bindings are all as they were when nothing differed,
so nothing differs; not equal, the exact comparison decides, as without a fingerprint. A
fingerprint that does not match only costs the exact comparison, never a wrong answer.

What makes an equal fingerprint trustworthy:

- it covers every field ``plan_pushes`` reads from a bound product (title, description,
  currency, images, attributes, each SKU's seller_sku, price, stock and stock per warehouse),
  an identity of the mapping (``mapping_key``: every field of ``[aspects.listings]``), and
  everything ``plan_pushes`` compares them with in the bindings (product id, content hash, and
  each SKU's id, price and stock last pushed): it vouches for one pair of product and bindings
  only, so a fingerprint written by a run that a newer one overtook (or a plan run) can never
  vouch for bindings that changed since;
- the fields are encoded with ``marshal`` at version 2, which writes each value with its type
  and length (no join that two texts could share) and, unlike later versions, never writes
  references, whose use depends on objects' reference counts. A Decimal price is written as its
  ``str``, which is exact. A field marshal cannot write (another type) gives no fingerprint: the
  exact comparison decides;
- every push recorded for a product clears its fingerprint first (``record_push``), so bindings
  that changed since are never vouched for by an older fingerprint;
- a mapping with a ``map_listing`` hook gives no fingerprint: the hook may add anything.
"""

from __future__ import annotations

import hashlib
import marshal
from typing import TYPE_CHECKING

from erpsync.core.listing_hash import canonical_json

if TYPE_CHECKING:
    from erpsync.core.listings import BoundListing, ErpProduct, ListingMapping

__all__ = ["SOURCE", "fingerprint", "mapping_key"]

#: the binding entity the fingerprints are kept in (``store.bindings``)
SOURCE = "source"
#: part of every fingerprint: a different encoding is a different fingerprint, never a false match
_FORMAT = "erpsync-listing-source-1"
_sha256 = hashlib.sha256
_dumps = marshal.dumps


def mapping_key(mapping: ListingMapping) -> str | None:
    """An identity of everything ``[aspects.listings]`` says: any setting changed, another key.

    None for a mapping with a ``map_listing`` hook, or with a value JSON cannot write.
    """
    if mapping.shape is not None:
        return None
    parts = [
        _FORMAT,
        mapping.category_id,
        mapping.warehouse_id,
        mapping.brand_id,
        sorted(mapping.attributes.items()),
        sorted(mapping.images.items()),
        list(mapping.package_weight),
        mapping.save_mode,
    ]
    try:
        return _sha256(canonical_json(parts).encode()).hexdigest()
    except (TypeError, ValueError):
        return None


def fingerprint(product: ErpProduct, key: str | None, bound: BoundListing) -> str | None:
    """The fingerprint of ``product`` under the mapping ``key`` names and the bindings ``bound``.

    None when there is none to have (no key: a mapping with a hook; a field marshal cannot
    write). Compared with ``bound.source`` before anything else; kept when the exact
    comparison found nothing to push. ``key`` is ``mapping_key(mapping)``, taken once per run.
    """
    if key is None:
        return None
    skus, ids, prices, stock = product.skus, bound.sku_ids, bound.prices, bound.inventory
    # each SKU with what the bindings hold for it: ``plan_pushes`` reads the bindings of the
    # product's SKUs only, so these cover all it compares, in an order the product fixes
    if len(skus) == 1:  # most products; a comprehension costs a frame of its own
        s = skus[0]
        k = s.seller_sku
        listed = [(k, str(s.price), s.inventory, s.warehouse_stock, ids.get(k), prices.get(k), stock.get(k))]
    else:
        listed = [
            (k, str(s.price), s.inventory, s.warehouse_stock, ids.get(k), prices.get(k), stock.get(k))
            for s in skus
            for k in (s.seller_sku,)
        ]
    fields = (
        key,
        bound.product_id,
        bound.content_hash,
        product.id,
        product.title,
        product.description,
        product.currency,
        product.images,
        product.attributes,
        listed,
    )
    try:
        data = _dumps(fields, 2)
    except ValueError:  # a value of a type marshal does not write
        return None
    return _sha256(data).hexdigest()
