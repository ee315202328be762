"""Warehouses: ``stock.warehouse`` and its address partner (``res.partner``), read and corrected.

A warehouse's address is the partner in its ``partner_id`` ("Address", ``addons/stock/models/
stock_warehouse.py``): ``name`` (the contact), ``phone``, ``street``, ``street2`` (the district,
by default: Odoo has no district field), ``city``, ``zip``, ``country_id`` (``res.country``, by
its ISO ``code``) and ``state_id`` (``res.country.state``: ``name``, ``code``, ``country_id``).
erpsync's id for a warehouse is its database id, since its ``code`` ("Short Name") holds five
characters at most and may be renamed.

A correction writes only the partner's fields being corrected (``res.partner.write``). A state is
written by finding the subdivision of that name or code in the partner's country (the one the
same write sets, if it sets one): none, or several, refuse the write, naming warehouse and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from erpsync.core.erp_connector import collect_records
from erpsync.core.errors import NotFoundError, PermanentError, RecordError
from erpsync.core.models import Address, HandoverMode, Records, Warehouse

from .transport import Transport
from .values import label, many2one, odoo_id, read_ids, search_all, text

__all__ = ["ADDRESS_FIELDS", "WarehousesMixin"]

WAREHOUSE, PARTNER, COUNTRY, STATE = "stock.warehouse", "res.partner", "res.country", "res.country.state"
ADDRESS_FIELDS = ("contact_person", "phone", "region_code", "state", "city", "district", "street", "postal_code")
#: the Address fields kept in a partner's plain char fields (the district's is an option)
_PARTNER_TEXT = {"contact_person": "name", "phone": "phone", "street": "street", "city": "city", "postal_code": "zip"}


class WarehousesMixin:
    """``WarehouseReader``, ``WarehouseWriter`` and ``PickupWriter`` over Odoo's models."""

    type: ClassVar[str]
    options: dict[str, Any]
    transport: Transport

    # -- reading -----------------------------------------------------------------------------

    def list_warehouses(self) -> Records[Warehouse]:
        page = int(self.options["page_size"])
        fields = ["name", "code", "partner_id", *self._optional_fields()]
        rows = list(search_all(self.transport, WAREHOUSE, [], fields, page_size=page, operation="read warehouses"))
        partner_ids = {v[0] for r in rows if isinstance(v := r.get("partner_id"), list) and v}
        partners = read_ids(
            self.transport, PARTNER, partner_ids, self._partner_fields(), page_size=page, operation="read addresses"
        )
        country_ids = {v[0] for p in partners.values() if isinstance(v := p.get("country_id"), list) and v}
        state_ids = {v[0] for p in partners.values() if isinstance(v := p.get("state_id"), list) and v}
        countries = read_ids(self.transport, COUNTRY, country_ids, ["code"], page_size=page, operation="read countries")
        states = read_ids(
            self.transport, STATE, state_ids, ["name", "code", "country_id"], page_size=page, operation="read states"
        )

        def build(row: Mapping[str, Any]) -> Warehouse:
            record = label(row, "warehouse")
            partner = many2one(row, "partner_id", record=record)
            if partner is None:
                raise RecordError("no address: its partner_id is empty", record=record, field="partner_id")
            found = partners.get(partner[0])
            if found is None:
                reason = f"its address partner {partner[0]} does not exist or cannot be read"
                raise RecordError(reason, record=record, field="partner_id")
            return Warehouse(
                id=str(row["id"]),
                name=text(row, "name", record=record),
                address=self._address(found, countries, states, f"{record}: partner {partner[0]}"),
                handover_mode=self._handover(row, record),
                seller_warehouse_id=self._seller_id(row, record),
                source=f"odoo {WAREHOUSE} {row['id']}",
            )

        return collect_records(rows, build, source=f"odoo {WAREHOUSE}")

    def _optional_fields(self) -> list[str]:
        return [f for f in (self.options["seller_warehouse_field"], self.options["handover_field"]) if f]

    def _partner_fields(self) -> list[str]:
        district = [self.options["district_field"]] if self.options["district_field"] else []
        return [*_PARTNER_TEXT.values(), *district, "state_id", "country_id"]

    def _address(
        self, partner: Mapping[str, Any], countries: Mapping[int, Any], states: Mapping[int, Any], record: str
    ) -> Address:
        region = ""
        country = many2one(partner, "country_id", record=record)
        if country is not None:
            if country[0] not in countries:
                raise RecordError(f"country {country[0]} cannot be read", record=record, field="country_id")
            region = text(countries[country[0]], "code", record=record)
        state = ""
        subdivision = many2one(partner, "state_id", record=record)
        if subdivision is not None:
            if subdivision[0] not in states:
                reason = f"unknown subdivision {subdivision[0]} ({subdivision[1]!r}): it cannot be read"
                raise RecordError(reason, record=record, field="state_id")
            state = text(states[subdivision[0]], "name", record=record)
        district = self.options["district_field"]
        values = {key: text(partner, name, record=record) for key, name in _PARTNER_TEXT.items()}
        return Address(
            region_code=region,
            state=state,
            district=text(partner, district, record=record) if district else "",
            **values,
        )

    def _handover(self, row: Mapping[str, Any], record: str) -> HandoverMode | None:
        name = self.options["handover_field"]
        if not name:
            return None
        value = row.get(name, False)
        if value is False or value is None or value == "":
            return None
        if value == self.options["handover_pickup"]:
            return HandoverMode.PICKUP
        if value == self.options["handover_drop_off"]:
            return HandoverMode.DROP_OFF
        expected = f"{self.options['handover_pickup']!r} nor {self.options['handover_drop_off']!r}"
        raise RecordError(f"{value!r:.40} is neither {expected}", record=record, field=name)

    def _seller_id(self, row: Mapping[str, Any], record: str) -> str | None:
        name = self.options["seller_warehouse_field"]
        return (text(row, name, record=record).strip() or None) if name else None

    # -- writing -----------------------------------------------------------------------------

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        unknown = sorted(set(changes) - set(ADDRESS_FIELDS))
        if unknown:
            raise ValueError(f"not Address fields: {', '.join(unknown)}")
        if "district" in changes and not self.options["district_field"]:
            raise PermanentError(
                f"warehouse {warehouse_id}: district: not kept in Odoo (set option district_field)",
                connector=self.type,
                operation="write address",
            )
        op = "write address"
        wid = odoo_id(warehouse_id, WAREHOUSE, connector=self.type, operation=op)
        rows = self.transport.call(
            WAREHOUSE, "search_read", {"domain": [["id", "=", wid]], "fields": ["partner_id"]}, operation=op
        )
        if not rows:
            raise NotFoundError(f"no {WAREHOUSE} {wid}", connector=self.type, operation=op)
        partner = many2one(rows[0], "partner_id", record=f"warehouse {wid}")
        if partner is None:
            reason = f"warehouse {wid} has no address partner (partner_id): set one in Odoo"
            raise PermanentError(reason, connector=self.type, operation=op)
        vals: dict[str, Any] = {_PARTNER_TEXT[k]: (v or False) for k, v in changes.items() if k in _PARTNER_TEXT}
        if "district" in changes:
            vals[self.options["district_field"]] = changes["district"] or False
        if "region_code" in changes:
            vals["country_id"] = self._country_id(wid, changes["region_code"]) if changes["region_code"] else False
        if "state" in changes:
            vals["state_id"] = (
                self._state_id(wid, partner[0], changes["state"], vals.get("country_id"), changes.get("region_code"))
                if changes["state"]
                else False
            )
        if vals:
            self.transport.call(PARTNER, "write", {"vals": vals}, ids=[partner[0]], operation=op)

    def _refuse(self, wid: int, field: str, reason: str) -> PermanentError:
        return PermanentError(f"warehouse {wid}: {field}: {reason}", connector=self.type, operation="write address")

    def _country_id(self, wid: int, code: str) -> int:
        domain = [["code", "=", code.strip().upper()]]
        rows = self.transport.call(
            COUNTRY, "search_read", {"domain": domain, "fields": ["code"]}, operation="find country"
        )
        if len(rows) != 1:
            raise self._refuse(wid, "region_code", f"no country with code {code!r} in Odoo")
        return int(rows[0]["id"])

    def _state_id(self, wid: int, partner_id: int, value: str, country_id: int | None, label: str | None) -> int:
        """The subdivision ``value`` names (its name or code) in the country given, else the partner's."""
        if country_id is False:  # the same write clears the country
            raise self._refuse(wid, "state", "the address has no country to find the subdivision in")
        if country_id is None:
            found = self.transport.call(
                PARTNER,
                "search_read",
                {"domain": [["id", "=", partner_id]], "fields": ["country_id"]},
                context={"active_test": False},  # an archived partner is read, so it is written too
                operation="read address",
            )
            country = many2one(found[0], "country_id", record=f"partner {partner_id}") if found else None
            if country is None:
                raise self._refuse(wid, "state", "the address has no country to find the subdivision in")
            country_id, label = country
        name = value.strip()
        domain = ["&", ["country_id", "=", country_id], "|", ["name", "=", name], ["code", "=", name]]
        rows = self.transport.call(STATE, "search_read", {"domain": domain, "fields": ["name"]}, operation="find state")
        if len(rows) != 1:
            how = "no" if not rows else f"{len(rows)} subdivisions match, not one:"
            raise self._refuse(wid, "state", f"{how} subdivision {value!r} in country {label or country_id}")
        return int(rows[0]["id"])

    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        field = self.options["handover_field"]
        if not field:
            raise PermanentError(
                "handover mode: not kept in Odoo (set option handover_field, and handover_pickup / "
                "handover_drop_off, to a stock.warehouse field that holds it)",
                connector=self.type,
                operation="write handover mode",
            )
        op = "write handover mode"
        wid = odoo_id(warehouse_id, WAREHOUSE, connector=self.type, operation=op)
        value = self.options["handover_pickup" if mode is HandoverMode.PICKUP else "handover_drop_off"]
        self.transport.call(WAREHOUSE, "write", {"vals": {field: value}}, ids=[wid], operation=op)
