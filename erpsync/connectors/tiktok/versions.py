"""Every Open API operation the client calls, with its documented method, path and version.

One table, so moving an endpoint to a newer version is a one-line change here, and so the tests
can check that each operation has a recorded response (``tests/fixtures/tiktok/responses/``).
Each line names the page of the Partner Center API reference (public scrape, 2025-12) whose
``interface_path`` it copies; the versions differ per endpoint because TikTok versions each one
separately. Placeholders are named as the reference names them (``{product_id}``...).

The templated path is also the rate-limit key: the API counts requests per path, and every
product (or package) id is the same path for that count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Endpoint:
    """One documented operation: ``method`` and ``template`` exactly as the reference page has them."""

    method: str
    template: str
    page: str  # the reference page's title, for messages and docs

    @property
    def version(self) -> str:
        """The version segment (``202309``...), the second part of every Open API path."""
        return self.template.split("/")[2]

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.template))

    def path(self, **ids: object) -> str:
        """The path with its placeholders filled; every placeholder must be given, and no other."""
        wanted = set(self.placeholders)
        if set(ids) != wanted:
            raise ValueError(f"{self.template} takes {sorted(wanted)}, got {sorted(ids)}")
        for name, value in ids.items():
            text = str(value).strip()
            if not text or "/" in text or "?" in text:
                raise ValueError(f"{name} {value!r} cannot be part of a path")
        return _PLACEHOLDER.sub(lambda m: str(ids[m.group(1)]).strip(), self.template)


# fmt: off
ENDPOINTS: dict[str, Endpoint] = {
    # -- authorization and logistics -----------------------------------------------------------
    "get_authorized_shops": Endpoint("GET", "/authorization/202309/shops", "Get Authorized Shops"),
    "get_warehouse_list": Endpoint("GET", "/logistics/202309/warehouses", "Get Warehouse List"),
    "get_warehouse_delivery_options": Endpoint(
        "GET", "/logistics/202309/warehouses/{warehouse_id}/delivery_options", "Get Warehouse Delivery Options"),
    "get_shipping_providers": Endpoint(
        "GET", "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers", "Get Shipping Providers"),
    # -- products ------------------------------------------------------------------------------
    "upload_product_image": Endpoint("POST", "/product/202309/images/upload", "Upload Product Image"),
    "create_product": Endpoint("POST", "/product/202309/products", "Create Product"),
    "partial_edit_product": Endpoint(
        "POST", "/product/202509/products/{product_id}/partial_edit", "Partial Edit Product"),
    "get_product": Endpoint("GET", "/product/202309/products/{product_id}", "Get Product"),
    "search_products": Endpoint("POST", "/product/202502/products/search", "Search Products"),
    "update_inventory": Endpoint(
        "POST", "/product/202309/products/{product_id}/inventory/update", "Update Inventory"),
    "update_price": Endpoint("POST", "/product/202309/products/{product_id}/prices/update", "Update Price"),
    # -- orders --------------------------------------------------------------------------------
    "get_order_list": Endpoint("POST", "/order/202309/orders/search", "Get Order List"),
    "get_order_detail": Endpoint("GET", "/order/202507/orders", "Get Order Detail"),
    # -- fulfillment ---------------------------------------------------------------------------
    "search_package": Endpoint("POST", "/fulfillment/202309/packages/search", "Search Package"),
    "get_package_detail": Endpoint("GET", "/fulfillment/202309/packages/{package_id}", "Get Package Detail"),
    "get_package_handover_time_slots": Endpoint(
        "GET", "/fulfillment/202309/packages/{package_id}/handover_time_slots", "Get Package Handover Time Slots"),
    "ship_package": Endpoint("POST", "/fulfillment/202309/packages/{package_id}/ship", "Ship Package"),
    "batch_ship_packages": Endpoint("POST", "/fulfillment/202309/packages/ship", "Batch Ship Packages"),
    "update_package_shipping_info": Endpoint(
        "POST", "/fulfillment/202309/packages/{package_id}/shipping_info/update", "Update Package Shipping Info"),
    "update_shipping_info": Endpoint(
        "POST", "/fulfillment/202309/orders/{order_id}/shipping_info/update", "Update Shipping Info"),
    "get_tracking": Endpoint("GET", "/fulfillment/202309/orders/{order_id}/tracking", "Get Tracking"),
}
# fmt: on


def endpoint(name: str) -> Endpoint:
    """The table's entry for ``name``; KeyError names the known operations."""
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KeyError(f"no Open API operation {name!r} (known: {', '.join(sorted(ENDPOINTS))})") from None
