"""Killed and stopped runs, as real OS processes: `kill -9`, SIGTERM and SIGINT on `erpsync reconcile --apply`.

The sandbox's latency fault makes each Seller Center call slow (400 ms), so a run is still working
for seconds after its first correction: the tests wait for that correction in the ledger, then
signal the process. The ERP's two corrections sit in two aspects (the WH-SZ street in
warehouse_address, the WH-DG handover mode in pickup), with slow reads between them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from test_cli_reconcile import drifted_erp

from erpsync.core.store import Store
from erpsync.core.store.leases import this_host

pytestmark = pytest.mark.integration


def _store(ws) -> Store:
    return Store.open(f"sqlite:///{ws.root / '.erpsync' / 'state.db'}")


def wait_for_first_correction(ws, proc, timeout: float = 60.0) -> str:
    """Poll the ledger until the run has recorded one correction done; that run's id."""
    deadline = time.monotonic() + timeout
    db = ws.root / ".erpsync" / "state.db"
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before its first correction was seen"
        if db.exists():
            with _store(ws) as store:
                done = store.ledger.list_entries(shop="shop", status="done")
            if done:
                assert done[0].run_id is not None
                return done[0].run_id
        time.sleep(0.02)
    raise AssertionError("the run never recorded a correction")


def start_slow_apply(ws):
    ws.write_erp(drifted_erp(ws))
    ws.admin("POST", "faults", {"latency_ms": 400})
    return ws.start_cli("reconcile", "--apply", "--format", "json")


def test_kill_9_then_an_immediate_rerun_applies_each_correction_once(demo_ws):
    proc = start_slow_apply(demo_ws)
    killed_run = wait_for_first_correction(demo_ws, proc)
    proc.kill()  # SIGKILL: no handler, no finally, nothing released
    proc.wait(timeout=10)  # reaped, as init reaps a cron job's process
    assert proc.returncode == -signal.SIGKILL
    with _store(demo_ws) as store:
        lease = store.leases.get("shop:shop", now=datetime.now(UTC))
        assert lease is not None and lease.owner == killed_run  # still "held" for up to a minute
        assert store.runs.get(killed_run).status == "running"
        before = {e.key: e for e in store.ledger.list_entries(shop="shop")}

    demo_ws.admin("POST", "faults", {"latency_ms": 0})
    rerun = demo_ws.cli("reconcile", "--apply", "--format", "json")  # no --wait
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    report = json.loads(rerun.stdout)
    applied_now = {
        (d["warehouse"], d["field"])
        for s in report["shops"]
        for a in s["aspects"]
        for d in a["drifts"]
        if d["action"] and d["action"]["status"] == "applied"
    }
    with _store(demo_ws) as store:
        assert store.runs.get(killed_run).status == "crashed"
        assert store.leases.get("shop:shop") is None
        entries = store.ledger.list_entries(shop="shop")
        assert [e for e in entries if e.status == "pending"] == []
    done_by_killed = [e for e in before.values() if e.status == "done"]
    done_by_rerun = [e for e in entries if e.status == "done" and e.key not in before]
    # each of the two corrections made once: one by the killed run, the other by the rerun
    assert len(done_by_killed) == 1 and len(done_by_rerun) == 1 and len(applied_now) == 1
    assert {done_by_killed[0].aspect, done_by_rerun[0].aspect} == {"warehouse_address", "pickup"}
    assert all(e.attempts == 1 for e in entries)
    again = demo_ws.cli("reconcile")
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_finishes_the_write_in_hand_releases_the_shop_and_exits_128_plus_it(demo_ws, sig, code):
    proc = start_slow_apply(demo_ws)
    run_id = wait_for_first_correction(demo_ws, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, out + err
    report = json.loads(out)
    name = signal.Signals(sig).name
    assert any(f"stopped by {name}" in e for e in report["errors"]), report["errors"]
    assert any("1 correction(s) applied" in e for e in report["errors"])
    assert "Traceback" not in err
    with _store(demo_ws) as store:
        assert store.runs.get(run_id).status == "interrupted"
        assert store.leases.get("shop:shop") is None
        assert [e.status for e in store.ledger.list_entries(shop="shop")] == ["done"]
    demo_ws.admin("POST", "faults", {"latency_ms": 0})
    finish = demo_ws.cli("reconcile", "--apply")  # the rest, at once
    assert finish.returncode == 0, finish.stdout + finish.stderr


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def test_unlock_refuses_a_live_holder_and_frees_a_dead_one(demo_ws):
    demo_ws.cli("reconcile")  # creates the state database
    now = datetime.now(UTC)
    with _store(demo_ws) as store:  # this test process is the live holder
        store.leases.acquire("shop:shop", owner="live-run", ttl_seconds=60, now=now)
    refused = demo_ws.cli("unlock", "--shop", "shop")
    assert refused.returncode == 1
    text = refused.stdout + refused.stderr
    assert "still running on this host" in text and f"kill {os.getpid()}" in text and "--force" in text
    forced = demo_ws.cli("unlock", "--shop", "shop", "--force")
    assert forced.returncode == 0 and "unlocked by force" in forced.stdout

    pid = _dead_pid()
    with _store(demo_ws) as store:
        store.runs.begin("dead-run", shops=["shop"], apply=True, now=now, host=this_host(), pid=pid)
        store.leases.acquire("shop:shop", owner="dead-run", ttl_seconds=60, now=now, pid=pid)
    freed = demo_ws.cli("unlock", "--shop", "shop")
    assert freed.returncode == 0 and "process is gone" in freed.stdout, freed.stdout + freed.stderr
    with _store(demo_ws) as store:
        assert store.leases.get("shop:shop") is None and store.runs.get("dead-run").status == "crashed"
    nothing = demo_ws.cli("unlock", "--shop", "shop")
    assert nothing.returncode == 0 and "not locked" in nothing.stdout


def test_a_run_left_running_by_a_dead_process_is_marked_crashed_by_the_next(demo_ws):
    demo_ws.cli("reconcile")
    with _store(demo_ws) as store:
        store.runs.begin("stale", shops=["shop"], apply=True, now=datetime.now(UTC), host=this_host(), pid=_dead_pid())
    demo_ws.cli("reconcile")
    with _store(demo_ws) as store:
        assert store.runs.get("stale").status == "crashed"
