"""The text a listing's content hash digests, written straight from the product's fields.

The content hash (``core/listings.py``) is the SHA-256 of one JSON text: the content body and
the sorted seller SKUs, keys sorted, no spaces, UTF-8, as ``json.dumps(data, sort_keys=True,
ensure_ascii=False, separators=(",", ":"))`` writes it. Hashes are stored in the bindings and
compared run after run, so the text must stay the same byte for byte: any other text would make
every listing look changed once, and the next run would re-push the whole catalogue.

Building the body and serialising it generically is most of the listing diff's cost, and a run
hashes every product, changed or not. ``ContentText`` writes the same text directly: the parts
that depend only on the mapping (category, brand, weight, each mapped image's and attribute's
JSON) are encoded once per mapping, and per product only its own strings are escaped, with the
encoder ``json.dumps`` itself uses. A field that is not a string makes the caller serialise the
body with ``json.dumps``.
``tests/unit/test_listing_hash.py`` checks the two texts are equal on generated products.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ContentText", "canonical_json", "content_text"]

#: the string encoder ``json.dumps(..., ensure_ascii=False)`` uses (the C one when available)
_encode_str = json.encoder.encode_basestring


def canonical_json(value: Any) -> str:
    """``value`` as the content hash writes it: keys sorted, no spaces, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _j(value: object) -> str:
    return _encode_str(value) if type(value) is str else canonical_json(value)


class HasSellerSku(Protocol):
    """A SKU as the text needs it (``ErpSku``)."""

    @property
    def seller_sku(self) -> str: ...


@dataclass(frozen=True)
class ContentText:
    """The mapping's share of the hashed text, encoded once; ``text`` adds a product's fields.

    The text's layout, keys in sorted order: ``{"content":{"brand_id":…,"category_id":…,
    "description":…,"main_images":[{"uri":…},…],"package_weight":{"unit":…,"value":…},
    "product_attributes":[{"id":…,"values":[{"name":…}]},…],"title":…},"skus":[…]}``, with
    ``brand_id`` only when the mapping has one and ``product_attributes`` only when one of the
    product's attributes is mapped (``_content`` in ``core/listing_bodies.py`` builds the same body).
    """

    head: str  # up to the description's value
    weight: str  # from the comma after the images to the package weight's closing brace
    images: Mapping[str, str]  # mapped ERP image name -> its {"uri":…}
    attributes: Mapping[str, str]  # mapped ERP attribute name -> its entry up to the value

    @classmethod
    def compile(
        cls,
        category_id: object,
        brand_id: object,
        package_weight: tuple[object, object],
        images: Mapping[str, object],
        attributes: Mapping[str, object],
    ) -> ContentText:
        """Encode what a mapping contributes (``ListingMapping``'s fields of the same names)."""
        brand = f'"brand_id":{_j(brand_id)},' if brand_id else ""
        value, unit = package_weight
        return cls(
            head=f'{{"content":{{{brand}"category_id":{_j(category_id)},"description":',
            weight=f'],"package_weight":{{"unit":{_j(unit)},"value":{_j(value)}}}',
            images={name: f'{{"uri":{_j(uri)}}}' for name, uri in images.items()},
            attributes={name: f'{{"id":{_j(attr)},"values":[{{"name":' for name, attr in attributes.items()},
        )

    def text(
        self,
        title: str,
        description: str,
        images: Iterable[str],
        attributes: Iterable[tuple[str, str]],
        skus: Sequence[HasSellerSku],
    ) -> str:
        """The JSON text of one product's content and its SKUs' sorted ``seller_sku``s.

        Raises TypeError for a field that is not a string: ``canonical_json`` of the body writes it.
        """
        enc = _encode_str
        try:  # most products: every image mapped to its uploaded uri
            uris = ",".join(map(self.images.__getitem__, images))
        except KeyError:
            mapped = self.images
            uris = ",".join([mapped.get(i) or '{"uri":' + enc(i) + "}" for i in images])
        named = self.attributes
        attrs = ",".join([a + enc(v) + "}]}" for n, v in attributes if (a := named.get(n)) is not None])
        listed = ',"product_attributes":[' + attrs + "]," if attrs else ","
        if len(skus) == 1:  # most products
            listed_skus = enc(skus[0].seller_sku)
        else:
            listed_skus = ",".join(map(enc, sorted([s.seller_sku for s in skus])))
        return (
            f'{self.head}{enc(description)},"main_images":[{uris}{self.weight}{listed}"title":{enc(title)}'
            f'}},"skus":[{listed_skus}]}}'
        )


class MappingParts(Protocol):
    """What a ``ListingMapping`` contributes to the hashed text."""

    @property
    def category_id(self) -> str: ...

    @property
    def brand_id(self) -> str | None: ...

    @property
    def package_weight(self) -> tuple[str, str]: ...

    @property
    def images(self) -> Mapping[str, str]: ...

    @property
    def attributes(self) -> Mapping[str, str]: ...


#: each mapping's share of the text, by identity (the entry holds the mapping, so its id is not
#: reused while kept); a run has one mapping per shop, a few dozen are plenty
_TEXTS: dict[int, tuple[MappingParts, ContentText]] = {}
_TEXTS_KEPT = 64


def content_text(mapping: MappingParts) -> ContentText:
    """The mapping's share of the text, encoded on first use (a mapping is never changed once made)."""
    kept = _TEXTS.get(id(mapping))
    if kept is not None and kept[0] is mapping:
        return kept[1]
    text = ContentText.compile(
        mapping.category_id, mapping.brand_id, mapping.package_weight, mapping.images, mapping.attributes
    )
    if len(_TEXTS) >= _TEXTS_KEPT:
        _TEXTS.clear()  # not evicting one by one: shops' threads share this dict
    _TEXTS[id(mapping)] = (mapping, text)
    return text
