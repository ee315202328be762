"""A run killed in the middle of a batch of ERP corrections, as a real OS process (`kill -9`).

Every warehouse's street differs, so `reconcile --apply` makes its address corrections to the files
ERP in one batch: the ledger rows are begun together, the writes buffered, the file rewritten
once as the batch closes. The test holds the ERP file's lock (as an ERP exporter that flocks its
file would), so the run waits inside the batch with its rows begun and nothing written; it is
killed there. The rerun must make each correction once and settle each row the killed run left.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time

import pytest
from test_cli_reconcile import IN_SYNC_MODES

from erpsync.core.store import Store

pytestmark = pytest.mark.integration


def _store(ws) -> Store:
    return Store.open(f"sqlite:///{ws.root / '.erpsync' / 'state.db'}")


def _said(proc) -> str:
    """What a run that ended early printed (its exit code, the tail of stdout and stderr), for the failure."""
    out, err = proc.communicate(timeout=10)
    return f" (exit {proc.returncode}):\n--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-3000:]}"


def wait_for_pending(ws, proc, count: int, timeout: float = 60.0) -> list:
    """Poll the ledger until the run has begun ``count`` rows; those rows."""
    deadline = time.monotonic() + timeout
    db = ws.root / ".erpsync" / "state.db"
    pending: list = []
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended before it began its corrections{_said(proc)}"
        if db.exists():
            with _store(ws) as store:
                pending = store.ledger.list_entries(shop="shop", status="pending")
            if len(pending) == count:
                return pending
        time.sleep(0.02)
    raise AssertionError(f"the run never began its {count} corrections (pending now: {len(pending)})")


def wait_for_lock_wait(proc, path, timeout: float = 60.0) -> None:
    """Poll until the run has ``path`` open: with its rows begun, that is the batch's rewrite
    waiting for the lock the test holds (a state seen, not a pause guessed)."""
    real = os.path.realpath(path)
    fds = f"/proc/{proc.pid}/fd"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended before it waited for the lock{_said(proc)}"
        with contextlib.suppress(OSError):  # an fd closed between listing and reading it
            if any(os.readlink(f"{fds}/{fd}") == real for fd in os.listdir(fds)):
                return
        time.sleep(0.02)
    raise AssertionError("the run never opened the ERP file to rewrite it")


def test_kill_9_mid_batch_loses_nothing_and_the_rerun_writes_each_correction_once(demo_ws):
    rows = demo_ws.erp_rows_matching_seller(IN_SYNC_MODES)
    fixed = {row["id"]: row["street"] for row in rows}
    for row in rows:
        row["street"] += "B座"  # material: one correction per warehouse, all to the ERP
    demo_ws.write_erp(rows)
    before = demo_ws.erp_file.read_bytes()

    fd = os.open(demo_ws.erp_file, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the batch's rewrite waits for it
        proc = demo_ws.start_cli("reconcile", "--apply", "--format", "json")
        left = wait_for_pending(demo_ws, proc, len(rows))
        wait_for_lock_wait(proc, demo_ws.erp_file)  # the writes buffered; the rewrite waits for the lock
        proc.kill()
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
    finally:
        os.close(fd)
    assert demo_ws.erp_file.read_bytes() == before  # nothing of the batch was written
    assert {e.aspect for e in left} == {"warehouse_address"} and all(e.attempts == 1 for e in left)

    rerun = demo_ws.cli("reconcile", "--apply", "--format", "json")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    report = json.loads(rerun.stdout)
    applied = [
        d["warehouse"]
        for s in report["shops"]
        for a in s["aspects"]
        for d in a["drifts"]
        if d["action"] and d["action"]["status"] == "applied"
    ]
    assert sorted(applied) == sorted(r["seller_warehouse_id"] for r in rows)  # each once
    with _store(demo_ws) as store:
        entries = store.ledger.list_entries(shop="shop")
    assert [e for e in entries if e.status == "pending"] == []
    settled = [e for e in entries if e.key in {x.key for x in left}]
    assert all(e.status == "done" and "retried and applied" in (e.detail or "") for e in settled)
    made = [e for e in entries if e.key not in {x.key for x in left}]
    assert len(made) == len(rows) and all(e.status == "done" and e.attempts == 1 for e in made)
    text = demo_ws.erp_file.read_text(encoding="utf-8")
    assert "B座" not in text and all(street in text for street in fixed.values())
    again = demo_ws.cli("reconcile")
    assert again.returncode == 0, again.stdout + again.stderr
