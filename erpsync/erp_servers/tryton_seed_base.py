"""The ground floor of seeding a local Tryton: calls, look-ups and reference data (countries, units, parties).

Everything goes through the admin's JSON-RPC (``TrytonServer.rpc``), as a person at the Tryton client
would enter it, so the records carry Tryton's own defaults and checks. The arguments are Tryton's fields,
not erpsync's models: how erpsync reads them is the connector's business (docs/erp-tryton.md), and the
tests compare the two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .tryton import TrytonServer


def decimal(value: Decimal | str | int) -> dict[str, str]:
    """Tryton's wire form of a Decimal (trytond/protocols/jsonrpc.py, the Decimal decoder)."""
    return {"__class__": "Decimal", "decimal": str(value)}


@dataclass(frozen=True)
class AddressSpec:
    """A ``party.address`` with the phone of its party: what a warehouse's address is in Tryton."""

    country: str  # ISO code, e.g. "CN"
    subdivision: str  # ISO code, e.g. "CN-GD"; "" for none
    city: str
    street: str
    postal_code: str = ""
    attn: str = ""
    phone: str = ""
    #: more Char fields of party.address (e.g. a district in ``post_office``)
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Variant:
    suffix_code: str
    list_price: Decimal
    quantity: int = 0
    description: str = ""


#: the subdivisions the tests and the demo use: ISO 3166-2 code → the name Tryton shows
SUBDIVISIONS = {
    "CN-GD": "广东省",
    "CN-ZJ": "浙江省",
    "CN-SH": "上海市",
    "CN-BJ": "北京市",
    "CN-FJ": "福建省",
    "CN-JS": "江苏省",
}
COUNTRIES = {"CN": "China"}


class SeederBase:
    """Creates records on one server; remembers the ids it looked up (unit, countries, company)."""

    def __init__(self, server: TrytonServer) -> None:
        self.server = server
        self.context = server.context()
        self._ids: dict[tuple[str, str], int] = {}

    def call(self, model: str, method: str, *params: Any) -> Any:
        return self.server.rpc(f"model.{model}.{method}", *params, self.context)

    def create(self, model: str, values: Mapping[str, Any]) -> int:
        (record_id,) = self.call(model, "create", [dict(values)])
        return int(record_id)

    def write(self, model: str, ids: Sequence[int], values: Mapping[str, Any]) -> None:
        self.call(model, "write", list(ids), dict(values))

    def find(self, model: str, domain: list[Any]) -> int | None:
        found = self.call(model, "search", domain, 0, 1, None)
        return int(found[0]) if found else None

    def _cached(self, model: str, key: str, domain: list[Any], values: Mapping[str, Any] | None) -> int:
        if (model, key) not in self._ids:
            found = self.find(model, domain)
            if found is None:
                if values is None:
                    raise LookupError(f"no {model} {key!r} in Tryton")
                found = self.create(model, values)
            self._ids[(model, key)] = found
        return self._ids[(model, key)]

    # --- reference data ---------------------------------------------------------------------------------------

    def country(self, code: str) -> int:
        name = COUNTRIES.get(code, code)
        return self._cached("country.country", code, [["code", "=", code]], {"code": code, "name": name})

    def subdivision(self, code: str, name: str | None = None) -> int:
        """A subdivision by ISO code, created under its country (``CN-GD`` → China) when missing."""
        values = {
            "country": self.country(code.split("-")[0]),
            "code": code,
            "name": name or SUBDIVISIONS.get(code, code),
            "type": "province",
        }
        return self._cached("country.subdivision", code, [["code", "=", code]], values)

    def unit(self) -> int:
        return self._cached("product.uom", "unit", [["symbol", "=", "u"]], None)

    def company(self) -> int:
        return int(self.context["company"])

    def currency(self) -> int:
        if ("currency.currency", "company") not in self._ids:
            (company,) = self.call("company.company", "read", [self.company()], ["currency"])
            self._ids[("currency.currency", "company")] = int(company["currency"])
        return self._ids[("currency.currency", "company")]

    def party(self, name: str) -> int:
        return self._cached("party.party", name, [["name", "=", name]], {"name": name})

    def address(self, party: int, spec: AddressSpec) -> int:
        values: dict[str, Any] = {
            "party": party,
            "country": self.country(spec.country),
            "city": spec.city,
            "street_unstructured": spec.street,
            "postal_code": spec.postal_code,
            "attn": spec.attn,
            **spec.extra,
        }
        if spec.subdivision:
            values["subdivision"] = self.subdivision(spec.subdivision)
        address = self.create("party.address", values)
        if spec.phone:
            mechanism = {"party": party, "address": address, "type": "phone", "value": spec.phone}
            self.create("party.contact_mechanism", mechanism)
        return address
