"""The host's batched writes: an aspect's ERP corrections in one rewrite, the ledger begun and
finished in one transaction each, stops and failures recorded, a crash mid-batch settled by the
next run; the re-read's alerts in the outbox; and commits per shop that do not grow with its
warehouses. Real parts throughout: the plugin manager, the SQLite store, the files ERP, and an
in-memory seller registered through the hook a third-party plugin would use."""

from __future__ import annotations

import csv
import os
import signal
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema

from erpsync.connectors.files import replace as rp
from erpsync.core.connector import Connector
from erpsync.core.models import Address, AspectReport, PickupSignals, Records, RunReport, SlotSignal, Warehouse
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

COLUMNS = ["id", "seller_warehouse_id", "contact_person", "phone", "state", "city", "district", "street"]
COLUMNS += ["postal_code", "handover_mode"]


def seller_address(i: int) -> Address:
    return Address("张伟", f"138{i:08d}", "CN", "广东省", "东莞市", "长安镇", f"振安中路 {i}号", "523850")


class ManySeller(Connector):
    """Seller Center with ``count`` warehouses, pickup offered at each."""

    type = "many-seller"
    role = "seller"
    count = 2

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        return Records(
            tuple(Warehouse(f"W{i}", f"仓{i}", seller_address(i), seller_warehouse_id=f"W{i}") for i in self._ids())
        )

    def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        return Records(tuple(PickupSignals(w, SlotSignal(f"P-{w}", True, True)) for w in warehouse_ids))

    def check(self) -> str:
        return "many seller"

    def _ids(self) -> range:
        return range(1, ManySeller.count + 1)


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(ManySeller)


def make_syncer(
    tmp_path: Path,
    warehouses: int,
    *,
    wrong_phones: int,
    aspects: str = '"warehouse_address"',
    alerts: bool = True,
    plugin: object | None = None,
) -> Syncer:
    ManySeller.count = warehouses
    (tmp_path / "erp").mkdir(parents=True, exist_ok=True)
    (tmp_path / "erpsync.toml").write_text(
        f'[[shops]]\nname = "s"\naspects = [{aspects}]\n[shops.seller]\ntype = "many-seller"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\n'
        '[policy]\nwarehouse_address = "seller"\n'
        + ('[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n' if alerts else ""),
        encoding="utf-8",
    )
    with (tmp_path / "erp" / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(COLUMNS)
        for i in range(1, warehouses + 1):
            a = seller_address(i)
            phone = f"139{i:08d}" if i <= wrong_phones else a.phone
            out.writerow(
                [f"E{i}", f"W{i}", a.contact_person, phone, a.state, a.city, a.district, a.street, a.postal_code]
            )
    pm = get_plugin_manager(entrypoints=False, extra=[plugin or Plugin()])
    registry = build_registry(pm)
    return Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry)


