"""What the service needs of ``Syncer``: an outside stop request, fencing epochs, and a close
that leaves a shared store open.

Each test drives a real run (real plugin manager, real SQLite store) over two in-memory
connectors registered through the hook a third-party plugin uses: the seller holds two
warehouses, the ERP a different contact person for each, so an apply run makes two writes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from marshmallow import Schema

from erpsync.core.connector import Connector
from erpsync.core.models import Address, Records, Warehouse
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

SELLER = Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")
IDS = ("W1", "W2")


class World:
    """The ERP's addresses and writes; ``on_write`` runs inside each ERP write."""

    def __init__(self) -> None:
        self.erp = {wid: replace(SELLER, contact_person="李娜") for wid in IDS}
        self.writes: list[str] = []
        self.on_write: Callable[[], None] | None = None


WORLD = World()


class SeamSeller(Connector):
    type = "seam_seller"
    role = "seller"

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        return Records(tuple(Warehouse(wid, f"仓 {wid}", SELLER, seller_warehouse_id=wid) for wid in IDS))

    def check(self) -> str:
        return "seam seller"


class SeamErp(Connector):
    type = "seam_erp"
    role = "erp"

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        return Records(tuple(Warehouse(f"E{wid}", f"仓 {wid}", WORLD.erp[wid], seller_warehouse_id=wid) for wid in IDS))

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        wid = warehouse_id.removeprefix("E")
        WORLD.erp[wid] = replace(WORLD.erp[wid], **changes)
        WORLD.writes.append(wid)
        if WORLD.on_write is not None:
            WORLD.on_write()

    def check(self) -> str:
        return "seam erp"


class SeamPlugin:
    @hookimpl
    def register_connectors(self, register: Callable[[type[Connector]], None]) -> None:
        register(SeamSeller)
        register(SeamErp)


@pytest.fixture
def syncer(tmp_path: Path) -> Iterator[Syncer]:
    global WORLD
    WORLD = World()
    (tmp_path / "erpsync.toml").write_text(
        '[[shops]]\nname = "s"\naspects = ["warehouse_address"]\n'
        '[shops.seller]\ntype = "seam_seller"\n[shops.erp]\ntype = "seam_erp"\n'
        '[policy]\nwarehouse_address = "seller"\n',
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False, extra=[SeamPlugin()])
    registry = build_registry(pm)
    s = Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry)
    yield s
    s.close()


def ledger(syncer: Syncer) -> list[str]:
    return [e.status for e in syncer.store.ledger.list_entries(shop="s")]


# -- an outside stop request ---------------------------------------------------------------


def test_a_stop_set_before_the_run_runs_no_shop_and_reads_as_sigterm(syncer: Syncer) -> None:
    stop = threading.Event()
    stop.set()
    report = syncer.run(apply=True, stop=stop)
    assert report.interrupted == signal.SIGTERM
    assert report.shops == [] and WORLD.writes == [] and ledger(syncer) == []
    row = syncer.store.runs.get(report.run_id)
    assert row is not None and row.status == "interrupted"


def test_a_stop_during_a_write_finishes_and_records_it_then_writes_nothing_more(syncer: Syncer) -> None:
    stop = threading.Event()
    WORLD.on_write = stop.set  # the service's SIGTERM handler, arriving while the first write is made
    report = syncer.run(apply=True, stop=stop)
    assert WORLD.writes == ["W1"]  # the write in hand was made; the second never started
    assert ledger(syncer) == ["done"]  # and recorded
    assert report.interrupted == signal.SIGTERM and report.exit_code == 128 + signal.SIGTERM
    (shop,) = report.shops
    assert shop.error is not None and "stopped by SIGTERM" in shop.error and "1 correction(s) applied" in shop.error
    row = syncer.store.runs.get(report.run_id)
    assert row is not None and row.status == "interrupted"


def test_an_unset_stop_changes_nothing(syncer: Syncer) -> None:
    report = syncer.run(apply=True, stop=threading.Event())
    assert report.interrupted is None and sorted(WORLD.writes) == ["W1", "W2"]
    assert ledger(syncer) == ["done", "done"]


