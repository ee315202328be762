"""`erpsync run` as a real process over several sandbox shops: jobs run, /healthz and /metrics
answer over HTTP, a webhook's sync request is picked up, a paused shop is skipped, and SIGTERM
during a run ends the process 143 after the write in hand with nothing left pending.

The world (``celery_world``): one sandbox whose app covers ``n`` shops, each with packages awaiting
shipment and a files ERP holding their tracking numbers; what happened is judged by the sandbox's
own effect counts (one ``ship`` per package pushed) and the state store.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import celery_world
import pytest
import requests
from test_cli_reconcile import drifted_erp

from erpsync.core.aspects.tracking import TrackingAspect
from erpsync.core.store import Store
from erpsync.sandbox import SandboxServer

pytestmark = pytest.mark.integration


#: health and metrics on a port the system picks as the endpoints bind it (the command line takes
#: port 0, the config file does not): no port chosen ahead and bound later, which another process
#: could take in between
LISTEN_ANY_PORT = ("--listen", "127.0.0.1:0")


def endpoints_of(proc: subprocess.Popen, log: Path) -> str:
    """The base URL the service's endpoints bound, read from its log."""

    def bound() -> str | None:
        found = re.search(r"health and metrics on (http://127\.0\.0\.1:\d+)/healthz", log.read_text())
        return found.group(1) if found else None

    return wait_for(bound, "the endpoints' address in the log", proc=proc, log=log)


def store_of(root: Path) -> Store:
    return Store.open(f"sqlite:///{root / '.erpsync' / 'state.db'}")


def shipped(url: str) -> dict[str, int]:
    effects = requests.get(f"{url}/_sandbox/effects", timeout=10).json()["data"]
    return dict(effects.get("ship", {}))


def wait_for(
    check,
    what: str,
    timeout: float = 60.0,
    proc: subprocess.Popen | None = None,
    log: Path | None = None,
    every: float = 0.1,
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"erpsync run ended early ({proc.returncode}): {log.read_text() if log else ''}")
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}: {log.read_text() if log else ''}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


@pytest.fixture
def sandbox():
    with SandboxServer(celery_world.scenario(4, qps=50)) as server:
        yield server


def test_once_runs_every_shop_skips_the_paused_one_and_answers_the_sync_request(tmp_path, sandbox):
    owner = celery_world.build(tmp_path, sandbox.url, 4, 3, qps=50)
    with store_of(tmp_path) as store:
        store.shop_pauses.pause("s3", reason="seller deauthorised", now=datetime.now(UTC))
        store.sync_requests.add("s1", ["tracking"], reason="order status update", now=datetime.now(UTC))
    done = celery_world.start(tmp_path, "run", "--once", log=tmp_path / "run.log")
    assert done.wait(timeout=120) == 0, (tmp_path / "run.log").read_text()
    log = (tmp_path / "run.log").read_text()
    assert re.search(r"s3 tracking: skipped .*paused", log), log
    assert "3 ok, 1 skipped" in log, log
    ships = shipped(sandbox.url)
    assert sorted(ships) == sorted(p for p, shop in owner.items() if shop != "s3")
    assert set(ships.values()) == {1}
    with store_of(tmp_path) as store:
        assert store.sync_requests.pending() == []
        # answered by a run that read the aspect to the end: deleted, not left taken
        assert store.sync_requests.take(now=datetime.now(UTC) + timedelta(days=1)) == []
        assert [e for e in store.ledger.list_entries(status="pending")] == []


