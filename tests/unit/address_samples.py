"""Test helper (not a test module): the warehouse address the address tests vary one field of.

Imported as ``from address_samples import BASE`` by ``test_address.py`` and
``test_address_cosmetic.py`` (a plain module, like ``open_api_fakes``).
"""

from __future__ import annotations

from erpsync.core.models import Address

#: a Dongguan warehouse written the way Seller Center shows it
BASE = Address(
    contact_person="张三",
    phone="13800138000",
    region_code="CN",
    state="广东省",
    city="东莞市",
    district="长安镇",
    street="乌沙步步高大道126号3栋501室",
    postal_code="523000",
)
