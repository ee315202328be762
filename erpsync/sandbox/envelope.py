"""The Open API response envelope ``{code, message, request_id, data}`` and the error type.

Every response, success or failure, goes through :func:`respond`, so every one carries a
fresh ``request_id`` and no handler can leak a traceback to the client.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from werkzeug.wrappers import Response

# Error codes. The common ones follow docs/open-api-full.md §1 and §6; the per-endpoint ones are
# taken from the error code list of the named endpoint in the Partner Center API reference
# (public scrape, 2025-12). Where the reference lists no code for a case the sandbox models, the
# constant says it is a guess.
BAD_SIGN = 106001
TOKEN_EXPIRED = 105002
SCOPE_NOT_GRANTED = 105005
CIPHER_MISMATCH = 101000
MISSING_CIPHER = 106013
RATE_LIMITED = 36009002
INTERNAL = 36009003
#: Invalid parameters in general; also the sandbox's code wherever no documented code fits
#: (e.g. a missing ``content-type`` header, more than 50 order ids, a duplicate seller_sku).
BAD_REQUEST = 36009004
#: "Invalid path. The specified path does not match any available endpoint." (common errors)
UNKNOWN_PATH = 36009009
#: "Invalid request format. The request body format must be `application/json` for structured
#: data or `multipart/form-data` for binary files." (common errors)
BAD_BODY_FORMAT = 36009022
#: "Invalid request format. The value of the `content-type` header must be
#: `multipart/form-data`." (common errors)
NOT_MULTIPART = 36009023

# Fulfillment (Ship Package, Batch Ship Packages, Update Package/Order Shipping Info lists).
#: Ship Package: "Package has already been shipped."
PACKAGE_ALREADY_SHIPPED = 21011040
#: Batch Ship Packages, per package in ``data.errors``: "These orders are already shipped."
ORDERS_ALREADY_SHIPPED = 21011020
#: "The package does not belong to the current shop." Documented for ship, batch ship and both
#: shipping-info updates; used too (a guess) for Get Package Detail, handover time slots and tracking,
#: whose lists name no such code.
NOT_OF_SHOP = 21011028
#: Get Shipping Providers: "The delivery of the specified delivery_option_id is fulfilled by
#: TikTok. No shipping provider will be returned."
FULFILLED_BY_TIKTOK = 21008117
#: Update (Package) Shipping Info: "The package has not been shipped yet."
NOT_SHIPPED = 21011043
#: Update Package Shipping Info and Update Shipping Info: "This API cannot be used to update package
#: shipping information for packages that are not shipped by sellers."
NOT_SELLER_SHIPPED = 21011004
#: Update (Package) Shipping Info: "Due to platform rule limitations, you are unable to update the
#: tracking number" (the Partner Center fulfilment changelog says the 72 h window closes with it).
SHIPPING_INFO_WINDOW = 21011049
#: Update (Package) Shipping Info: "The tracking number can only be updated once." (the Fulfillment
#: API overview: "Each order is limited to one delivery information update", in every market)
UPDATED_ONCE = 21011051

# Products (Create Product, Edit Product Partially, Get Product, Update Inventory, Update Price lists).
PRODUCT_NOT_FOUND = 12052032  # "The product does not exist"
PRODUCT_STATUS_FORBIDS = 12052901  # "The product in its current status is not available for this operation"
SKU_NOT_FOUND = 12052556  # Update Inventory, per SKU: "The SKU id not exist."
SKU_NOT_OF_PRODUCT = 12052557  # Edit Partially / Update Price: "The SKU ID does not belong to the product."
TOO_MANY_SKUS = 12052050  # "A single product cannot have more than 100 different SKUs"
SKUS_EMPTY = 12052902  # "The SKU list is empty. Either omit the list entirely, or provide all required details."
ALL_WAREHOUSES_REQUIRED = 12019028  # Update Inventory: "Multiple warehouses detected. Include all warehouse IDs ..."
QUANTITY_OUT_OF_RANGE = 12052055  # "The SKU inventory quantity for the warehouse must be within allowed limits."
WAREHOUSE_NOT_FOUND = 12052097  # Create Product / Update Inventory: "The warehouse does not exist"
WAREHOUSE_NOT_OF_SHOP = 12052530  # "The warehouse '{id}' does not belong to this shop/seller."
TITLE_EMPTY = 12052261  # "product name is empty"
TITLE_TOO_LONG = 12052051  # "The product name exceed max limit characters"
DESCRIPTION_REQUIRED = 12052015  # "The product description is required"
CATEGORY_NOT_FOUND = 12052023  # "Category does not exist"
MAIN_IMAGE_REQUIRED = 12052028  # "Main product image is required"
IMAGE_URI_ILLEGAL = 12052300  # "product main image uri illegal"
WEIGHT_INVALID = 12019011  # "product package weight is invalid"
SIZE_INVALID = 12019012  # Create Product: "product package size is invalid"
PRICE_INVALID = 12052073  # "The product price is invalid"
CURRENCY_INVALID = 12052084  # "The provided currency is not available for this shop/region."
# Product search (Search Products 202502 list).
TOO_MANY_SELLER_SKUS = 12019027  # "The maximum count of "seller_skus" in the search filter is 10."
PAGE_SIZE_INVALID = 12019109  # "page size is invalid"

# Upload Product Image (its error code list).
INVALID_PARAM = 11050001  # "invalid param" (the sandbox: an unknown use_case)
UPLOAD_FILE_INVALID = 12038002  # "Invalid upload file. Please ensure you are passing the correct file data."
IMAGE_FORMAT_UNSUPPORTED = 12038004  # "Failed to process the image. The format or content is not supported."
IMAGE_TOO_LARGE = 12038005  # "The file size exceeds the maximum allowed size."
IMAGE_DIMENSIONS = 12038014  # "The image dimensions exceed the allowed limits. Allowed dimensions ..."

# Token endpoint errors (HTTP 200).
REFRESH_EXPIRED = 36004001
BAD_AUTH_CODE = 36004004
NO_AUTH_RECORD = 36004005


class SandboxError(Exception):
    """An error answer: HTTP status, Open API code and a message that says what to fix."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def new_request_id() -> str:
    """A request id shaped like the real ones: a UTC timestamp then random uppercase hex."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(9).upper()


def respond(
    data: Any = None,
    *,
    code: int = 0,
    message: str = "Success",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Wrap ``data`` in the envelope; errors carry ``data: null`` as the contract allows."""
    body = {"code": code, "message": message, "request_id": new_request_id(), "data": data}
    response = Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: SandboxError) -> Response:
    """Render a :class:`SandboxError` as an envelope."""
    return respond(None, code=error.code, message=error.message, status=error.status, headers=error.headers)


def parse_json_body(raw: bytes, *, required: bool = False) -> dict[str, Any]:
    """Decode a JSON object body; an empty body is ``{}`` unless ``required``.

    Raises 400/36009004 with a message naming the problem, never a traceback.
    """
    if not raw.strip():
        if required:
            raise SandboxError(400, BAD_REQUEST, "request body is required (a JSON object)")
        return {}
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SandboxError(400, BAD_REQUEST, f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SandboxError(400, BAD_REQUEST, "request body must be a JSON object")
    return value
