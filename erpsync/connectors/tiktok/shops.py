"""The shop and warehouse records the client reads itself (Get Authorized Shops, Get Warehouse List).

Every API call needs the shop's ``shop_cipher``, so the authorised shops are the client's own
business (``client.py``), and so are the warehouses the seller connector compares. These two load
as plain dicts, one record at a time through ``loading.load_page``: a malformed record becomes a
``RecordError`` naming the record and the field while the rest of the page goes on. Null text
reads as ``""``, because ``seller.py`` compares and joins these strings.

The warehouse address is its own shape (:class:`WarehouseAddressSchema`): a seller's return or
sales address, with ``address_line1..4``, ``contact_person`` and the API's ``distict`` spelling.
An order's delivery address is another (``orders/schemas.py``, ``RecipientAddressSchema``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load

from erpsync.connectors.tiktok.fields import Base, Id, text


class _Record(Base):
    """A record loaded as a dict (no dataclass): null text becomes ``""`` here, once."""

    @post_load
    def _none_to_empty(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # the API sends null for blank text fields; downstream code compares strings
        return {k: ("" if v is None and isinstance(self.fields.get(k), fields.String) else v) for k, v in data.items()}


class ShopSchema(_Record):
    id = Id(required=True)
    name = text()
    region = text()
    seller_type = text()
    cipher = fields.String(required=True)
    code = text()


class WarehouseAddressSchema(_Record):
    region_code = text()
    state = text()
    city = text()
    distict = text()  # (sic): the API's spelling
    town = text()
    postal_code = text()
    full_address = text()
    address_line1 = text()
    address_line2 = text()
    address_line3 = text()
    address_line4 = text()
    contact_person = text()
    phone_number = text()


class WarehouseSchema(_Record):
    id = Id(required=True)
    name = text()
    is_default = fields.Boolean(load_default=False, allow_none=True)
    effect_status = text()
    type = text()
    sub_type = text()
    address = fields.Nested(
        WarehouseAddressSchema, load_default=lambda: WarehouseAddressSchema().load({}), allow_none=False
    )