@pytest.fixture
def rewrites(monkeypatch) -> list[int]:
    """Counts the files ERP's atomic replaces (the real function, counted)."""
    calls: list[int] = []
    real = rp.replace

    def counted(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        calls.append(1)

    monkeypatch.setattr(rp, "replace", counted)
    return calls


def address_report(report: RunReport) -> AspectReport:
    (aspect,) = [a for a in report.shops[0].aspects if a.aspect == "warehouse_address"]
    return aspect


def phones(tmp_path: Path) -> list[str]:
    with (tmp_path / "erp" / "warehouses.csv").open(encoding="utf-8", newline="") as fh:
        return [row["phone"] for row in csv.DictReader(fh)]


def test_an_apply_rewrites_the_erp_file_once_and_records_each_correction(tmp_path: Path, rewrites) -> None:
    syncer = make_syncer(tmp_path, 30, wrong_phones=20)
    report = syncer.run(apply=True)
    aspect = address_report(report)
    assert [r.status for r in aspect.actions] == ["applied"] * 20 and report.exit_code == 0
    assert len(rewrites) == 1
    assert phones(tmp_path) == [seller_address(i).phone for i in range(1, 31)]
    entries = syncer.store.ledger.list_entries(shop="s")
    assert len(entries) == 20 and {(e.status, e.attempts) for e in entries} == {("done", 1)}
    # the re-read resolved every drift and wrote its alerts to the outbox in the same transaction
    rows = syncer.store.outbox.recent()
    assert sorted(r.event["event"] for r in rows) == ["opened"] * 20 + ["resolved"] * 20
    assert {r.event["run_id"] for r in rows} == {report.run_id} and sorted(aspect.resolved) == sorted(aspect.opened)
    syncer.close()


def test_a_write_the_file_refuses_fails_alone_and_a_failed_rewrite_fails_all(tmp_path: Path, rewrites) -> None:
    syncer = make_syncer(tmp_path, 4, wrong_phones=4)
    path = tmp_path / "erp" / "warehouses.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("E3,W3b,x,,,,,,,\n")  # E3 now on two rows: its write is refused at once
    report = syncer.run(apply=True)
    aspect = address_report(report)
    statuses = {r.action.subject: (r.status, r.detail or "") for r in aspect.actions}
    assert statuses["E3"][0] == "failed" and "on several rows" in statuses["E3"][1]
    assert [statuses[e][0] for e in ("E1", "E2", "E4")] == ["applied"] * 3 and len(rewrites) == 1
    ledger = {e.subject: e for e in syncer.store.ledger.list_entries(shop="s")}
    assert ledger["E3"].status == "failed" and "several rows" in (ledger["E3"].last_error or "")

    # the rewrite itself refused (the file turned read-only after the batch read it): none is made
    syncer = make_syncer(tmp_path, 4, wrong_phones=4)
    say_count = 0

    def say(message: str) -> None:
        nonlocal say_count
        if ": warehouse_address: " in message and "re-reading" not in message:
            say_count += 1
            if say_count == 1:
                os.chmod(path, 0o444)

    report = syncer.run(apply=True, progress=say)
    os.chmod(path, 0o644)
    aspect = address_report(report)
    assert {r.status for r in aspect.actions} == {"failed"}
    assert all("read-only" in (r.detail or "") for r in aspect.actions) and len(rewrites) == 1
    assert {e.status for e in syncer.store.ledger.list_entries(shop="s") if e.run_id == report.run_id} == {"failed"}
    syncer.close()


def test_a_stop_mid_batch_writes_what_was_buffered_and_records_the_rest_not_attempted(tmp_path: Path, rewrites):
    syncer = make_syncer(tmp_path, 10, wrong_phones=10)
    writes = 0

    def say(message: str) -> None:
        nonlocal writes
        if ": warehouse_address: " in message:
            writes += 1
            if writes == 4:  # SIGTERM arrives while the fourth write is in hand
                syncer._stop.signum = signal.SIGTERM

    report = syncer.run(apply=True, progress=say)
    aspect = address_report(report)
    assert [r.status for r in aspect.actions] == ["applied"] * 4 and len(rewrites) == 1
    assert phones(tmp_path)[:5] == [seller_address(i).phone for i in range(1, 5)] + ["13900000005"]
    entries = syncer.store.ledger.list_entries(shop="s")
    assert sorted(e.status for e in entries) == ["done"] * 4 + ["failed"] * 6
    assert all("not attempted (stopped by SIGTERM)" in (e.last_error or "") for e in entries if e.status == "failed")
    assert report.interrupted == signal.SIGTERM and "4 correction(s) applied" in (report.shops[0].error or "")
    syncer.close()


def test_a_crash_between_the_rewrite_and_ledger_finish_loses_nothing_and_doubles_nothing(
    tmp_path: Path, rewrites, monkeypatch
) -> None:
    syncer = make_syncer(tmp_path, 6, wrong_phones=6)
    real = syncer.store.ledger.finish_many

    def crash(outcomes, **kw):
        if any(o.status == "done" for o in outcomes):
            raise KeyboardInterrupt  # killed right after the file was rewritten
        return real(outcomes, **kw)

    monkeypatch.setattr(syncer.store.ledger, "finish_many", crash)
    with pytest.raises(KeyboardInterrupt):
        syncer.run(apply=True)
    assert len(rewrites) == 1 and phones(tmp_path) == [seller_address(i).phone for i in range(1, 7)]
    assert [e.status for e in syncer.store.ledger.list_entries(shop="s")] == ["pending"] * 6
    monkeypatch.setattr(syncer.store.ledger, "finish_many", real)
    rerun = syncer.run(apply=True)
    assert rerun.exit_code == 0 and rerun.drifts == [] and len(rewrites) == 1  # nothing written twice
    entries = syncer.store.ledger.list_entries(shop="s")
    assert [e.status for e in entries] == ["done"] * 6
    assert all("nothing left to write" in (e.detail or "") for e in entries)
    syncer.close()


def test_a_crash_before_the_rewrite_writes_nothing_and_the_rerun_writes_each_once(tmp_path: Path, rewrites):
    syncer = make_syncer(tmp_path, 6, wrong_phones=6)
    writes = 0

    def say(message: str) -> None:
        nonlocal writes
        if ": warehouse_address: " in message:
            writes += 1
            if writes == 3:
                raise KeyboardInterrupt  # killed with two writes buffered

    with pytest.raises(KeyboardInterrupt):
        syncer.run(apply=True, progress=say)
    assert rewrites == [] and phones(tmp_path) == [f"139{i:08d}" for i in range(1, 7)]
    left = syncer.store.ledger.list_entries(shop="s", status="pending")
    assert len(left) == 6
    rerun = syncer.run(apply=True)
    assert [r.status for r in address_report(rerun).actions] == ["applied"] * 6 and len(rewrites) == 1
    settled = [syncer.store.ledger.get(e.key) for e in left]
    assert all(s is not None and s.status == "done" and "retried and applied" in (s.detail or "") for s in settled)
    assert phones(tmp_path) == [seller_address(i).phone for i in range(1, 7)]
    syncer.close()
