"""Contract cases for writing: ``WarehouseWriter`` and ``PickupWriter``.

A correction writes only the fields being corrected, so an edit someone made to another field
between observe and apply survives; the host may write the same correction again (a rerun, a
write that did not stick), so a write is repeatable; and a write that cannot be done whole is
refused whole, before anything changes. Each case reads the result back through a fresh
connector (or the author's ``read_back``), never the one that wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial

import pytest

from erpsync.core.errors import ConnectorError, ErpsyncError, PermanentError, TemporaryError
from erpsync.core.models import HandoverMode, Warehouse
from erpsync.core.ports import PickupWriter, WarehouseReader, WarehouseWriter

from .contract_base import ContractBase
from .harness import Harness, need, raised
from .samples import ADDRESS_FIELDS, NEW_VALUES, NOT_A_FIELD, UNKNOWN_ID, comparable

#: the writes the field cases make: each Address field alone, then two at once
WRITES: tuple[tuple[str, ...], ...] = (*((f,) for f in ADDRESS_FIELDS), ("street", "postal_code"))


def with_address(warehouse: Warehouse, changes: Mapping[str, str]) -> Warehouse:
    """The warehouse with some Address fields set: what a write of ``changes`` must leave."""
    return replace(warehouse, address=replace(warehouse.address, **changes))


class WriteCases(ContractBase):
    def _expect(self, erp: Harness, want: Mapping[str, Warehouse]) -> None:
        got = {i: comparable(w, self.lacking_fields) for i, w in erp.state().items()}
        assert got == {i: comparable(w, self.lacking_fields) for i, w in want.items()}

    def _writer(self, erp: Harness) -> WarehouseWriter:
        connector = erp.seeded(self.samples)
        need(connector, WarehouseWriter)
        assert isinstance(connector, WarehouseWriter)
        return connector

    @pytest.mark.parametrize("names", WRITES, ids=["+".join(w) for w in WRITES])
    def test_write_changes_only_the_given_fields(self, erp: Harness, names: tuple[str, ...]) -> None:
        lacking = sorted(set(names) & set(self.lacking_fields))
        if lacking:
            pytest.skip(f"the system lacks {', '.join(lacking)}")
        writer = self._writer(erp)
        target = self.samples[0]
        changes = {n: NEW_VALUES[n] for n in names}
        writer.set_warehouse_address(target.id, changes)
        self._expect(erp, {**{w.id: w for w in self.samples}, target.id: with_address(target, changes)})

    def test_write_is_repeatable(self, erp: Harness) -> None:
        writer = self._writer(erp)
        target = self.samples[1]
        changes = {"phone": NEW_VALUES["phone"], "street": NEW_VALUES["street"]}
        for _ in range(3):
            writer.set_warehouse_address(target.id, changes)
        self._expect(erp, {**{w.id: w for w in self.samples}, target.id: with_address(target, changes)})

    def test_write_of_the_current_value_changes_nothing(self, erp: Harness) -> None:
        writer = self._writer(erp)
        target = self.samples[0]
        writer.set_warehouse_address(target.id, {"phone": target.address.phone})
        self._expect(erp, {w.id: w for w in self.samples})

    def test_write_refuses_fields_the_system_lacks(self, erp: Harness) -> None:
        """A field outside Address, or one the system does not store, refuses the whole write."""
        writer = self._writer(erp)
        target = self.samples[0]
        refused = [NOT_A_FIELD, *(f for f in self.lacking_fields if f in ADDRESS_FIELDS)]
        for name in refused:
            changes = {"phone": NEW_VALUES["phone"], name: "x"}
            exc = raised(partial(writer.set_warehouse_address, target.id, changes))
            assert exc is not None, f"a write of {name!r} must be refused"
            if name == NOT_A_FIELD:
                # no host path sends one: a programming error, so ValueError or KeyError will do
                assert isinstance(exc, ValueError | LookupError | ErpsyncError), f"refused with {exc!r}"
            else:  # the host records a PermanentError as a failed action and goes on
                assert isinstance(exc, PermanentError), f"refused with {exc!r}: raise a PermanentError"
        self._expect(erp, {w.id: w for w in self.samples})

    def test_write_to_unknown_id_is_a_connector_error(self, erp: Harness) -> None:
        writer = self._writer(erp)
        exc = raised(lambda: writer.set_warehouse_address(UNKNOWN_ID, {"phone": NEW_VALUES["phone"]}))
        _unknown_id_error(exc)
        self._expect(erp, {w.id: w for w in self.samples})

    # -- handover mode ---------------------------------------------------------------------

    def _mode_writer(self, erp: Harness) -> PickupWriter:
        connector = erp.seeded(self.samples)
        need(connector, PickupWriter)
        assert isinstance(connector, PickupWriter)
        return connector

    @pytest.mark.parametrize("mode", list(HandoverMode), ids=[m.label for m in HandoverMode])
    def test_handover_mode_round_trips(self, erp: Harness, mode: HandoverMode) -> None:
        if "handover_mode" in self.lacking_fields:
            pytest.skip("the system lacks handover_mode")
        writer = self._mode_writer(erp)
        if not isinstance(erp.connect(), WarehouseReader) and type(self).read_back is ContractBase.read_back:
            pytest.skip("the connector cannot list warehouses to read the mode back, and read_back is not given")
        want = {w.id: w for w in self.samples}
        for target in self.samples:  # from each mode, and from none, to ``mode``
            writer.set_handover_mode(target.id, mode)
            want[target.id] = replace(target, handover_mode=mode)
            self._expect(erp, want)

    def test_handover_mode_write_is_repeatable(self, erp: Harness) -> None:
        writer = self._mode_writer(erp)
        target = self.samples[0]
        other = HandoverMode.DROP_OFF if target.handover_mode is HandoverMode.PICKUP else HandoverMode.PICKUP
        for _ in range(3):
            writer.set_handover_mode(target.id, other)
        if "handover_mode" not in self.lacking_fields:
            self._expect(erp, {**{w.id: w for w in self.samples}, target.id: replace(target, handover_mode=other)})

    def test_handover_mode_unknown_id_is_a_connector_error(self, erp: Harness) -> None:
        writer = self._mode_writer(erp)
        _unknown_id_error(raised(lambda: writer.set_handover_mode(UNKNOWN_ID, HandoverMode.PICKUP)))
        self._expect(erp, {w.id: w for w in self.samples})


def _unknown_id_error(exc: BaseException | None) -> None:
    """A write to an id the system does not have is a ConnectorError retrying will not cure."""
    assert exc is not None, "a write to an unknown id must raise a ConnectorError, not pass silently"
    assert isinstance(exc, ConnectorError), f"raised {exc!r}: a ConnectorError (NotFoundError, best) is expected"
    assert not isinstance(exc, TemporaryError), f"raised {exc!r}: retrying cannot make the id exist"
