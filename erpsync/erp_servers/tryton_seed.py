"""Seeding a local Tryton in Tryton's own terms: warehouses, products with stock, sales, outgoing shipments.

Each method makes what a person at the Tryton client would enter, through the admin's JSON-RPC, so
Tryton's own defaults and checks apply (docs/tryton-test-server.md). The arguments are Tryton's
fields, not erpsync's models: how erpsync reads them is the connector's business, and the tests
compare the two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .tryton_seed_base import SUBDIVISIONS, AddressSpec, SeederBase, Variant, decimal

__all__ = ["SUBDIVISIONS", "AddressSpec", "TrytonSeeder", "Variant", "decimal"]


class TrytonSeeder(SeederBase):
    """Warehouses, products and stock, sales and shipments on one Tryton server."""

    # --- warehouses -------------------------------------------------------------------------------------------

    def warehouse(self, code: str, name: str, address: AddressSpec | None, *, party_name: str = "") -> int:
        """A ``stock.location`` of type warehouse with its own input, output and storage locations."""
        parts = {
            kind: self.create("stock.location", {"name": f"{name} {kind}", "type": "storage"})
            for kind in ("input", "output", "storage")
        }
        values: dict[str, Any] = {
            "name": name,
            "code": code,
            "type": "warehouse",
            # a stocktake books its differences there (stock.inventory refuses to confirm without one)
            "lost_found_location": self._cached("stock.location", "lost_found", [["type", "=", "lost_found"]], None),
            **{f"{kind}_location": location for kind, location in parts.items()},
        }
        if address is not None:
            values["address"] = self.address(self.party(party_name or name), address)
        warehouse = self.create("stock.location", values)
        self.write("stock.location", list(parts.values()), {"parent": warehouse})
        return warehouse

    def storage_location(self, warehouse: int) -> int:
        return int(self.call("stock.location", "read", [warehouse], ["storage_location"])[0]["storage_location"])

    # --- products and stock -----------------------------------------------------------------------------------

    def product(self, code: str, name: str, variants: Sequence[Variant], *, warehouse: int | None = None) -> list[int]:
        """A salable goods template with one ``product.product`` per variant; stock counted into ``warehouse``."""
        template = {
            "name": name,
            "code": code,
            "type": "goods",
            "salable": True,
            "default_uom": self.unit(),
            "sale_uom": self.unit(),
            "list_price": decimal(variants[0].list_price if variants else 0),
            "products": [
                [
                    "create",
                    [{"suffix_code": v.suffix_code, "description": v.description or None} for v in variants],
                ]
            ],
        }
        template_id = self.create("product.template", template)
        ids = [
            int(i)
            for i in self.call("product.product", "search", [["template", "=", template_id]], 0, None, [["id", "ASC"]])
        ]
        for product_id, variant in zip(ids, variants, strict=True):
            # a variant's own list price (per company): left empty, it is empty, not the template's
            self.write("product.product", [product_id], {"list_price": decimal(variant.list_price)})
        if warehouse is not None:
            self.stock(warehouse, {p: v.quantity for p, v in zip(ids, variants, strict=True) if v.quantity})
        return ids

    def stock(self, warehouse: int, quantities: Mapping[int, int]) -> None:
        """Count ``quantities`` into the warehouse's storage with a confirmed inventory, as a stocktake would."""
        if not quantities:
            return
        lines = [{"product": p, "quantity": float(q)} for p, q in quantities.items()]
        inventory = self.create(
            "stock.inventory",
            {"location": self.storage_location(warehouse), "lines": [["create", lines]], "company": self.company()},
        )
        self.call("stock.inventory", "confirm", [inventory])

    # --- sales and shipments ----------------------------------------------------------------------------------

    def customer(self, name: str = "TikTok Shop buyer") -> tuple[int, int]:
        """A customer party and its address (a shipment and a sale both need one)."""
        key = f"customer:{name}"
        if ("party.address", key) not in self._ids:
            party = self.party(name)
            self._ids[("party.address", key)] = self.address(party, AddressSpec("CN", "", "深圳市", "-"))
        return self.party(name), self._ids[("party.address", key)]

    def carrier(self, name: str) -> int:
        """A ``carrier`` whose party is ``name``, priced by a service product (modules/carrier/carrier.py)."""
        if ("carrier", name) not in self._ids:
            found = self.find("carrier", [["party.name", "=", name]])
            if found is None:
                found = self.create("carrier", {"party": self.party(name), "carrier_product": self._shipping_service()})
            self._ids[("carrier", name)] = found
        return self._ids[("carrier", name)]

    def _shipping_service(self) -> int:
        if ("product.product", "shipping") not in self._ids:
            template = {
                "name": "Shipping",
                "code": "SHIPPING",
                "type": "service",
                "salable": True,
                "default_uom": self.unit(),
                "sale_uom": self.unit(),
                "list_price": decimal(0),
                "products": [["create", [{}]]],
            }
            template_id = self.create("product.template", template)
            (product,) = self.call("product.product", "search", [["template", "=", template_id]], 0, None, None)
            self._ids[("product.product", "shipping")] = int(product)
        return self._ids[("product.product", "shipping")]

    def sale(
        self, reference: str, lines: Mapping[int, int], *, warehouse: int, extra: Mapping[str, Any] | None = None
    ) -> int:
        """A draft ``sale.sale`` whose ``reference`` is ``reference``: ``lines`` product id → quantity."""
        party, address = self.customer()
        sale_lines = [
            {"type": "line", "product": p, "quantity": float(q), "unit": self.unit(), "unit_price": decimal(1)}
            for p, q in lines.items()
        ]
        values = {
            "party": party,
            "invoice_address": address,
            "shipment_address": address,
            "reference": reference,
            "company": self.company(),
            "currency": self.currency(),
            "warehouse": warehouse,
            "lines": [["create", sale_lines]],
            **(extra or {}),
        }
        return self.create("sale.sale", values)

    def sale_lines(self, sale: int) -> list[int]:
        return [int(i) for i in self.call("sale.line", "search", [["sale", "=", sale]], 0, None, [["id", "ASC"]])]

    def shipment(
        self,
        reference: str,
        *,
        warehouse: int,
        products: Mapping[int, int],
        shipping_reference: str = "",
        carrier: str = "",
        sale: int | None = None,
    ) -> int:
        """A waiting ``stock.shipment.out`` with its outgoing moves (from ``sale``'s lines when given)."""
        party, address = self.customer()
        (locations,) = self.call("stock.location", "read", [warehouse], ["output_location", "storage_location"])
        output = int(locations["output_location"])
        customer_location = self._cached("stock.location", "customer", [["type", "=", "customer"]], None)
        origins = iter(self.sale_lines(sale)) if sale is not None else None
        moves = []
        for product, quantity in products.items():
            move = {
                "product": product,
                "quantity": float(quantity),
                "unit": self.unit(),
                "from_location": output,
                "to_location": customer_location,
                "unit_price": decimal(1),
                "currency": self.currency(),
                "company": self.company(),
            }
            if origins is not None:
                move["origin"] = f"sale.line,{next(origins)}"
            moves.append(move)
        values: dict[str, Any] = {
            "customer": party,
            "delivery_address": address,
            "warehouse": warehouse,
            # what the client's on_change of the warehouse fills in (modules/stock/shipment.py)
            "warehouse_output": output,
            "warehouse_storage": int(locations["storage_location"]),
            "reference": reference,
            "company": self.company(),
            "outgoing_moves": [["create", moves]],
        }
        if shipping_reference:
            values["shipping_reference"] = shipping_reference
        if carrier:
            values["carrier"] = self.carrier(carrier)
        shipment = self.create("stock.shipment.out", values)
        # "Wait" is the client's first button: it gives the shipment its number (modules/stock/shipment.py, wait)
        self.call("stock.shipment.out", "wait", [shipment])
        return shipment

    def shipment_number(self, shipment: int) -> str:
        return str(self.call("stock.shipment.out", "read", [shipment], ["number"])[0]["number"])

    def deactivate_warehouse(self, code: str) -> None:
        """Retire a warehouse (``active`` false), e.g. the address-less one the stock module installs."""
        found = self.find("stock.location", [["code", "=", code], ["type", "=", "warehouse"]])
        if found is not None:
            self.write("stock.location", [found], {"active": False})
