"""Contract cases for ``BatchWriter``: the writes inside ``batch()`` are made together, all or none.

The host makes an aspect's corrections to such a target inside one block, trusting that a
block is one write: nothing is visible before it ends, a write that cannot be made is refused at
once without sinking the others, and a block left by an exception leaves the system as it was.
"""

from __future__ import annotations

import pytest

from erpsync.core.errors import ConnectorError
from erpsync.core.ports import BatchWriter, WarehouseWriter

from .cases_write import with_address
from .contract_base import ContractBase
from .harness import Harness, need, raised
from .samples import NEW_VALUES, UNKNOWN_ID, comparable


class Abandon(Exception):
    """Raised inside a batch to leave it by an exception."""


class BatchCases(ContractBase):
    def _batch_writer(self, erp: Harness) -> BatchWriter:
        connector = erp.seeded(self.samples)
        need(connector, BatchWriter)
        need(connector, WarehouseWriter)
        assert isinstance(connector, BatchWriter)
        return connector

    def _state(self, erp: Harness) -> dict[str, object]:
        return {i: comparable(w, self.lacking_fields) for i, w in erp.state().items()}

    def test_batch_writes_are_made_together_as_it_ends(self, erp: Harness) -> None:
        writer = self._batch_writer(erp)
        assert isinstance(writer, WarehouseWriter)
        before = self._state(erp)
        first, second = self.samples[0], self.samples[1]
        with writer.batch():
            writer.set_warehouse_address(first.id, {"phone": NEW_VALUES["phone"]})
            writer.set_warehouse_address(second.id, {"street": NEW_VALUES["street"]})
            assert self._state(erp) == before, "a batch's writes must not be visible before it ends"
        want = {w.id: w for w in self.samples}
        want[first.id] = with_address(first, {"phone": NEW_VALUES["phone"]})
        want[second.id] = with_address(second, {"street": NEW_VALUES["street"]})
        assert self._state(erp) == {i: comparable(w, self.lacking_fields) for i, w in want.items()}

    def test_batch_refuses_a_bad_write_at_once_and_makes_the_others(self, erp: Harness) -> None:
        writer = self._batch_writer(erp)
        assert isinstance(writer, WarehouseWriter)
        first = self.samples[0]
        with writer.batch():
            exc = raised(lambda: writer.set_warehouse_address(UNKNOWN_ID, {"phone": NEW_VALUES["phone"]}))
            assert isinstance(exc, ConnectorError), f"a write to an unknown id inside a batch raised {exc!r}"
            writer.set_warehouse_address(first.id, {"phone": NEW_VALUES["phone"]})
        want = {w.id: w for w in self.samples}
        want[first.id] = with_address(first, {"phone": NEW_VALUES["phone"]})
        assert self._state(erp) == {i: comparable(w, self.lacking_fields) for i, w in want.items()}

    def test_batch_left_by_an_exception_makes_none(self, erp: Harness) -> None:
        writer = self._batch_writer(erp)
        assert isinstance(writer, WarehouseWriter)
        before = self._state(erp)
        with pytest.raises(Abandon), writer.batch():
            writer.set_warehouse_address(self.samples[0].id, {"phone": NEW_VALUES["phone"]})
            raise Abandon
        assert self._state(erp) == before
