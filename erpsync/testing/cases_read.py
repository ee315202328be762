"""Contract cases for reading: ``WarehouseReader`` and ``PickupReader``.

A read is what every drift is computed from, so it must be complete and exact: every seeded
warehouse comes back with the values seeded, one bad record costs only itself, and nothing is
reported twice (two records under one id would make the diff pick one at random).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from erpsync.core.errors import RecordError
from erpsync.core.models import PickupSignals
from erpsync.core.ports import PickupReader, WarehouseReader

from .contract_base import ContractBase
from .harness import Harness, need
from .samples import comparable, duplicates, schema_problems


class ReadCases(ContractBase):
    def test_read_returns_schema_valid_records(self, erp: Harness) -> None:
        connector = erp.seeded(self.samples)
        need(connector, WarehouseReader)
        assert isinstance(connector, WarehouseReader)
        records = connector.list_warehouses()
        assert schema_problems(records) == []
        assert [str(e) for e in records.errors] == [], "a clean seed must read without record errors"

    def test_read_returns_every_seeded_warehouse_as_seeded(self, erp: Harness) -> None:
        connector = erp.seeded(self.samples)
        need(connector, WarehouseReader)
        assert isinstance(connector, WarehouseReader)
        got = {w.id: comparable(w, self.lacking_fields) for w in connector.list_warehouses().items}
        want = {w.id: comparable(w, self.lacking_fields) for w in self.samples}
        assert got == want

    def test_read_ids_are_unique(self, erp: Harness) -> None:
        connector = erp.seeded(self.samples)
        need(connector, WarehouseReader)
        assert isinstance(connector, WarehouseReader)
        ids = [w.id for w in connector.list_warehouses().items]
        assert duplicates(ids) == [], "each warehouse must be read once, under one id"

    def test_malformed_record_is_a_record_error(self, erp: Harness) -> None:
        """One bad record becomes one RecordError; the good ones still come, and the read does not raise."""
        probe = erp.connect()
        need(probe, WarehouseReader)
        self.seed_malformed(erp.system, list(self.samples))
        connector = erp.connect()
        assert isinstance(connector, WarehouseReader)
        records = connector.list_warehouses()
        assert schema_problems(records) == []
        assert records.errors, "the malformed record must be reported as a RecordError"
        assert all(isinstance(e, RecordError) and str(e) for e in records.errors)
        assert sorted(w.id for w in records.items) == sorted(w.id for w in self.samples), (
            "every well-formed record must still be read"
        )

    def test_pickup_signals_are_schema_valid(self, erp: Harness) -> None:
        """PickupReader: signals are schema-valid and only for the warehouses asked about."""
        connector = erp.seeded(self.samples)
        need(connector, PickupReader)
        assert isinstance(connector, PickupReader)
        asked = [w.id for w in self.samples[:2]]
        records = connector.read_pickup_signals(asked, since=datetime.now(UTC) - timedelta(days=7))
        assert schema_problems(records, PickupSignals) == []
        assert {s.warehouse_id for s in records.items} <= set(asked)
