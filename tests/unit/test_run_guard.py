"""Leases whose holder is gone, crashed runs, the heartbeat, stop signals, unlock, pending ledger rows.

The pid check is injected (``is_alive``) so these tests judge a holder without killing anything;
tests/integration/test_kill_and_rerun.py does the same with real processes and real signals.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from test_sync import setup  # noqa: F401  (the fixture: a Syncer over a files ERP and a memory seller)

from erpsync.core.errors import LockedError
from erpsync.core.models import ActionResult, RunReport
from erpsync.core.pending import settle_pending
from erpsync.core.run_guard import Heartbeat, Interrupted, StopSignals, unlock_shop
from erpsync.core.store import Store
from erpsync.core.store.leases import holder_gone, pid_alive

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
HERE = "host-a"


def dead(_pid: int) -> bool:
    return False


def alive(_pid: int) -> bool:
    return True


@pytest.fixture
def store():
    with Store.open("sqlite:///:memory:") as s:
        yield s


def _take(store: Store, owner: str, *, host: str = HERE, pid: int = 111, now: datetime = T0, is_alive=alive) -> bool:
    return store.leases.acquire("shop:s", owner=owner, ttl_seconds=60, now=now, host=host, pid=pid, is_alive=is_alive)


def test_a_lease_records_its_holders_host_and_pid(store):
    assert _take(store, "run-1")
    held = store.leases.get("shop:s")
    assert (held.owner, held.host, held.pid, held.fence) == ("run-1", HERE, 111, 1)


def test_a_holder_gone_on_this_host_is_taken_over_at_once(store):
    assert _take(store, "run-1", pid=111)
    assert not _take(store, "run-2", pid=222, is_alive=alive)  # alive: refused, as before
    assert _take(store, "run-2", pid=222, is_alive=dead)  # dead: taken at once, long before expiry
    held = store.leases.get("shop:s")
    assert (held.owner, held.pid, held.fence) == ("run-2", 222, 2)
    assert not store.leases.release("shop:s", owner="run-1")  # the dead run's token no longer works


def test_a_holder_on_another_host_or_of_an_old_erpsync_is_waited_out(store):
    assert _take(store, "run-1", host="host-b", pid=111)
    assert not _take(store, "run-2", host=HERE, pid=222, is_alive=dead)  # cannot check another host
    assert _take(store, "run-2", host=HERE, pid=222, now=T0 + timedelta(seconds=61), is_alive=dead)
    assert not holder_gone(None, None, here=HERE, is_alive=dead)  # no host/pid recorded: never "gone"


def test_the_pid_check_is_told_the_holders_pid(store):
    asked: list[int] = []
    _take(store, "run-1", pid=4242)
    _take(store, "run-2", pid=1, is_alive=lambda pid: asked.append(pid) or True)
    assert asked == [4242]


def test_hold_takes_over_a_dead_holder_without_waiting(store):
    _take(store, "run-1", host=os.uname().nodename, pid=999_999)
    with store.leases.hold("shop:s", owner="run-2", ttl_seconds=60, is_alive=dead) as held:
        assert held.owner == "run-2" and held.pid == os.getpid()


def test_pid_alive_on_real_processes():
    assert pid_alive(os.getpid())
    assert not pid_alive(2**22 + 12345)  # above Linux's pid_max: no such process


def test_runs_left_running_by_a_dead_process_or_silent_too_long_are_marked_crashed(store):
    store.runs.begin("gone", shops=["s"], apply=True, now=T0, host=HERE, pid=1)
    store.runs.begin("silent", shops=["s"], apply=True, now=T0 - timedelta(minutes=5), host="host-b", pid=2)
    store.runs.begin("working", shops=["s"], apply=True, now=T0, host="host-b", pid=3)
    store.runs.begin("done", shops=["s"], apply=True, now=T0, host=HERE, pid=4)
    store.runs.finish("done", status="in_sync", summary={}, now=T0)
    crashed = store.runs.mark_crashed(now=T0 + timedelta(seconds=30), stale_seconds=60, here=HERE, is_alive=dead)
    assert sorted(crashed) == ["gone", "silent"]
    status = {r.id: r.status for r in store.runs.list_recent()}
    assert status == {"gone": "crashed", "silent": "crashed", "working": "running", "done": "in_sync"}


def test_heartbeat_renews_leases_and_the_run_and_notes_a_lost_lease(store):
    store.runs.begin("run-1", shops=["s"], apply=True, now=T0, host=HERE, pid=1)
    now = datetime.now(UTC)
    store.leases.acquire("shop:s", owner="run-1", ttl_seconds=60, now=now)
    store.leases.acquire("shop:t", owner="run-other", ttl_seconds=60, now=now)
    beat = Heartbeat(store, "run-1", ttl_seconds=60, interval=0, clock=lambda: T0 + timedelta(minutes=1))
    beat.hold("shop:s")
    beat.hold("shop:t")
    beat.beat()
    assert store.runs.get("run-1").heartbeat_at == T0 + timedelta(minutes=1)
    assert store.leases.get("shop:s").expires_at > now + timedelta(seconds=59)
    assert beat.lost == {"shop:t"}


def test_heartbeat_thread_beats_while_entered(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    store.runs.begin("run-1", shops=["s"], apply=True, now=T0, host=HERE, pid=1)
    ticks = iter(T0 + timedelta(seconds=i) for i in range(1, 10_000))
    with Heartbeat(store, "run-1", ttl_seconds=60, interval=0.01, clock=lambda: next(ticks)):
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while store.runs.get("run-1").heartbeat_at == T0 and datetime.now(UTC) < deadline:
            pass
    assert store.runs.get("run-1").heartbeat_at > T0
    store.close()


def test_stop_signals_turn_the_first_signal_into_a_request_and_the_second_into_a_stop():
    with StopSignals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.signum == signal.SIGTERM and stop.name == "SIGTERM"
        with pytest.raises(Interrupted) as info:
            os.kill(os.getpid(), signal.SIGINT)
        assert info.value.signum == signal.SIGINT
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored


def test_an_interrupted_report_exits_128_plus_the_signal():
    assert RunReport("r", True, T0, interrupted=signal.SIGTERM).exit_code == 143
    assert RunReport("r", True, T0, interrupted=signal.SIGINT).exit_code == 130


def test_unlock_refuses_a_live_holder_and_releases_a_dead_or_forced_one(store):
    assert unlock_shop(store, "s", force=False, now=T0, here=HERE) == (True, "shop 's' is not locked: nothing to do")
    _take(store, "run-1", pid=111)
    done, message = unlock_shop(store, "s", force=False, now=T0, here=HERE, is_alive=alive)
    assert not done and "still running on this host" in message and "--force" in message
    assert store.leases.get("shop:s") is not None
    store.runs.begin("run-1", shops=["s"], apply=True, now=T0, host=HERE, pid=111)
    done, message = unlock_shop(store, "s", force=False, now=T0, here=HERE, is_alive=dead)
    assert done and "process is gone" in message and store.leases.get("shop:s") is None
    assert store.runs.get("run-1").status == "crashed"
    _take(store, "run-2", pid=222)
    done, message = unlock_shop(store, "s", force=True, now=T0, here=HERE, is_alive=alive)
    assert done and "by force" in message and store.leases.get("shop:s") is None


def test_unlock_waits_out_another_hosts_holder_unless_expired(store):
    _take(store, "run-1", host="host-b", pid=111)
    done, message = unlock_shop(store, "s", force=False, now=T0, here=HERE, is_alive=dead)
    assert not done and "another host" in message
    done, message = unlock_shop(store, "s", force=False, now=T0 + timedelta(seconds=61), here=HERE, is_alive=dead)
    assert done and "expired" in message


# -- pending ledger rows a crash left ---------------------------------------------------------------


def _pending(
    store: Store,
    key: str,
    *,
    value: str,
    run_id: str = "crashed-run",
    kind: str = "set_address",
    subject: str = "E1",
    field: str | None = "phone",
) -> None:
    store.ledger.begin(
        key,
        shop="s",
        aspect="warehouse_address",
        kind=kind,
        target="erp",
        subject=subject,
        payload={"field": field, "value": value, "description": f"set phone {value}"},
        run_id=run_id,
        now=T0,
    )


def test_settle_pending_marks_a_write_no_longer_needed_done(store):
    _pending(store, "k-old", value="13800138000")
    notes = settle_pending(store.ledger, "s", "warehouse_address", "run-2", [], T0, store.drifts.still_open)
    entry = store.ledger.get("k-old")
    assert entry.status == "done" and "nothing left to write" in entry.detail
    assert notes == [f"set phone 13800138000: left pending by run crashed-run; {entry.detail}"]


def test_a_run_that_lost_the_shop_settles_nothing(store):
    """Another run took the shop over: the pending row may be that run's write in flight."""
    _pending(store, "k-theirs", value="13800138000")

    def lost() -> None:
        raise LockedError("lost the lease 'shop:s' to another run")

    with pytest.raises(LockedError):
        settle_pending(store.ledger, "s", "warehouse_address", "run-2", [], T0, store.drifts.still_open, lost)
    assert store.ledger.get("k-theirs").status == "pending"


