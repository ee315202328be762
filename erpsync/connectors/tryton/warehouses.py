"""Tryton warehouses as erpsync reads them: a ``stock.location`` of type warehouse and its address.

The mapping, field by field, is in ``docs/erp-tryton.md``. The address is read in the same
``search_read`` as the location (dotted field names), its phone from the contact mechanisms linked
to it (``party.contact_mechanism.address``), so a page of warehouses is one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers

from erpsync.core.errors import RecordError
from erpsync.core.models import Address, HandoverMode, Warehouse

from .rpc import related

#: the contact mechanism types that hold a phone number (``modules/party/contact_mechanism.py``)
PHONE_TYPES = ("phone", "mobile")
#: the ``party.address`` fields of the street format; writing ``street`` clears them as Tryton's
#: own ``Address.set_street`` does, so the street read back is the one written
STREET_PARTS = ("street_name", "building_name", "building_number", "unit_number", "floor_number", "room_number")
#: the fields of a warehouse location erpsync reads, whatever the options
BASE_FIELDS = (
    "code",
    "name",
    "address",
    "address.party",
    "address.street",
    "address.city",
    "address.postal_code",
    "address.country.code",
    "address.subdivision.name",
    "address.contact_mechanisms.type",
    "address.contact_mechanisms.value",
    "address.contact_mechanisms.active",
)


def location_fields(options: Mapping[str, Any]) -> list[str]:
    """What to read of each warehouse location: the base fields and the address fields the options name."""
    extra = [f"address.{options[n]}" for n in ("contact_field", "district_field", "handover_field") if options.get(n)]
    return [*BASE_FIELDS, *extra]


def national_phone(value: str, country: str) -> str:
    """The number as dialled inside ``country`` when it is one of that country's, else as Tryton keeps it.

    Tryton rewrites a number it can parse in international format (``ContactMechanism.format_value``:
    ``+86 138 0013 8000``); Seller Center and the operators write it nationally (``13800138000``).
    """
    if not value or not country:
        return value
    try:
        number = phonenumbers.parse(value, country.upper())
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != country.upper():
        return value
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(c for c in national if c.isdigit())


def phone_mechanism(address: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The address's first active phone or mobile contact mechanism (Tryton's order), or None."""
    for mechanism in address.get("contact_mechanisms.") or ():
        if mechanism.get("type") in PHONE_TYPES and mechanism.get("active", True):
            return mechanism
    return None


def _text(value: Any) -> str:
    return "" if value is None or value is False else str(value)


def handover_of(value: Any, options: Mapping[str, Any], record: str) -> HandoverMode | None:
    """The handover mode a value of ``handover_field`` means; another value is a RecordError."""
    text = _text(value).strip()
    if not text:
        return None
    if text == options["handover_pickup"]:
        return HandoverMode.PICKUP
    if text == options["handover_drop_off"]:
        return HandoverMode.DROP_OFF
    expected = f"{options['handover_pickup']!r} or {options['handover_drop_off']!r}"
    raise RecordError(
        f"{text!r} is no handover mode (expected {expected})", record=record, field=options["handover_field"]
    )


def build_warehouse(row: Mapping[str, Any], options: Mapping[str, Any], *, source: str) -> Warehouse:
    """One warehouse location row as a Warehouse; what cannot be mapped is a RecordError naming the field."""
    code = _text(row.get("code")).strip()
    record = f"warehouse {code!r}"
    address = row.get("address.")
    if not isinstance(address, Mapping):
        raise RecordError("no address: set the warehouse's address in Tryton", record=record, field="address")
    country = _text(related(address, "country.code"))
    mechanism = phone_mechanism(address)
    contact, district = options.get("contact_field"), options.get("district_field")
    handover = options.get("handover_field")
    return Warehouse(
        id=code,
        name=_text(row.get("name")),
        address=Address(
            contact_person=_text(address.get(contact)) if contact else "",
            phone=national_phone(_text(mechanism.get("value")), country) if mechanism else "",
            region_code=country,
            state=_text(related(address, "subdivision.name")),
            city=_text(address.get("city")),
            district=_text(address.get(district)) if district else "",
            street=_text(address.get("street")),
            postal_code=_text(address.get("postal_code")),
        ),
        handover_mode=handover_of(address.get(handover), options, record) if handover else None,
        source=source,
    )
