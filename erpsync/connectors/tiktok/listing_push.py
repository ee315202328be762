"""The TikTok seller connector's listings: ``ListingReader`` and ``ListingWriter`` over the Products API.

A thin layer: the client's ``ProductsApi`` already checks every body before sending it, sends a
create once and resolves a lost create answer by searching the product's seller SKUs
(``products/api.py``). What this adds is the shape the listings aspect speaks
(``core/listings.py``): listings found by ``seller_sku``, ids of what was written, per-SKU
inventory failures by SKU id; an edit that lists SKUs sent only once Get Product shows it lists
every SKU the product has (``edit_listing``); the uri of an ERP image file it uploads
(``core/listing_images.py``); and the listings whose audit failed (``core/listing_audits.py``):
Search Products by ``status`` FAILED, then Get Product for each one's ``audit_failed_reasons``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.connectors.tiktok.products.models import AuditStatus, Sku
from erpsync.core.errors import AuthError, ConnectorError, NotFoundError, PermanentError, RecordError
from erpsync.core.listing_audits import AuditReason, ListingAudit
from erpsync.core.listings import FoundListing
from erpsync.core.models import Records

__all__ = ["ListingPush"]


def _named(skus: Sequence[Sku]) -> str:
    """Get Product's SKUs as an operator finds them in Seller Center: seller_sku and SKU id."""
    return ", ".join(f"{s.seller_sku or '(no seller_sku)'} (SKU id {s.id})" for s in skus)


