"""The operator's view: `erpsync reconcile` over loopback against the sandbox, as a real process."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.integration

IN_SYNC_MODES = {"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}


def drifted_erp(ws) -> list[dict]:
    rows = ws.erp_rows_matching_seller(IN_SYNC_MODES)
    rows[0]["handover_mode"] = "PICK UP"  # WH-DG is not subscribed: the ERP is wrong
    rows[0]["phone"] = "+86 " + rows[0]["phone"][:3] + "-" + rows[0]["phone"][3:7] + "-" + rows[0]["phone"][7:]
    rows[0]["state"] = rows[0]["state"].removesuffix("省")  # cosmetic: must not count
    rows[1]["street"] = rows[1]["street"] + "B座"  # material
    return rows


def test_plan_apply_then_in_sync(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    plan = demo_ws.cli("reconcile", "--format", "json")
    assert plan.returncode == 2, plan.stderr
    report = json.loads(plan.stdout)
    drifts = {(d["warehouse"], d["field"]) for s in report["shops"] for a in s["aspects"] for d in a["drifts"]}
    assert drifts == {("WH-DG", "handover_mode"), ("WH-SZ", "street")}
    assert all(d["action"]["status"] == "planned" for s in report["shops"] for a in s["aspects"] for d in a["drifts"])
    assert "PICK UP" in demo_ws.erp_file.read_text(encoding="utf-8").splitlines()[1]  # plan changed nothing

    applied = demo_ws.cli("reconcile", "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "fixed in ERP" in applied.stdout

    again = demo_ws.cli("reconcile")
    assert again.returncode == 0, again.stdout
    assert "In sync" in again.stdout
    events = [(a["event"], a["subject"], a["field"]) for a in demo_ws.alerts()]
    assert sorted(events) == sorted(
        [(e, w, f) for e in ("opened", "resolved") for w, f in (("WH-DG", "handover_mode"), ("WH-SZ", "street"))]
    )


def test_table_shows_both_sides(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    result = demo_ws.cli("reconcile", "--aspect", "pickup")
    assert result.returncode == 2
    assert "WH-DG" in result.stdout and "DROP OFF" in result.stdout and "PICK UP" in result.stdout
    assert "fix ERP" in result.stdout and "WH-SZ" not in result.stdout  # only the pickup aspect ran


def test_in_sync_exit_zero(demo_ws):
    demo_ws.write_erp(demo_ws.erp_rows_matching_seller(IN_SYNC_MODES))
    result = demo_ws.cli("reconcile", "--shop", "shop")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("reconcile", "--shop", "nope"), "unknown shop 'nope' (configured: shop)"),
        (("reconcile", "--aspect", "returns"), "unknown aspect 'returns'"),
        (("reconcile", "--format", "xml"), "Invalid value for '--format'"),
        (("reconcile", "--bogus"), "No such option '--bogus'"),
        (("frobnicate",), "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_exit_64(demo_ws, args, message):
    demo_ws.write_erp(demo_ws.erp_rows_matching_seller(IN_SYNC_MODES))
    result = demo_ws.cli(*args)
    assert result.returncode == 64, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_malformed_config_exits_1_naming_key(demo_ws):
    demo_ws.config.write_text(demo_ws.config.read_text().replace('type = "files"', 'type = "tryon"'))
    result = demo_ws.cli("reconcile")
    assert result.returncode == 1
    assert f"{demo_ws.config}: shops[0].erp: unknown ERP 'tryon' (known: files, odoo, rest, tryton)" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_erp_rows_reported_rest_goes_on(demo_ws):
    rows = drifted_erp(demo_ws)
    rows[0]["handover_mode"] = "by carrier pigeon"
    demo_ws.write_erp(rows)
    result = demo_ws.cli("reconcile", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert any(
        "warehouses.csv:2: warehouse 'ERP-1': handover_mode: unknown handover mode 'by carrier pigeon'" in e
        for e in report["errors"]
    )
    fields = {d["field"] for s in report["shops"] for a in s["aspects"] for d in a["drifts"]}
    assert "street" in fields  # the good row was still reconciled


def test_unreadable_erp_directory(demo_ws):
    result = demo_ws.cli("reconcile")  # no erp/ written
    assert result.returncode == 1
    assert "files ERP read warehouses: directory erp does not exist (option 'path')" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_app_secret_is_one_clear_permanent_error(demo_ws):
    demo_ws.write_erp(demo_ws.erp_rows_matching_seller(IN_SYNC_MODES))
    demo_ws.write_config(app_secret="wrong-secret-value")
    result = demo_ws.cli("reconcile")
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert "106001" in out and "app_secret" in out
    assert "wrong-secret-value" not in out and "demo-access-token" not in out
    assert "Traceback" not in out
    assert demo_ws.counts()["total"]["calls"] == 1  # not retried: a bad signature is permanent


def test_429_burst_absorbed(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    demo_ws.admin("POST", "faults", {"burst_429": 4})
    result = demo_ws.cli("reconcile", "--format", "json")
    assert result.returncode == 2, result.stdout + result.stderr
    assert json.loads(result.stdout)["errors"] == []
    assert demo_ws.counts()["total"]["429"] == 4


def wait_until_leased(ws, proc, timeout=60.0):
    """Poll the state store until the first run holds the shop's lease (no guessing with sleep)."""
    from datetime import UTC, datetime

    from erpsync.core.store import Store

    deadline = time.monotonic() + timeout
    db = ws.root / ".erpsync" / "state.db"
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the first run ended before it was seen holding the lease"
        if db.exists():
            store = Store.open(f"sqlite:///{db}")
            try:
                if store.leases.get("shop:shop", now=datetime.now(UTC)) is not None:
                    return
            finally:
                store.close()
        time.sleep(0.05)
    raise AssertionError("the first run never took the lease")


