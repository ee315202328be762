"""Writing a warehouse's address: the ``party.address`` values one correction sets, and nothing else.

A correction names only the Address fields it changes; each becomes the Tryton field that holds it
(``docs/erp-tryton.md``), the phone an action on the address's ``contact_mechanisms`` (a One2Many
written through its parent: ``[["write", ids, values]]`` or ``[["create", [values]]]``), so the
whole correction is one ``party.address.write`` and one transaction. A value Tryton cannot hold (a
subdivision or country it does not know) refuses the whole correction before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

from erpsync.core.errors import PermanentError
from erpsync.core.models import Address

from .warehouses import STREET_PARTS, national_phone, phone_mechanism

ADDRESS_FIELDS = tuple(f.name for f in fields(Address))

#: ``country code → country id`` and ``(country id, name or code) → subdivision id``; None: unknown
CountryLookup = Callable[[str], int | None]
SubdivisionLookup = Callable[[int, str], int | None]


def check_names(changes: Mapping[str, str], options: Mapping[str, Any], warehouse_id: str, connector: str) -> None:
    """Refuse a change outside Address (a programming error) or of a field this Tryton does not keep."""
    unknown = sorted(set(changes) - set(ADDRESS_FIELDS))
    if unknown:
        raise ValueError(f"not Address fields: {', '.join(unknown)}")
    for name, option in (("contact_person", "contact_field"), ("district", "district_field")):
        if name in changes and not options.get(option):
            raise PermanentError(
                f"warehouse {warehouse_id!r}: {name}: not kept in Tryton (set option {option})",
                connector=connector,
                operation="set_warehouse_address",
            )


def address_values(
    location: Mapping[str, Any],
    changes: Mapping[str, str],
    options: Mapping[str, Any],
    *,
    country_id: CountryLookup,
    subdivision_id: SubdivisionLookup,
    connector: str,
) -> dict[str, Any]:
    """The ``party.address`` values that make ``location``'s address hold ``changes``."""
    warehouse_id = str(location.get("code") or "")
    check_names(changes, options, warehouse_id, connector)

    def refuse(field: str, reason: str) -> PermanentError:
        return PermanentError(
            f"warehouse {warehouse_id!r}: {field}: {reason}", connector=connector, operation="set_warehouse_address"
        )

    address = location.get("address.")
    if not isinstance(address, Mapping):
        raise refuse("address", "the warehouse has no address in Tryton to write to")
    values: dict[str, Any] = {}
    simple = {"city": "city", "postal_code": "postal_code"}
    if options.get("contact_field"):
        simple["contact_person"] = options["contact_field"]
    if options.get("district_field"):
        simple["district"] = options["district_field"]
    for name, target in simple.items():
        if name in changes:
            values[target] = changes[name] or None
    if "street" in changes:
        values["street_unstructured"] = changes["street"] or None
        values.update({part: None for part in STREET_PARTS})
    country = (address.get("country.") or {}).get("id")
    if "region_code" in changes:
        code = changes["region_code"].strip().upper()
        country = country_id(code) if code else None
        if code and country is None:
            raise refuse("region_code", f"Tryton has no country with code {code!r}")
        values["country"] = country
    if "state" in changes:
        state = changes["state"].strip()
        subdivision = subdivision_id(country, state) if state and country is not None else None
        if state and subdivision is None:
            where = f"country {changes.get('region_code') or (address.get('country.') or {}).get('code') or '(none)'}"
            raise refuse("state", f"Tryton has no subdivision {state!r} in {where}")
        values["subdivision"] = subdivision
    if "phone" in changes:
        action = _phone_action(address, changes["phone"], changes.get("region_code") or "")
        if action is not None:
            values["contact_mechanisms"] = [action]
    return values


def _phone_action(address: Mapping[str, Any], phone: str, region: str) -> list[Any] | None:
    """The ``contact_mechanisms`` action that makes the address's phone ``phone`` (None: it is already)."""
    mechanism = phone_mechanism(address)
    country = region or str((address.get("country.") or {}).get("code") or "")
    if mechanism is None:
        if not phone:
            return None
        return ["create", [{"type": "phone", "value": phone, "party": address.get("party")}]]
    current = str(mechanism.get("value") or "")
    if phone and phone in (current, national_phone(current, country)):
        return None
    if not phone:
        return ["delete", [mechanism["id"]]]
    return ["write", [mechanism["id"]], {"value": phone}]


def handover_values(
    location: Mapping[str, Any], value: str, options: Mapping[str, Any], *, connector: str
) -> dict[str, Any]:
    """The ``party.address`` values that record a handover mode (``handover_field`` must be set)."""
    warehouse_id = str(location.get("code") or "")
    if not options.get("handover_field"):
        raise PermanentError(
            f"warehouse {warehouse_id!r}: handover_mode: not kept in Tryton "
            "(set option handover_field, and handover_pickup / handover_drop_off if the values differ)",
            connector=connector,
            operation="set_handover_mode",
        )
    if not isinstance(location.get("address."), Mapping):
        raise PermanentError(
            f"warehouse {warehouse_id!r}: address: the warehouse has no address in Tryton to write to",
            connector=connector,
            operation="set_handover_mode",
        )
    return {options["handover_field"]: value}