def test_service_runs_on_schedule_serves_health_and_metrics_and_stops_on_sigterm(tmp_path, sandbox):
    owner = celery_world.build(
        tmp_path,
        sandbox.url,
        4,
        2,
        qps=50,
        extra="[service]\nconcurrency = 3\n[service.intervals]\ntracking = 0.05\n",
    )
    with store_of(tmp_path) as store:
        store.shop_pauses.pause("s3", reason="seller deauthorised", now=datetime.now(UTC))
    log = tmp_path / "run.log"
    proc = celery_world.start(tmp_path, "run", *LISTEN_ANY_PORT, log=log)
    try:
        base = endpoints_of(proc, log)

        def healthy():
            try:
                r = requests.get(f"{base}/healthz", timeout=5)
            except requests.ConnectionError:
                return None
            return r if r.status_code == 200 else None

        health = wait_for(healthy, "/healthz", proc=proc, log=log).json()
        assert health["scheduler_running"] is True and health["store_reachable"] is True
        assert health["jobs"] == 4
        wanted = sorted(p for p, shop in owner.items() if shop != "s3")
        wait_for(lambda: sorted(shipped(sandbox.url)) == wanted, "the packages shipped", proc=proc, log=log)

        with store_of(tmp_path) as store:  # a webhook's ask: taken within the poll interval
            store.sync_requests.add("s1", ["tracking"], reason="webhook: order status", now=datetime.now(UTC))
        wait_for(lambda: "sync request" in log.read_text(), "the sync request taken", 30, proc=proc, log=log)
        with store_of(tmp_path) as store:
            wait_for(lambda: store.sync_requests.pending() == [], "no pending request", 30, proc=proc, log=log)

        def scraped():
            text = requests.get(f"{base}/metrics", timeout=5).text
            return text if 'result="skipped"' in text and 'result="ok"' in text else None

        metrics = wait_for(scraped, "ok and skipped runs in /metrics", proc=proc, log=log)
        assert re.search(r'^erpsync_job_runs_total\{aspect="tracking",result="ok"\} [1-9]', metrics, re.M), metrics
        assert re.search(r"^erpsync_shops_paused 1\.0$", metrics, re.M)
        assert re.search(
            r'^erpsync_api_calls_total\{api="tiktok /fulfillment/202309/packages/ship"\} [1-9]', metrics, re.M
        ), metrics
        assert "erpsync_job_duration_seconds_bucket" in metrics and "erpsync_store_up 1.0" in metrics
        assert "shop=" not in metrics
        assert set(shipped(sandbox.url).values()) == {1}  # ticks every 3 s, each package pushed once
    finally:
        code = stop(proc)
    assert code == 143, log.read_text()
    assert "Traceback" not in log.read_text()
    assert re.search(r"s3 tracking: skipped", log.read_text())


def test_sigterm_during_a_run_ends_143_after_the_write_in_hand(tmp_path):
    with SandboxServer(celery_world.scenario(2, qps=50)) as sandbox:
        owner = celery_world.build(
            tmp_path,
            sandbox.url,
            2,
            # four ship calls a shop, 300 ms each: the stop, sent as the first is seen, has two
            # calls' time (600 ms) to land before the last begins, even on a loaded machine
            4 * TrackingAspect.bulk_size,
            qps=50,
            extra="[service.intervals]\ntracking = 0.05\n",
        )
        requests.post(f"{sandbox.url}/_sandbox/faults", json={"latency_ms": 300}, timeout=10).raise_for_status()
        log = tmp_path / "run.log"
        proc = celery_world.start(tmp_path, "run", *LISTEN_ANY_PORT, log=log)
        try:
            wait_for(lambda: shipped(sandbox.url), "a first package shipped", 120, proc=proc, log=log, every=0.01)
        finally:
            code = stop(proc)
        text = log.read_text()
        assert code == 143, text
        assert "Traceback" not in text
        assert "stopping after the writes in hand" in text
        with store_of(tmp_path) as store:
            entries = store.ledger.list_entries()
            assert [e for e in entries if e.status == "pending"] == []
            assert len([e for e in entries if e.status == "done"]) == sum(shipped(sandbox.url).values())
            statuses = {run.status for run in celery_world.runs(tmp_path)}
        assert sum(shipped(sandbox.url).values()) < len(owner)  # stopped early: not every package went
        assert "interrupted" in statuses, statuses
        assert "running" not in statuses


def test_once_runs_one_shops_aspects_one_after_another_not_into_its_lease(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    done = demo_ws.cli("run", "--once")
    assert done.returncode in (0, 2), done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("INFO erpsync.service: shop ")]
    assert len(lines) == 6, done.stderr  # every registered aspect of the one shop
    assert not any("skipped" in line for line in lines), done.stderr
    with Store.open(f"sqlite:///{demo_ws.root / '.erpsync' / 'state.db'}") as store:
        assert store.ledger.list_entries(status="pending") == []
        assert {e.status for e in store.ledger.list_entries()} == {"done"}
