"""Contract cases for ``OrderStatusBook``: Seller Center's order statuses recorded in the ERP.

The order-status aspect asks for the orders Seller Center changed, and writes the status of each
the ERP has not recorded as of that update (``core/aspects/order_status.py``). So a read returns
what is recorded for the orders asked about and nothing else (an order with nothing recorded is
simply absent, and a bad record of another order is no record error of this read), a write is
what the next run reads (through a fresh connector, not a cache), and writing the same values
again changes nothing: a rerun, or the overlap of two runs' windows, writes them again. An order
the ERP does not hold may be recorded, or refused by an error that names it (an ERP whose sales
are imported, ``own_orders_only``, can only set a status on a sale it has); it must never pass
silently unrecorded, or the aspect would write it again on every run.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from erpsync.core.errors import ConnectorError, RecordError, TemporaryError
from erpsync.core.models import Records
from erpsync.core.orders import ErpOrderStatus, OrderStatusBook

from .contract_base import ContractBase
from .harness import Harness, error_texts, need, raised
from .samples import duplicates
from .samples_commerce import (
    NEW_ORDER_STATUS,
    SAMPLE_ORDER_STATUSES,
    UNKNOWN_ORDER_ID,
    commerce_problems,
    comparable_status,
)

NONE_MEANS = (
    "order_statuses() returned None, which says the ERP keeps no order statuses: configure the "
    "connector in build_connector so that it keeps them"
)
SAMPLE_IDS = [s.order_id for s in SAMPLE_ORDER_STATUSES]


class OrderStatusCases(ContractBase):
    def _book(self, erp: Harness) -> OrderStatusBook:
        need(erp.connect(), OrderStatusBook)
        self.seed_order_statuses(erp.system, list(SAMPLE_ORDER_STATUSES))
        connector = erp.connect()
        assert isinstance(connector, OrderStatusBook)
        return connector

    def _read_statuses(self, book: OrderStatusBook, ids: Sequence[str]) -> Records[ErpOrderStatus]:
        records = book.order_statuses(list(ids))
        if records is None:
            pytest.fail(NONE_MEANS, pytrace=False)
        return records

    def _recorded(self, erp: Harness, ids: Sequence[str] = (*SAMPLE_IDS, UNKNOWN_ORDER_ID)) -> dict[str, object]:
        """What a fresh connector reads for ``ids``, by order id."""
        fresh = erp.connect()
        assert isinstance(fresh, OrderStatusBook)
        records = self._read_statuses(fresh, ids)
        assert [str(e) for e in records.errors] == []
        return {s.order_id: comparable_status(s) for s in records.items}

    def test_order_statuses_read_as_seeded(self, erp: Harness) -> None:
        book = self._book(erp)
        records = self._read_statuses(book, [*SAMPLE_IDS, UNKNOWN_ORDER_ID])
        assert commerce_problems(records, ErpOrderStatus) == []
        assert [str(e) for e in records.errors] == [], "a clean seed must read without record errors"
        assert duplicates([s.order_id for s in records.items]) == [], "each order must be read once"
        assert sorted(map(comparable_status, records.items)) == sorted(map(comparable_status, SAMPLE_ORDER_STATUSES))
        first = SAMPLE_ORDER_STATUSES[0]
        only = self._read_statuses(book, [first.order_id])
        assert [comparable_status(s) for s in only.items] == [comparable_status(first)], "only the orders asked about"
        nothing = self._read_statuses(book, [])
        assert nothing.items == (), "asked about no order, the ERP returns none (the aspect probes with [])"

    def test_set_order_status_is_read_by_a_fresh_connector(self, erp: Harness) -> None:
        book = self._book(erp)
        target = SAMPLE_ORDER_STATUSES[0]
        book.set_order_status(target.order_id, *NEW_ORDER_STATUS)
        want = {s.order_id: comparable_status(s) for s in SAMPLE_ORDER_STATUSES}
        want[target.order_id] = (target.order_id, *NEW_ORDER_STATUS)
        assert self._recorded(erp) == want

    def test_set_order_status_twice_changes_nothing(self, erp: Harness) -> None:
        book = self._book(erp)
        target = SAMPLE_ORDER_STATUSES[1]
        assert target.updated_at is not None
        seeded = {s.order_id: comparable_status(s) for s in SAMPLE_ORDER_STATUSES}
        book.set_order_status(target.order_id, target.status, target.updated_at)
        assert self._recorded(erp) == seeded, "writing the values already recorded must change nothing"
        for _ in range(2):
            book.set_order_status(target.order_id, *NEW_ORDER_STATUS)
        assert self._recorded(erp) == {**seeded, target.order_id: (target.order_id, *NEW_ORDER_STATUS)}

    def test_set_order_status_of_an_order_the_erp_lacks(self, erp: Harness) -> None:
        """Recorded (the next read has it) or refused by a lasting error naming the order; never lost."""
        book = self._book(erp)
        exc = raised(lambda: book.set_order_status(UNKNOWN_ORDER_ID, *NEW_ORDER_STATUS))
        seeded = {s.order_id: comparable_status(s) for s in SAMPLE_ORDER_STATUSES}
        if exc is None:
            assert self._recorded(erp) == {**seeded, UNKNOWN_ORDER_ID: (UNKNOWN_ORDER_ID, *NEW_ORDER_STATUS)}, (
                "the write passed, so the order's status must now be recorded"
            )
            return
        assert isinstance(exc, ConnectorError | RecordError), f"refused with {exc!r}: raise a ConnectorError"
        assert not isinstance(exc, TemporaryError), f"refused with {exc!r}: retrying cannot make the order exist"
        assert any(UNKNOWN_ORDER_ID in text for text in error_texts(exc)), f"{exc!r} must name the order"
        assert self._recorded(erp) == seeded, "a refused write must record nothing"
