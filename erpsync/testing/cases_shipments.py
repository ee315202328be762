"""Contract cases for ``ShipmentReader``: the parcels whose tracking numbers are pushed.

A shipment read is pushed to Seller Center as the package's tracking number, and a buyer sees
it, so each must come back exactly as the ERP holds it (package, order, number, carrier), once,
and the same on every read.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from erpsync.core.models import Records
from erpsync.core.shipping import ErpShipment, ShipmentReader

from .contract_base import ContractBase
from .harness import Harness, need
from .samples import duplicates
from .samples_commerce import SAMPLE_SHIPMENTS, commerce_problems, comparable_shipment

NONE_MEANS = (
    "list_shipments() returned None, which says the ERP keeps no shipments: configure the connector "
    "in build_connector so that it reads them"
)


class ShipmentCases(ContractBase):
    def _shipments(self, erp: Harness, shipments: Sequence[ErpShipment]) -> ShipmentReader:
        need(erp.connect(), ShipmentReader)
        self.seed_shipments(erp.system, list(shipments))
        connector = erp.connect()
        assert isinstance(connector, ShipmentReader)
        return connector

    def _read_shipments(self, reader: ShipmentReader) -> Records[ErpShipment]:
        records = reader.list_shipments()
        if records is None:
            pytest.fail(NONE_MEANS, pytrace=False)
        return records

    def test_shipments_read_as_seeded(self, erp: Harness) -> None:
        records = self._read_shipments(self._shipments(erp, SAMPLE_SHIPMENTS))
        assert commerce_problems(records, ErpShipment) == []
        assert [str(e) for e in records.errors] == [], "a clean seed must read without record errors"
        assert duplicates([s.id for s in records.items]) == [], "each shipment must be read once, under one id"
        assert sorted(map(comparable_shipment, records.items)) == sorted(map(comparable_shipment, SAMPLE_SHIPMENTS))

    def test_no_shipments_read_as_none_listed(self, erp: Harness) -> None:
        records = self._read_shipments(self._shipments(erp, []))
        assert (records.items, [str(e) for e in records.errors]) == ((), [])

    def test_reading_shipments_changes_nothing(self, erp: Harness) -> None:
        reader = self._shipments(erp, SAMPLE_SHIPMENTS)
        first = sorted(map(comparable_shipment, self._read_shipments(reader).items))
        assert sorted(map(comparable_shipment, self._read_shipments(reader).items)) == first
        fresh = erp.connect()
        assert isinstance(fresh, ShipmentReader)
        assert sorted(map(comparable_shipment, self._read_shipments(fresh).items)) == first
