"""The Products API (``docs/open-api-full.md`` §2): images, create/edit, read, search, stock, prices.

``ProductsApi`` wraps a :class:`TikTokClient` for one shop (its ``shop_cipher``). Reads return
frozen dataclasses (``models.py``) built by marshmallow schemas (``schemas.py``), so a
malformed record is a ``RecordError`` naming it, never a crash. Writes are checked client-side
first (``checks.py``): a bad quantity or price is reported before anything is sent, so a
batch is never half-applied because of an input we could have caught.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.loading import load_page, load_typed
from erpsync.connectors.tiktok.paging import check_page_size, paginate
from erpsync.connectors.tiktok.products import checks, schemas
from erpsync.connectors.tiktok.products.models import (
    AuditStatus,
    CreatedProduct,
    ImageRef,
    ImageUseCase,
    NewProduct,
    Product,
    ProductStatus,
    ProductSummary,
    SkuError,
)
from erpsync.connectors.tiktok.versions import ENDPOINTS
from erpsync.core.errors import ConnectorError, OutcomeUnknownError, RecordError
from erpsync.core.listing_images import image_format
from erpsync.core.models import Records

#: the operations of this module (``versions.py``); each template is also the call's rate-limit key
UPLOAD = ENDPOINTS["upload_product_image"]
CREATE = ENDPOINTS["create_product"]
PARTIAL_EDIT = ENDPOINTS["partial_edit_product"]
GET = ENDPOINTS["get_product"]
SEARCH = ENDPOINTS["search_products"]
INVENTORY = ENDPOINTS["update_inventory"]
PRICES = ENDPOINTS["update_price"]
#: Search Products takes at most 10 ``seller_skus`` per call (Partner Center API reference, Search
#: Products (202502), error 12019027: "The maximum count of seller_skus in the search filter is 10")
SELLER_SKUS_PER_CALL = 10


def _content_type(content: bytes, filename: str) -> str:
    """The part's content type: the format the bytes say (``image_format``), else the name's."""
    found = image_format(content)
    if found is not None:
        return f"image/{found.lower()}"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


class ProductsApi:
    """Product calls for one shop. Stateless apart from the client and the cipher."""

    def __init__(self, client: TikTokClient, cipher: str) -> None:
        self.client = client
        self.cipher = cipher

    def _call(self, method: str, path: str, *, operation: str, rate_key: str, **kwargs: Any) -> dict[str, Any]:
        return self.client.call(method, path, cipher=self.cipher, operation=operation, rate_key=rate_key, **kwargs)

    # -- images ------------------------------------------------------------------------------

    def upload_image(self, content: bytes, filename: str, *, use_case: str = "MAIN_IMAGE") -> ImageRef:
        """Upload one image (multipart; unsigned body, no shop_cipher) and return its ``uri``.

        An empty file or an unknown use case is refused here, before a call the API would refuse (12038002,
        11050001: Upload Product Image). Dimensions and format are left to the API (12038014, 12038004).
        """
        record = f"image {filename!r}"
        if use_case not in ImageUseCase.__members__:
            known = ", ".join(ImageUseCase)
            raise RecordError(f"unknown use_case {use_case!r} (expected {known})", record=record, field="use_case")
        if not isinstance(content, bytes | bytearray) or not content:
            raise RecordError("empty file", record=record, field="data")
        path = UPLOAD.path()
        data = self._call(
            "POST",
            path,
            files={"data": (filename, bytes(content), _content_type(bytes(content), filename))},
            form={"use_case": str(use_case)},
            operation="upload image",
            rate_key=UPLOAD.template,
            idempotent=False,  # a resend stores a second copy: a lost answer is OutcomeUnknownError
        )
        return load_typed(schemas.ImageSchema(), data, kind="image", source=f"TikTok {path}", record=record)

    # -- create / edit -----------------------------------------------------------------------

    def create_product(self, product: NewProduct | Mapping[str, Any]) -> CreatedProduct:
        """Create a product (LISTING enters audit; AS_DRAFT stays a draft); ``skus`` maps seller_sku → id.

        Creating is not idempotent (a resend makes a second product), so it is sent once. When
        its answer is lost (``OutcomeUnknownError``: read timeout, 5xx) the product may exist all
        the same: it is looked up by its seller SKUs and returned if found; only when it is not
        there (or the lookup fails too) is the OutcomeUnknownError raised, for the caller to
        reconcile later. Nothing is ever created twice here.
        """
        raw = product.to_body() if isinstance(product, NewProduct) else product
        title = raw.get("title") if isinstance(raw, Mapping) else None
        record = f"new product {str(title)[:40]!r}" if isinstance(title, str) else "new product"
        body = checks.product_body(raw, record=record, partial=False)
        path = CREATE.path()
        try:
            data = self._call(
                "POST", path, body=body, operation="create product", rate_key=CREATE.template, idempotent=False
            )
        except OutcomeUnknownError:
            found = self._find_created(body)
            if found is None:
                raise
            return found
        return load_typed(schemas.CreatedSchema(), data, kind="product", source=f"TikTok {path}", record=record)

    def _find_created(self, body: Mapping[str, Any]) -> CreatedProduct | None:
        """The product ``body`` describes, if a search by its seller SKUs finds it (same title, every SKU).

        Searched 10 SKUs at a time (the API's limit); a product's SKUs are gathered across those
        searches, in case a search answers only the SKUs it matched. None when there is nothing to
        search by, nothing matches, a search fails, or several products match: which one this
        create made cannot be told, and the caller's next lookup reports the SKUs in several
        products as a record error instead of binding one of them.
        """
        wanted = [str(s["seller_sku"]) for s in body.get("skus") or () if s.get("seller_sku")]
        if not wanted:
            return None
        title = body.get("title")
        found: dict[str, dict[str, str]] = {}  # product id -> {seller_sku: sku id}
        try:
            for chunk in _sku_chunks(wanted):
                for page in self._search({"seller_skus": chunk}, 100):
                    for hit in page.items:
                        if title is not None and hit.title != str(title):
                            continue
                        found.setdefault(hit.id, {}).update({s.seller_sku: s.id for s in hit.skus if s.seller_sku})
        except ConnectorError:
            return None
        matches = [(pid, skus) for pid, skus in found.items() if set(wanted) <= set(skus)]
        if len(matches) != 1:
            return None
        ((product_id, skus),) = matches
        return CreatedProduct(product_id, {k: skus[k] for k in wanted})

    def partial_edit(self, product_id: str, changes: Mapping[str, Any]) -> CreatedProduct:
        """Change only the fields in ``changes``. Content changes (title, images...) re-enter audit."""
        record = f"product {product_id}"
        body = checks.product_body(changes, record=record, partial=True)
        if not body:
            raise RecordError("nothing to change", record=record, source=checks.SOURCE)
        path = PARTIAL_EDIT.path(product_id=product_id)
        # idempotent: it sets fields to the values given, so sending it twice changes nothing more
        data = self._call(
            "POST", path, body=body, operation="edit product", rate_key=PARTIAL_EDIT.template, idempotent=True
        )
        return load_typed(schemas.CreatedSchema(), data, kind="product", source=f"TikTok {path}", record=record)

    # -- read --------------------------------------------------------------------------------

    def get_product(self, product_id: str) -> Product:
        """One product with its status, audit result and SKUs; an unknown product is a NotFoundError."""
        path = GET.path(product_id=product_id)
        data = self._call("GET", path, operation="get product", rate_key=GET.template)
        return load_typed(
            schemas.ProductSchema(),
            data,
            kind="product",
            source=f"TikTok {path}",
            record=f"product {product_id}",
            record_id=str(product_id),
        )

    def search_products(
        self,
        *,
        seller_skus: Sequence[str] | None = None,
        status: ProductStatus | str | None = None,
        audit_status: Sequence[AuditStatus | str] | None = None,
        update_time_ge: int | None = None,
        update_time_le: int | None = None,
        page_size: int = 100,
    ) -> Iterator[Records[ProductSummary]]:
        """Yield one ``Records`` per page; one page in memory at a time.

        The first page is requested on the first ``next()``, each further one only when asked for.
        More than 10 ``seller_skus`` (the API's limit per call) are searched 10 at a time, one
        search after the other; a product found by SKUs of two calls is yielded once.
        ``status`` filters on the base version only; ``audit_status`` FAILED also finds a live
        product whose post-live edit failed its audit (Search Products, ``docs/listings.md``).
        """
        body: dict[str, Any] = {}
        if status is not None:
            if str(status) == ProductStatus.UNKNOWN:  # ours, not the API's (which also takes ALL)
                raise ValueError("UNKNOWN is not a product status the API can filter by")
            body["status"] = str(status)
        if audit_status is not None:
            if any(str(a) in (AuditStatus.UNKNOWN, AuditStatus.NONE) for a in audit_status):
                raise ValueError("audit_status filters by AUDITING, FAILED or APPROVED")
            body["audit_status"] = [str(a) for a in audit_status]
        chunks = None if seller_skus is None else _sku_chunks(seller_skus)
        if chunks is not None:
            body["seller_skus"] = chunks[0]  # each chunk takes this place in the body in turn
        if update_time_ge is not None:
            body["update_time_ge"] = int(update_time_ge)
        if update_time_le is not None:
            body["update_time_le"] = int(update_time_le)
        check_page_size(page_size)  # now, not at the first next()
        if chunks is None or len(chunks) == 1:
            return self._search(body, page_size)
        return self._search_chunks(body, chunks, page_size)

    def _search(self, body: Mapping[str, Any], page_size: int) -> Iterator[Records[ProductSummary]]:
        """One search (one filter), followed page by page."""
        path = SEARCH.path()
        schema = schemas.ProductSummarySchema()
        source = f"TikTok {path}"

        def load(data: Mapping[str, Any]) -> Records[ProductSummary]:
            return load_page(schema, data, "products", kind="product", source=source, operation="search products")

        return paginate(
            self.client,
            path,
            cipher=self.cipher,
            query={"page_size": check_page_size(page_size)},
            body=body,
            operation="search products",
            load=load,
        )

    def _search_chunks(
        self, body: Mapping[str, Any], chunks: Sequence[list[str]], page_size: int
    ) -> Iterator[Records[ProductSummary]]:
        seen: set[str] = set()
        for chunk in chunks:
            for page in self._search({**body, "seller_skus": chunk}, page_size):
                fresh = tuple(p for p in page.items if p.id not in seen)
                seen.update(p.id for p in fresh)
                yield Records(items=fresh, errors=page.errors)

    # -- stock and prices --------------------------------------------------------------------

    def update_inventory(self, product_id: str, skus: Mapping[str, Mapping[str, int]]) -> list[SkuError]:
        """Set stock per SKU and warehouse; return the per-SKU failures (the other SKUs applied).

        Every quantity is checked (int, 0..99,999) before the call, and every warehouse assigned
        to a SKU must be listed (the API refuses the whole call otherwise).
        """
        body = checks.inventory_body(str(product_id), skus)
        if not body["skus"]:
            return []
        path = INVENTORY.path(product_id=product_id)
        # idempotent: quantities are set, not added, so a resend after a lost answer is harmless
        data = self._call(
            "POST",
            path,
            body=body,
            operation="update inventory",
            rate_key=INVENTORY.template,
            idempotent=True,
        )
        return _sku_errors(data.get("errors"))

    def update_prices(self, product_id: str, prices: Mapping[str, tuple[Decimal | str, str]]) -> None:
        """Set ``{sku_id: (amount, currency)}``; only ACTIVATE products (else 12052901, PermanentError)."""
        body = checks.prices_body(str(product_id), prices)
        if not body["skus"]:
            return
        path = PRICES.path(product_id=product_id)
        # idempotent: prices are set to the given values
        self._call("POST", path, body=body, operation="update prices", rate_key=PRICES.template, idempotent=True)


def _sku_chunks(seller_skus: Sequence[str]) -> list[list[str]]:
    """The SKUs (each once, in order) in lists of at most ``SELLER_SKUS_PER_CALL``; ``[[]]`` for none."""
    if isinstance(seller_skus, str):
        raise TypeError("seller_skus is a list of SKUs, not one string")
    unique = list(dict.fromkeys(str(s) for s in seller_skus))
    return [unique[i : i + SELLER_SKUS_PER_CALL] for i in range(0, len(unique), SELLER_SKUS_PER_CALL)] or [[]]


def _sku_errors(raw: Any) -> list[SkuError]:
    """``data.errors`` as SkuErrors. A malformed entry still reports a failure, never vanishes."""
    if raw is None:
        return []
    entries = raw if isinstance(raw, list) else [raw]
    schema = schemas.SkuErrorSchema()
    out: list[SkuError] = []
    for index, entry in enumerate(entries):
        try:
            out.append(load_typed(schema, entry, kind="sku error", source="TikTok inventory/update", index=index))
        except RecordError as err:
            out.append(SkuError(None, None, f"unreadable error entry: {err}"))
    return out
