"""The capabilities the listings aspect reads and writes through (runtime-checkable, like
``core/ports.py``): an ERP's catalogue, a seller side's listings, and the store's bindings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from erpsync.core.listings import ErpProduct, FoundListing
from erpsync.core.models import Records

__all__ = ["BindingState", "ListingBindings", "ListingReader", "ListingWriter", "ProductReader"]


@runtime_checkable
class ProductReader(Protocol):
    """An ERP that holds a product catalogue."""

    def read_products(self) -> Records[ErpProduct] | None:
        """Every product with its SKUs (None: this ERP keeps no catalogue, nothing to push).

        A bad row is a RecordError naming file, line and field; the other products go on.
        """
        ...


@runtime_checkable
class ListingReader(Protocol):
    """A seller side that can find its listings by ``seller_sku``."""

    def find_listings(self, seller_skus: Sequence[str]) -> Mapping[str, Sequence[FoundListing]]:
        """``{seller_sku: every listing holding it}`` for the SKUs found (a SKU in two products
        is a record error the aspect reports, so none may be dropped); raise ConnectorError if
        the search itself fails (an unread answer must never count as "not there"). A listing
        that names every SKU its product has, not only those searched, says so (``whole=True``):
        a SKU the ERP no longer has that is missing from such a hit is read as deleted there
        (``listing_lookup.py``). A hit without it is used to bind, never to forget a SKU."""
        ...


@runtime_checkable
class ListingWriter(Protocol):
    """A seller side that can create and change listings."""

    def create_listing(self, body: Mapping[str, Any]) -> FoundListing:
        """Create a product once. A lost answer is resolved by looking it up by its seller SKUs;
        only if it cannot be found is ``OutcomeUnknownError`` raised."""
        ...

    def edit_listing(self, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        """Set only the fields in ``changes`` (and add the SKUs it lists without an id).

        A ``skus`` list names every SKU of the listing erpsync knows; a writer whose platform reads
        a SKU left out as deleted must refuse (``PermanentError``, unsent) rather than delete one
        it does not know, e.g. made by hand (the TikTok writer reads the product first)."""
        ...

    def set_listing_prices(self, product_id: str, prices: Mapping[str, tuple[str, str]]) -> None:
        """Set ``{sku id: (amount, currency)}``."""
        ...

    def set_listing_inventory(self, product_id: str, quantities: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
        """Set ``{sku id: {warehouse id: quantity}}``; return ``{sku id: why}`` for the SKUs refused
        (the API applies the others)."""
        ...


class BindingState(Protocol):
    """One binding row as the store returns it (``BindingRow``)."""

    @property
    def seller_id(self) -> str | None: ...

    @property
    def last_pushed_hash(self) -> str | None: ...


@runtime_checkable
class ListingBindings(Protocol):
    """The store's bindings, as far as the listings aspect needs them (``store.bindings``).

    A store that also has ``put_many(shop, entity, {erp_id: (seller_id, value)}, now=...)``, as
    ``store.bindings`` does, keeps a run's fingerprints in one transaction (``keep_sources``).
    """

    def for_entity(self, shop: str, entity: str) -> Mapping[str, BindingState]:
        """Every binding of ``entity`` in ``shop``, by ERP id."""
        ...

    def get(self, shop: str, entity: str, erp_id: str) -> BindingState | None:
        """One binding, or None."""
        ...

    def put(
        self, shop: str, entity: str, erp_id: str, *, seller_id: str | None, last_pushed_hash: str | None, now: datetime
    ) -> object:
        """Create or replace one binding."""
        ...
