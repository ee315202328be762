"""The Tryton connector's batch reads the warehouses only for a warehouse write: the host opens a
batch for every aspect's writes to the ERP, order statuses included, which need no warehouse.

Over staged JSON-RPC answers (``tryton_fake``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tryton_fake import FakeTryton, RpcFailure, connector, location, staged

from erpsync.core.errors import PermanentError

LOCATIONS = "model.stock.location.search_read"
SALE = "model.sale.sale.search_read"
OPTIONS = {"order_status_field": "comment"}
WHEN = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)


def refused(_params: object) -> RpcFailure:
    return RpcFailure(["UserError", ["You are not allowed to read records of stock.location", ""]])


def test_a_batch_of_order_statuses_reads_no_warehouse() -> None:
    """The batch read every stock.location as it opened, so a user without read access to them
    failed every order status written."""
    fake = FakeTryton()
    fake.on(LOCATIONS, refused)
    fake.on(SALE, [{"id": 3, "reference": "101", "comment": ""}])
    with staged(fake):
        erp = connector(**OPTIONS)
        with erp.batch():
            erp.set_order_status("101", "CANCELLED", WHEN)
    assert fake.called(LOCATIONS) == []
    (write,) = fake.called("model.sale.sale.write")
    assert write.params[:2] == [[3], {"comment": "CANCELLED@2026-03-02T08:15:00+00:00"}]


def test_a_batch_reads_the_warehouses_once_at_its_first_warehouse_write() -> None:
    fake = FakeTryton()
    fake.on(LOCATIONS, [location(), location("WH-YW-02", rid=13)])
    with staged(fake):
        erp = connector(district_field="post_office")
        with erp.batch():
            assert fake.called(LOCATIONS) == []
            erp.set_warehouse_address("WH-DG-01", {"city": "东莞"})
            erp.set_warehouse_address("WH-YW-02", {"city": "义乌"})
        assert len(fake.called(LOCATIONS)) == 1
        with erp.batch():  # a new batch reads them anew
            erp.set_warehouse_address("WH-DG-01", {"city": "东莞市"})
    assert len(fake.called(LOCATIONS)) == 2


def test_a_failed_warehouse_read_fails_that_write_alone() -> None:
    """The next warehouse write reads again; the batch's other writes are still sent."""
    fake = FakeTryton()
    answers = iter([refused(None), [location()]])
    fake.on(LOCATIONS, lambda _params: next(answers))
    fake.on(SALE, [{"id": 3, "reference": "101", "comment": ""}])
    with staged(fake):
        erp = connector(**OPTIONS)
        with erp.batch():
            with pytest.raises(PermanentError, match="not allowed to read"):
                erp.set_warehouse_address("WH-DG-01", {"city": "东莞"})
            erp.set_order_status("101", "CANCELLED", WHEN)
            erp.set_warehouse_address("WH-DG-01", {"postal_code": "523000"})
    (write,) = fake.called("model.party.address.write")
    assert write.params[:2] == [[42], {"postal_code": "523000"}]
    assert len(fake.called("model.sale.sale.write")) == 1