# -- fencing epochs ------------------------------------------------------------------------


def test_the_current_epoch_lets_the_writes_through(syncer: Syncer) -> None:
    epoch = syncer.store.fences.advance("s", now=datetime.now(UTC))
    report = syncer.run(apply=True, fences={"s": epoch})
    assert report.shops[0].error is None and sorted(WORLD.writes) == ["W1", "W2"]


def test_a_stale_epoch_ends_the_shop_with_a_clear_error_and_no_write(syncer: Syncer) -> None:
    mine = syncer.store.fences.advance("s", now=datetime.now(UTC))
    syncer.store.fences.advance("s", now=datetime.now(UTC))  # another worker took the shop over
    report = syncer.run(apply=True, fences={"s": mine})
    (shop,) = report.shops
    assert shop.error is not None and "taken over by another worker" in shop.error
    assert WORLD.writes == [] and ledger(syncer) == []
    assert report.exit_code != 0


def test_an_epoch_overtaken_between_two_writes_stops_the_second(syncer: Syncer) -> None:
    mine = syncer.store.fences.advance("s", now=datetime.now(UTC))

    def newer_worker() -> None:
        WORLD.on_write = None
        syncer.store.fences.advance("s", now=datetime.now(UTC))

    WORLD.on_write = newer_worker
    report = syncer.run(apply=True, fences={"s": mine})
    assert WORLD.writes == ["W1"] and ledger(syncer) == ["done"]
    assert "taken over by another worker" in (report.shops[0].error or "")


def test_a_shop_without_an_epoch_is_not_fenced(syncer: Syncer) -> None:
    syncer.store.fences.advance("s", now=datetime.now(UTC))
    report = syncer.run(apply=True, fences={"other": 1})
    assert report.shops[0].error is None and len(WORLD.writes) == 2


# -- close ---------------------------------------------------------------------------------


def test_close_can_leave_a_shared_store_open(syncer: Syncer) -> None:
    other = Syncer(syncer.settings, pm=syncer.pm, registry=syncer.registry, store=syncer.store)
    report = other.run()
    other.close(close_store=False)
    assert syncer.store.runs.get(report.run_id) is not None  # still usable by its owner


def test_a_stale_epoch_stops_a_batched_write_too(tmp_path: Path) -> None:
    """The files ERP writes an aspect's corrections in one batch (``ledger.begin_many``)."""
    (tmp_path / "erp").mkdir()
    csv_file = tmp_path / "erp" / "warehouses.csv"
    csv_file.write_text(
        "id,seller_warehouse_id,contact_person,phone,state,city,district,street,postal_code\n"
        + "".join(f"E{wid},{wid},李娜,13800138000,广东省,东莞市,长安镇,振安中路 88号,523850\n" for wid in IDS),
        encoding="utf-8",
    )
    (tmp_path / "erpsync.toml").write_text(
        '[[shops]]\nname = "s"\naspects = ["warehouse_address"]\n'
        '[shops.seller]\ntype = "seam_seller"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
        '[policy]\nwarehouse_address = "seller"\n',
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False, extra=[SeamPlugin()])
    registry = build_registry(pm)
    syncer = Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry)
    try:
        mine = syncer.store.fences.advance("s", now=datetime.now(UTC))
        syncer.store.fences.advance("s", now=datetime.now(UTC))
        before = csv_file.read_text(encoding="utf-8")
        report = syncer.run(apply=True, fences={"s": mine})
        assert "taken over by another worker" in (report.shops[0].error or "")
        assert csv_file.read_text(encoding="utf-8") == before and ledger(syncer) == []
        syncer.store.fences.advance("s", now=datetime.now(UTC))
        fresh = syncer.run(apply=True, fences={"s": syncer.store.fences.current("s")})
        assert fresh.shops[0].error is None and ledger(syncer) == ["done", "done"]
        assert "张伟" in csv_file.read_text(encoding="utf-8")
    finally:
        syncer.close()