class ListingPush:
    """Mixed into the TikTok seller connector, which provides ``client`` and ``cipher()``."""

    _products_api: ProductsApi | None = None

    @property
    def client(self) -> TikTokClient:
        raise NotImplementedError  # the connector's

    def cipher(self) -> str:
        raise NotImplementedError  # the connector's

    def _products(self) -> ProductsApi:
        if self._products_api is None:
            self._products_api = ProductsApi(self.client, self.cipher())
        return self._products_api

    # -- ListingReader -----------------------------------------------------------------------

    def find_listings(self, seller_skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        """Search Products by seller_sku (10 per call, the API's limit); ``{seller_sku: listings}``.

        Every product a SKU is found in is kept, in the order found: a SKU in two products (an old
        duplicate, one made by hand) is the caller's record error, never the last hit silently.
        Each listing has every SKU of the hit's ``skus`` that has a seller_sku, not only those
        searched, and says so (``whole``): the filter selects products, and the aspect reads a SKU
        missing from such a hit as deleted there (docs/listings.md, which says what is a guess).
        A hit the client cannot read raises its RecordError: it may be the very product looked
        for, and reading it as "not there" would create it a second time.
        """
        wanted = set(seller_skus)
        found: dict[str, dict[str, FoundListing]] = {}  # seller_sku -> {product id: listing}
        if not wanted:
            return {}
        for page in self._products().search_products(seller_skus=sorted(wanted)):
            if page.errors:
                raise page.errors[0]
            for hit in page.items:
                listing = FoundListing(hit.id, {s.seller_sku: s.id for s in hit.skus if s.seller_sku}, whole=True)
                for seller_sku in listing.skus:
                    if seller_sku in wanted:
                        found.setdefault(seller_sku, {})[hit.id] = listing
        return {k: tuple(by_id.values()) for k, by_id in found.items()}

    # -- ListingWriter -----------------------------------------------------------------------

    def create_listing(self, body: Mapping[str, Any]) -> FoundListing:
        created = self._products().create_product(body)
        return FoundListing(created.product_id, dict(created.skus))

    def edit_listing(self, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        """Partial Edit Product; an edit with a ``skus`` list goes only if it leaves no SKU out.

        The 202309 reference treats a SKU of the product left out of the list as deleted
        (docs/listings.md). The aspect lists every SKU it has bound, but a SKU made by hand in
        Seller Center is bound to nothing, so only the product itself can say it is there: such
        an edit reads it first (one Get Product, only for the rare edit that adds SKUs) and is
        refused, unsent, when it would delete a SKU. Nothing about the product changes until the
        operator adds those SKUs to the ERP product or deletes them in Seller Center; a new SKU
        the product already has waits for the next run's search instead (``_refuse_deleting_skus``).
        """
        if changes.get("skus"):
            self._refuse_deleting_skus(product_id, changes["skus"])
        edited = self._products().partial_edit(product_id, changes)
        return FoundListing(edited.product_id or product_id, dict(edited.skus))

    def _refuse_deleting_skus(self, product_id: str, skus: Sequence[Mapping[str, Any]]) -> None:
        """Refuse the edit when the product has a SKU its list leaves out (``edit_listing``).

        A SKU the list gives as new (by ``seller_sku``, without an id) that the product already
        has was added in Seller Center before the search could bind it: it is refused too (sent
        without its id it could be created a second time), but it is in the ERP product, so the
        message says the next run binds it rather than advising to add or delete it.
        """
        listed = {str(s["id"]) for s in skus if s.get("id")}
        new = {str(s["seller_sku"]) for s in skus if not s.get("id") and s.get("seller_sku")}
        left_out = [s for s in self._products().get_product(product_id).skus if s.id not in listed]
        if not left_out:
            return
        there = [s for s in left_out if s.seller_sku and s.seller_sku in new]
        unlisted = [s for s in left_out if s not in there]
        reasons = []
        if unlisted:
            reasons.append(
                f"would delete its SKUs the ERP product does not list: {_named(unlisted)}; add them to the ERP "
                "product, or delete them in Seller Center, and the next run adds the new SKUs"
            )
        if there:
            reasons.append(
                "lists as new SKUs the product already has (added in Seller Center, not bound yet): "
                f"{_named(there)}; sent without their ids they could be created a second time, and the next "
                f"run's search finds them in product {product_id} and binds them: nothing to do for those"
            )
        raise PermanentError(
            f"not sent: the edit adding SKUs to Seller Center product {product_id} " + "; and it ".join(reasons),
            connector="tiktok",
            operation="edit product",
        )

    def set_listing_prices(self, product_id: str, prices: Mapping[str, tuple[str, str]]) -> None:
        self._products().update_prices(product_id, dict(prices))

    def set_listing_inventory(self, product_id: str, quantities: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
        failures = self._products().update_inventory(product_id, quantities)
        return {str(f.sku_id or "(unknown SKU)"): f"{f.code}: {f.message}" for f in failures}

    # -- ListingImageUploader ----------------------------------------------------------------

    def upload_listing_image(self, content: bytes, name: str) -> str:
        """Upload Product Image as a MAIN_IMAGE, through the client (its rate limit and retry
        policy: sent once, a lost answer is ``OutcomeUnknownError``); the file's base name goes
        with it, for the part's content type."""
        filename = PurePosixPath(name.replace("\\", "/")).name or "image"
        return self._products().upload_image(content, filename, use_case="MAIN_IMAGE").uri

    # -- ListingAuditReader ------------------------------------------------------------------

    def failed_audits(self) -> Records[ListingAudit]:
        """Every product whose audit failed, with the platform's reasons: one search, then one
        read per product.

        By ``audit_status``, not ``status``: the status filter sees the base version only, so a
        live product whose content edit failed its audit (and "stays live and remains
        unchanged") is ACTIVATE there, and only its audit status says the edit was refused.
        A product whose answer cannot be read, or whose Get Product failed (a 503 after retries,
        any error but NotFound and refused credentials), is a record error of its own, like an
        unreadable search hit: the aspect then resolves no audit drift it may be about.
        """
        api = self._products()
        items: list[ListingAudit] = []
        errors: list[RecordError] = []
        for page in api.search_products(audit_status=[AuditStatus.FAILED]):
            errors.extend(page.errors)
            for summary in page.items:
                try:
                    product = api.get_product(summary.id)
                except NotFoundError:
                    continue  # deleted since the search: nothing left to fix
                except RecordError as exc:  # this product's answer alone: the others are read on
                    errors.append(exc)
                    continue
                except AuthError:
                    raise  # every call of the shop is refused alike
                except ConnectorError as exc:  # e.g. a 503 after retries: this product's, unread
                    record = f"product {summary.id}"
                    errors.append(RecordError(str(exc), record=record, source="TikTok", record_id=summary.id))
                    continue
                failures = tuple(
                    AuditReason(f.position, tuple(f.reasons), tuple(f.suggestions))
                    for f in product.audit_failed_reasons
                )
                items.append(ListingAudit(product.id, failures))
        return Records(tuple(items), tuple(errors))