def test_settle_pending_records_the_retry_of_a_write_still_needed(store, setup):  # noqa: F811
    syncer = setup()
    report = syncer.run()  # a plan run: the action it would take, to build matching results from
    action = report.shops[0].aspects[0].actions[0].action
    same = {"value": action.value, "kind": action.kind, "subject": action.subject, "field": action.field}
    _pending(store, "k-ok", **same)
    store.ledger.finish("k-ok", status="failed", error="x", now=T0)
    _pending(store, "k-ok", **same)  # pending again: a crash on the retry
    settle_pending(
        store.ledger, "s", "warehouse_address", "run-2", [ActionResult(action, "applied")], T0, store.drifts.still_open
    )
    assert store.ledger.get("k-ok").status == "done" and "retried and applied" in store.ledger.get("k-ok").detail
    _pending(store, "k-bad", **same)
    settle_pending(
        store.ledger,
        "s",
        "warehouse_address",
        "run-3",
        [ActionResult(action, "failed", "ERP locked")],
        T0,
        store.drifts.still_open,
    )
    assert store.ledger.get("k-bad").status == "failed" and "ERP locked" in store.ledger.get("k-bad").last_error
    syncer.close()


def test_an_apply_run_settles_the_pending_row_a_crashed_run_left(setup, monkeypatch):  # noqa: F811
    """Killed between the write and ledger.finish: the row stays pending; the next apply settles it."""
    syncer = setup()
    real_finish = syncer.store.ledger.finish_many

    def crash(outcomes, **kw):
        if any(o.status == "done" for o in outcomes):
            raise KeyboardInterrupt
        return real_finish(outcomes, **kw)

    monkeypatch.setattr(syncer.store.ledger, "finish_many", crash)
    with pytest.raises(KeyboardInterrupt):
        syncer.run(apply=True)
    monkeypatch.setattr(syncer.store.ledger, "finish_many", real_finish)
    [left] = syncer.store.ledger.list_entries(shop="s", status="pending")
    rerun = syncer.run(apply=True)
    assert syncer.store.ledger.list_entries(shop="s", status="pending") == []
    settled = syncer.store.ledger.get(left.key)
    assert settled.status == "done" and "nothing left to write" in settled.detail
    assert any("left pending by run" in n for n in rerun.shops[0].aspects[0].notes)
    syncer.close()


