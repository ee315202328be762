"""Shops side by side: ``concurrency`` shops of one run work at the same time, each in order.

The seller here is an in-memory plugin connector that records how many shops are inside
``list_warehouses`` at once; a barrier proves the overlap (run one after another, the first shop
would wait at the barrier alone and break it).
"""

from __future__ import annotations

import csv
import threading
import time

import pytest
from marshmallow import Schema, fields

from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError
from erpsync.core.models import Address, Records, Warehouse
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

ADDRESS = Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")


class Meter:
    """Counts the shops inside a read at once; ``barrier`` (if set) holds each until all arrive."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.most = 0
        self.barrier: threading.Barrier | None = None
        self.threads: set[str] = set()


METER = Meter()


class SlowSeller(Connector):
    type = "slow"
    role = "seller"

    class Options(Schema):
        fail = fields.Boolean(load_default=False)

    def list_warehouses(self) -> Records[Warehouse]:
        with METER.lock:
            METER.inside += 1
            METER.most = max(METER.most, METER.inside)
            METER.threads.add(threading.current_thread().name)
        try:
            if METER.barrier is not None:
                METER.barrier.wait()
            else:
                time.sleep(0.05)
            if self.options["fail"]:
                raise PermanentError("signature rejected", connector="slow", operation="list warehouses")
            return Records((Warehouse("W1", "东莞仓", ADDRESS, seller_warehouse_id="W1"),))
        finally:
            with METER.lock:
                METER.inside -= 1

    def check(self) -> str:
        return "slow seller"


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(SlowSeller)


@pytest.fixture
def make(tmp_path):
    global METER
    METER = Meter()
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)

    def build(*, shops: int, concurrency: int | None, failing: tuple[int, ...] = ()) -> Syncer:
        lines = [] if concurrency is None else [f"concurrency = {concurrency}"]
        for i in range(shops):
            folder = tmp_path / f"erp{i}"
            folder.mkdir(exist_ok=True)
            with (folder / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh, lineterminator="\n")
                header = ["id", "seller_warehouse_id", "contact_person", "phone", "state", "city", "district", "street"]
                w.writerow([*header, "postal_code"])
                w.writerow(["E1", "W1", "张伟", "13800138000", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850"])
            fail = "true" if i in failing else "false"
            lines += [
                f'[[shops]]\nname = "shop{i}"\naspects = ["warehouse_address"]',
                f'[shops.seller]\ntype = "slow"\nfail = {fail}',
                f'[shops.erp]\ntype = "files"\npath = "erp{i}"',
            ]
        (tmp_path / "erpsync.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings = load_settings(tmp_path / "erpsync.toml", registry)
        return Syncer(settings, pm=pm, registry=registry)

    return build


def test_shops_overlap_up_to_the_configured_concurrency_and_report_in_config_order(make):
    syncer = make(shops=6, concurrency=3)
    METER.barrier = threading.Barrier(3, timeout=10)  # serial shops would break it: BrokenBarrierError
    report = syncer.run()
    syncer.close()
    assert [s.shop for s in report.shops] == [f"shop{i}" for i in range(6)]
    assert all(s.error is None for s in report.shops), [s.error for s in report.shops]
    assert METER.most == 3
    assert len(METER.threads) == 3 and all(name.startswith("erpsync-shop") for name in METER.threads)


def test_concurrency_one_runs_the_shops_one_after_another_on_the_calling_thread(make):
    syncer = make(shops=3, concurrency=1)
    report = syncer.run()
    syncer.close()
    assert [s.shop for s in report.shops] == ["shop0", "shop1", "shop2"]
    assert METER.most == 1 and METER.threads == {threading.current_thread().name}


def test_the_default_runs_eight_shops_at_a_time(make):
    syncer = make(shops=16, concurrency=None)
    assert syncer.settings.concurrency == 8
    METER.barrier = threading.Barrier(8, timeout=10)  # twice: eight shops, then the next eight
    report = syncer.run()
    syncer.close()
    assert METER.most == 8 and len(report.shops) == 16


def test_one_shop_failing_does_not_touch_the_shops_beside_it(make):
    syncer = make(shops=4, concurrency=4, failing=(1,))
    report = syncer.run()
    syncer.close()
    errors = {s.shop: s.error for s in report.shops}
    assert errors["shop1"] is not None and "signature rejected" in errors["shop1"]
    assert [name for name, error in errors.items() if error is None] == ["shop0", "shop2", "shop3"]
    assert report.exit_code != 0


def test_a_stop_request_leaves_the_shops_not_started_out_of_the_report(make):
    syncer = make(shops=6, concurrency=2)
    started = threading.Event()
    original = SlowSeller.list_warehouses

    def stop_on_first_read(self):
        if not started.is_set():
            started.set()
            syncer._stop.signum = 15  # what StopSignals sets on SIGTERM
        return original(self)

    SlowSeller.list_warehouses = stop_on_first_read
    try:
        report = syncer.run()
    finally:
        SlowSeller.list_warehouses = original
        syncer.close()
    assert report.interrupted == 15
    assert 1 <= len(report.shops) <= 2  # only the shops already working when the stop came
    assert [s.shop for s in report.shops] == [f"shop{i}" for i in range(len(report.shops))]


@pytest.mark.parametrize("value", ["0", "65", "2.5", '"4"'])
def test_concurrency_must_be_a_whole_number_of_shops(make, tmp_path, value):
    from erpsync.core.errors import ConfigError

    make(shops=1, concurrency=1)
    text = (tmp_path / "erpsync.toml").read_text(encoding="utf-8").replace("concurrency = 1", f"concurrency = {value}")
    (tmp_path / "erpsync.toml").write_text(text, encoding="utf-8")
    registry = build_registry(get_plugin_manager(entrypoints=False, extra=[Plugin()]))
    with pytest.raises(ConfigError, match="concurrency"):
        load_settings(tmp_path / "erpsync.toml", registry)
