"""Two ``erpsync worker`` processes and ``erpsync beat`` on a real Redis over 50 sandbox shops.

One worker is killed (SIGKILL) while it syncs a shop. Judged by what the sandbox counted (one
``ship`` per package: nothing pushed twice) and by the state store's runs table (each shop synced
once per tick, never two runs of a shop at once, the killed shop synced again).
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from celery_world import Run, build, runs, scenario, start
from service_servers import redis_server

from erpsync.sandbox import SandboxServer

pytestmark = pytest.mark.integration

SHOPS, PACKAGES = 50, 2
TICK_MINUTES = 0.25  # beat sends a tick every 15 s
LOCK_SECONDS = 3  # so the killed worker's task comes back after 6 s


def wait_for(what: str, check, timeout: float, logs: list[Path]):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)  # a warm shutdown waits for the tasks in hand
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def test_two_workers_sync_each_shop_once_per_tick_and_survive_a_killed_worker(tmp_path: Path) -> None:
    with redis_server() as broker, SandboxServer(scenario(SHOPS, qps=2000)) as sandbox:
        extra = (
            f'[service.celery]\nbroker_url = "{broker}"\nlock_seconds = {LOCK_SECONDS}\n'
            f"[service.intervals]\ntracking = {TICK_MINUTES}\noutbox = 60\n"
        )
        owner = build(tmp_path, sandbox.url, SHOPS, PACKAGES, qps=2000, extra=extra)
        # each call takes a little while, so a shop's sync (about ten calls) is long enough to kill
        requests.post(f"{sandbox.url}/_sandbox/faults", json={"latency_ms": 25}, timeout=10).raise_for_status()
        logs = [tmp_path / "a.log", tmp_path / "b.log", tmp_path / "beat.log"]
        doomed = start(tmp_path, "worker", "--concurrency", "2", "--name", "a@test", log=logs[0])
        survivor = start(tmp_path, "worker", "--concurrency", "2", "--name", "b@test", log=logs[1])
        beat = start(tmp_path, "beat", log=logs[2])
        procs = [doomed, survivor, beat]
        try:
            # the first tick: kill worker a while it syncs a shop (two shops: it runs two at once),
            # not while it is still sending the tick's tasks: a dispatch given back by a dead worker
            # sends only the shops it had not sent, but one sent and not yet marked is sent again
            # (``tasks.dispatch``; tests/unit/test_shop_lock.py), and the once-a-tick count below
            # would then not hold for that shop (no push twice: the lock and the ledger see to that)
            def doomed_runs() -> list[Run]:
                return [r for r in runs(tmp_path) if r.pid == doomed.pid and r.finished is None]

            def dispatching() -> bool:
                """Whether worker a holds a dispatch it has not finished (by its own log lines)."""
                lines = [x for x in logs[0].read_text(errors="replace").splitlines() if "erpsync.dispatch_due[" in x]
                return sum(x.endswith(" received") for x in lines) > sum(" succeeded in " in x for x in lines)

            wait_for("worker a to start a sync", lambda: doomed_runs() and not dispatching(), 120, logs)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
            killed_at = datetime.now(UTC).replace(tzinfo=None)
            killed = {r.id: r.shop for r in doomed_runs()}

            def done(ticks: int) -> bool:
                finished = Counter(r.shop for r in runs(tmp_path) if r.id not in killed and r.finished)
                return len(finished) == SHOPS and min(finished.values()) >= ticks

            # the bounds below only end a hang: a loaded machine takes longer than the ticks alone
            wait_for("three ticks of every shop", lambda: done(3), 240, logs)
            assert stop(beat) == 0
            ticks = logs[2].read_text().count("Sending due task erpsync:tracking")
            wait_for("the last tick", lambda: done(ticks), 120, logs)
            assert stop(survivor) == 0, logs[1].read_text()[-3000:]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
        ships = requests.get(f"{sandbox.url}/_sandbox/effects", timeout=10).json()["data"]["ship"]

    # nothing pushed twice, nothing left out: the killed worker's shops were finished by the other
    assert ships == dict.fromkeys(owner, 1)
    rows = runs(tmp_path)
    # the killed runs could not finish their rows: left running, or marked crashed by a later run
    assert killed
    assert {r.status for r in rows if r.id in killed} <= {"running", "crashed"}
    # once per tick: every shop ran to the end exactly once per tick beat sent
    assert Counter(r.shop for r in rows if r.id not in killed) == dict.fromkeys((f"s{i}" for i in range(SHOPS)), ticks)
    # never twice at once: each shop's runs follow one another (a killed run ended when it was killed)
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for r in rows:
        spans[r.shop].append((r.started, killed_at if r.id in killed else r.finished or killed_at))
    for shop, times in spans.items():
        times.sort()
        for (_s1, end), (start2, _e2) in itertools.pairwise(times):
            assert start2 >= end, f"{shop}: two runs overlap: {times}"