def test_a_plan_run_leaves_pending_rows_alone(setup):  # noqa: F811
    syncer = setup()
    _pending(syncer.store, "k-old", value="13800138000")
    syncer.run()
    assert syncer.store.ledger.get("k-old").status == "pending"
    syncer.close()


def test_a_run_takes_over_the_lease_of_a_dead_run_and_marks_it_crashed(setup):  # noqa: F811
    syncer = setup()
    host = os.uname().nodename
    syncer.store.runs.begin("killed", shops=["s"], apply=True, now=datetime.now(UTC), host=host, pid=4242)
    syncer.store.leases.acquire("shop:s", owner="killed", ttl_seconds=60, now=datetime.now(UTC), host=host, pid=4242)
    syncer.is_alive = lambda pid: pid != 4242
    report = syncer.run(apply=True)  # no --wait
    assert report.exit_code == 0, report.errors
    assert syncer.store.runs.get("killed").status == "crashed"
    assert syncer.store.leases.get("shop:s") is None  # released again by the run that took it
    syncer.close()


def test_a_stop_ends_the_wait_for_a_busy_shop_at_once(setup):  # noqa: F811
    """``reconcile --wait 30`` with another run holding the shop: Ctrl-C (here the outside stop a
    service sets) ended nothing until the holder let go."""
    syncer = setup()
    host = os.uname().nodename
    syncer.store.leases.acquire("shop:s", owner="other", ttl_seconds=60, now=datetime.now(UTC), host=host, pid=4242)
    syncer.is_alive = lambda pid: True
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    report = syncer.run(apply=True, wait_seconds=30, stop=stop)
    assert time.monotonic() - started < 5
    assert report.interrupted == signal.SIGTERM and "while waiting for the shop's lease" in (
        report.shops[0].error or ""
    )
    assert syncer.store.leases.get("shop:s").owner == "other"  # type: ignore[union-attr]
    syncer.close()