@contextlib.contextmanager
def erp_file_locked(ws) -> Iterator[None]:
    """Hold the ERP file's flock, as an ERP exporter editing it would: a run applying a correction
    to it waits there (up to its 30 s lock timeout) with the shop's lease held, so the run is still
    going for as long as the test needs, however slowly a loaded machine starts the next process."""
    fd = os.open(ws.erp_file, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def test_two_concurrent_runs_on_one_shop(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    with erp_file_locked(demo_ws):  # the first run's first correction waits for it
        first = demo_ws.start_cli("reconcile", "--apply")
        wait_until_leased(demo_ws, first)
        second = demo_ws.cli("reconcile")
        still_running = first.poll() is None
    out1, err1 = first.communicate(timeout=120)
    assert still_running, "the second run must have overlapped the first"
    assert first.returncode == 0, out1 + err1
    assert second.returncode == 1, second.stdout + second.stderr
    assert "lease 'shop:shop' is held by" in second.stdout and "--wait" in second.stdout


def test_second_run_waits_with_wait(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    with erp_file_locked(demo_ws):  # the first run's first correction waits for it
        first = demo_ws.start_cli("reconcile", "--apply")
        wait_until_leased(demo_ws, first)
        second = demo_ws.start_cli("reconcile", "--wait", "120")
        asked = ""
        for line in second.stderr:  # one plain progress line per step when not on a terminal
            asked += line
            if "waiting for the shop's lease" in line:
                break
        assert "waiting for the shop's lease" in asked, asked
        assert first.poll() is None, "the first run must still hold the shop when the second asks"
    first.communicate(timeout=120)
    out2, _ = second.communicate(timeout=120)
    assert first.returncode == 0
    assert second.returncode == 0, out2  # it waited, then saw the applied result


def test_check_tests_each_connection(demo_ws):
    demo_ws.write_erp(demo_ws.erp_rows_matching_seller(IN_SYNC_MODES))
    result = demo_ws.cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok shop seller: TikTok Shop: shop 7495000000000000001" in result.stdout
    assert "ok shop erp: files ERP" in result.stdout


def test_check_reports_failed_connection(demo_ws):
    demo_ws.write_config(app_secret="nope-nope-nope")
    result = demo_ws.cli("check")
    assert result.returncode == 1
    assert "failed shop seller" in result.stdout and "failed shop erp" in result.stdout
    assert "nope-nope-nope" not in result.stdout
