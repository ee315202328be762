"""The embedded scheduler: the schedule built from the config, and one job per shop and aspect at a time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from erpsync.core.errors import UsageError
from erpsync.core.models import AspectReport, RunReport, ShopReport
from erpsync.core.store.schema import sync_requests as sync_requests_table
from erpsync.service import jobs as jobs_module
from erpsync.service import scheduler as scheduler_module
from erpsync.service.jobs import JobContext, JobResult, ran_to_end, run_job
from erpsync.service.scheduler import EmbeddedScheduler, planned_pairs, taken_timeout

SHOP = """
[[shops]]
name = "{name}"
{aspects}
[shops.seller]
type = "tiktok"
base_url = "http://127.0.0.1:9"
app_key = "app-key-1"
app_secret = "s3cr3t-value"
access_token = "t0ken-value"
shop_id = "{name}"
[shops.erp]
type = "files"
path = "erp"
"""


@pytest.fixture
def ctx(tmp_path: Path):
    config = tmp_path / "erpsync.toml"
    config.write_text(
        "[service]\nconcurrency = 2\n[service.intervals]\ntracking = 2\noutbox = 3\n"
        + SHOP.format(name="a", aspects="")
        + SHOP.format(name="b", aspects='aspects = ["tracking", "pickup"]'),
        encoding="utf-8",
    )
    context = JobContext.open(config)
    yield context
    context.close()


def test_one_job_per_shop_and_aspect_with_the_configured_interval(ctx):
    scheduler = EmbeddedScheduler(ctx)
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    every = list(ctx.registry.aspects)
    assert set(jobs) == {f"{a}:a" for a in every} | {"tracking:b", "pickup:b", "outbox", "sync_requests"}
    assert jobs["tracking:a"].trigger.interval == timedelta(minutes=2)
    assert jobs["listings:a"].trigger.interval == timedelta(minutes=60)  # the default
    assert jobs["pickup:b"].trigger.interval == timedelta(minutes=15)
    assert jobs["outbox"].trigger.interval == timedelta(minutes=3)
    assert jobs["sync_requests"].trigger.interval == timedelta(seconds=10)
    for job in jobs.values():
        assert (job.max_instances, job.coalesce) == (1, True)
        assert job.misfire_grace_time == int(job.trigger.interval.total_seconds())
    assert scheduler.concurrency == 2


def test_first_runs_are_spread_over_the_first_interval_and_stable(ctx):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    one = EmbeddedScheduler(ctx, clock=lambda: now)
    two = EmbeddedScheduler(ctx, clock=lambda: now)
    starts = {job.id: job.trigger.start_date for job in one.scheduler.get_jobs() if ":" in job.id}
    assert starts == {job.id: job.trigger.start_date for job in two.scheduler.get_jobs() if ":" in job.id}
    for job in one.scheduler.get_jobs():
        if ":" in job.id:
            assert now <= starts[job.id] < now + job.trigger.interval
    assert len(set(starts.values())) > len(starts) // 2  # not all at once


def test_shops_and_aspects_narrow_the_plan_and_unknown_names_are_refused(ctx):
    assert planned_pairs(ctx, ["b"], None) == [("b", "pickup"), ("b", "tracking")]  # in the registry's order
    assert planned_pairs(ctx, None, ["tracking"]) == [("a", "tracking"), ("b", "tracking")]
    assert planned_pairs(ctx, None, ["listings"]) == [("a", "listings")]  # b does not run listings
    with pytest.raises(UsageError, match="unknown shop c"):
        planned_pairs(ctx, ["c"], None)
    with pytest.raises(UsageError, match="unknown aspect trackin"):
        planned_pairs(ctx, None, ["trackin"])


def test_a_paused_shop_is_skipped_without_a_run(ctx):
    ctx.store.shop_pauses.pause("a", reason="seller deauthorised", now=datetime.now(UTC))
    result = run_job(ctx, "a", "tracking")
    assert result.status == "skipped" and "seller deauthorised" in result.detail
    assert result.run_id is None


def test_a_job_already_queued_is_not_queued_twice_and_answers_both_requests(ctx):
    ctx.store.shop_pauses.pause("a", reason="held for the test", now=datetime.now(UTC))  # runs fast, no HTTP
    ctx.store.sync_requests.add("a", ["tracking"], reason="webhook", now=datetime.now(UTC))
    scheduler = EmbeddedScheduler(ctx, concurrency=1)
    gate = threading.Event()
    scheduler.pool.submit(gate.wait, 10)  # the one worker is busy: what follows waits in the queue
    try:
        first = scheduler.submit("a", "tracking")
        assert scheduler.take_requests() == 1  # the request joins the queued job
        second = scheduler.submit("a", "tracking")
        assert first is second and first is not None
        assert scheduler.state()["queued"] == 1
    finally:
        gate.set()
    assert first.result(timeout=30).status == "skipped"
    scheduler.shutdown(wait=True)
    assert scheduler.counts == {"skipped": 1}
    assert stored_requests(ctx) == []  # a paused shop's skip answers it: its first run after resuming covers it


def test_run_all_now_runs_every_pair_once_and_nothing_starts_once_stopping(ctx):
    for shop in ("a", "b"):
        ctx.store.shop_pauses.pause(shop, reason="held for the test", now=datetime.now(UTC))
    scheduler = EmbeddedScheduler(ctx)
    results = scheduler.run_all_now(["tracking"])
    assert sorted((r.shop, r.aspect, r.status) for r in results) == [
        ("a", "tracking", "skipped"),
        ("b", "tracking", "skipped"),
    ]
    ctx.stop.set()
    assert scheduler.submit("a", "tracking") is None
    assert scheduler.run_all_now() == []
    scheduler.shutdown(wait=True)


def _held_runs(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], threading.Event, threading.Event]:
    """run_job replaced by one that records its call and waits for ``gate``: a job held running."""
    calls: list[str] = []
    started, gate = threading.Event(), threading.Event()

    def held(ctx: JobContext, shop: str, aspect: str, **_: object) -> JobResult:
        calls.append(f"{shop} {aspect}")
        started.set()
        gate.wait(10)
        return JobResult(shop, aspect, "ok", answered=True)

    monkeypatch.setattr(scheduler_module, "run_job", held)
    return calls, started, gate


def test_a_tick_while_the_job_runs_is_absorbed_not_run_after_it(ctx, monkeypatch):
    calls, started, gate = _held_runs(monkeypatch)
    scheduler = EmbeddedScheduler(ctx)
    try:
        first = scheduler.submit("a", "tracking")
        assert first is not None and started.wait(10)
        assert scheduler.submit("a", "tracking") is first  # the next turn's tick, while it runs
        gate.set()
        first.result(timeout=10)
    finally:
        gate.set()
        scheduler.shutdown(wait=True)
    assert calls == ["a tracking"]
    assert scheduler.counts == {"ok": 1}


def test_a_sync_request_while_the_job_runs_runs_it_once_more(ctx, monkeypatch):
    calls, started, gate = _held_runs(monkeypatch)
    ctx.store.sync_requests.add("a", ["tracking"], reason="webhook", now=datetime.now(UTC))
    scheduler = EmbeddedScheduler(ctx)
    try:
        first = scheduler.submit("a", "tracking")
        assert first is not None and started.wait(10)
        assert scheduler.take_requests() == 1
        scheduler.submit("a", "tracking")  # a tick besides the request adds nothing
        gate.set()
        first.result(timeout=10)
        for _ in range(200):  # the re-run is queued by the first job's end
            if scheduler.counts.total() == 2:
                break
            time.sleep(0.05)
    finally:
        gate.set()
        scheduler.shutdown(wait=True)
    assert calls == ["a tracking", "a tracking"]
    assert ctx.store.sync_requests.pending() == []


def test_a_requested_job_the_stop_cancels_leaves_its_request_pending(ctx):
    ctx.store.sync_requests.add("a", ["tracking"], reason="webhook", now=datetime.now(UTC))
    scheduler = EmbeddedScheduler(ctx, concurrency=1)
    gate = threading.Event()
    scheduler.pool.submit(gate.wait, 10)  # the one worker is busy: the requested job waits in the queue
    try:
        assert scheduler.take_requests() == 1
        assert ctx.store.sync_requests.pending() == []  # taken
        ctx.stop.set()
        gate.set()
        scheduler.shutdown(wait=True)  # the queued job never starts
    finally:
        gate.set()
    assert [(r.shop, r.aspect) for r in ctx.store.sync_requests.pending()] == [("a", "tracking")]
    assert scheduler.counts == {}


def stored_requests(ctx: JobContext) -> list[tuple[str, str, bool]]:
    """Every sync request row, pending or taken: (shop, aspect, taken)."""
    t = sync_requests_table.c
    with ctx.store.engine.connect() as conn:
        rows = conn.execute(sync_requests_table.select().order_by(t.id)).all()
    return [(r.shop, r.aspect, r.taken_at is not None) for r in rows]


def _ending(monkeypatch: pytest.MonkeyPatch, *results: JobResult, stop: threading.Event | None = None) -> list[str]:
    """run_job replaced by one that ends each call with the next of ``results`` (setting ``stop``
    first when given: a signal that came while the job ran)."""
    calls: list[str] = []
    queue = list(results)

    def ends(ctx: JobContext, shop: str, aspect: str, **_: object) -> JobResult:
        calls.append(f"{shop} {aspect}")
        if stop is not None:
            stop.set()
        return queue.pop(0)

    monkeypatch.setattr(scheduler_module, "run_job", ends)
    return calls


def _wait_for(scheduler: EmbeddedScheduler, jobs: int) -> None:
    for _ in range(200):
        if scheduler.counts.total() >= jobs:
            return
        time.sleep(0.05)
    raise AssertionError(f"{jobs} job(s) did not end: {scheduler.counts}")


def test_a_requested_job_a_signal_interrupts_leaves_its_request_pending(ctx, monkeypatch):
    """Stopped after the write in hand, the job may not have read what the webhook announced."""
    _ending(monkeypatch, JobResult("a", "tracking", "interrupted", detail="stopped"), stop=ctx.stop)
    ctx.store.sync_requests.add("a", ["tracking"], reason="webhook", now=datetime.now(UTC))
    scheduler = EmbeddedScheduler(ctx)
    assert scheduler.take_requests() == 1
    _wait_for(scheduler, 1)
    scheduler.shutdown(wait=True)
    assert stored_requests(ctx) == [("a", "tracking", False)]  # pending: the next process runs it


def test_a_requested_job_that_failed_keeps_its_request_for_the_pairs_next_job(ctx, monkeypatch):
    """A job whose aspect failed (or whose time budget ran out) did not answer the request; the
    pair's next job does, and the request is not retried every poll meanwhile."""
    over_budget = JobResult("a", "tracking", "error", detail="shop a used up its time budget")
    calls = _ending(monkeypatch, over_budget, JobResult("a", "tracking", "ok", answered=True))
    ctx.store.sync_requests.add("a", ["tracking"], reason="webhook", now=datetime.now(UTC))
    scheduler = EmbeddedScheduler(ctx)
    try:
        assert scheduler.take_requests() == 1
        _wait_for(scheduler, 1)
        assert stored_requests(ctx) == [("a", "tracking", True)]  # not done: still this process's
        assert scheduler.take_requests() == 0  # not taken again: no retry every 10 s
        future = scheduler.submit("a", "tracking")  # the pair's next turn
        assert future is not None and future.result(timeout=10).answered
    finally:
        scheduler.shutdown(wait=True)
    assert calls == ["a tracking", "a tracking"]
    assert stored_requests(ctx) == []


def test_requests_a_failed_job_kept_are_given_back_when_the_process_stops(ctx, monkeypatch):
    _ending(monkeypatch, JobResult("a", "tracking", "skipped", detail="another run (r1) holds the shop"))
    ctx.store.sync_requests.add("a", ["tracking"], reason="webhook", now=datetime.now(UTC))
    scheduler = EmbeddedScheduler(ctx)
    assert scheduler.take_requests() == 1
    _wait_for(scheduler, 1)
    assert stored_requests(ctx) == [("a", "tracking", True)]
    ctx.stop.set()
    scheduler.shutdown(wait=True)
    assert stored_requests(ctx) == [("a", "tracking", False)]


def test_a_job_answers_only_when_its_run_read_the_aspect_to_the_end_or_the_shop_is_paused(ctx, monkeypatch):
    reports = [_report(shop_error="shop a used up its time budget of 600 s"), _report(interrupted=15), _report()]
    monkeypatch.setattr(jobs_module.Syncer, "run", lambda self, **_: reports.pop(0))
    assert [run_job(ctx, "a", "tracking").answered for _ in range(3)] == [False, False, True]
    ctx.store.shop_pauses.pause("a", reason="seller deauthorised", now=datetime.now(UTC))
    assert run_job(ctx, "a", "tracking").answered


def test_taken_timeout_outlasts_the_longest_shop_budget(ctx):
    assert taken_timeout(ctx) == timedelta(hours=1)  # the default budget is 30 min
    object.__setattr__(ctx.settings.shops[1], "time_budget_seconds", 7200.0)
    assert taken_timeout(ctx) == timedelta(hours=4)


def _report(shop_error: str | None = None, aspect_error: str | None = None, **report: object) -> RunReport:
    aspect = AspectReport("tracking", error=aspect_error, record_errors=["shipment S1: bad carrier"])
    shop = ShopReport("a", aspects=[aspect], error=shop_error)
    return RunReport(run_id="r", apply=True, started_at=datetime.now(UTC), shops=[shop], **report)  # type: ignore[arg-type]


def test_ran_to_end_only_when_the_aspect_read_everything():
    assert ran_to_end(_report(), "a", "tracking")  # a bad record or a failed write still ran to the end
    assert not ran_to_end(_report(interrupted=15), "a", "tracking")
    assert not ran_to_end(_report(shop_error="shop a used up its time budget of 600 s"), "a", "tracking")
    assert not ran_to_end(_report(aspect_error="the ERP refused the read"), "a", "tracking")
    assert not ran_to_end(_report(), "a", "pickup")  # not run at all
    assert not ran_to_end(_report(), "b", "tracking")


def test_a_job_whose_aspect_had_nothing_configured_says_not_run_not_in_sync(ctx, tmp_path):
    """A files ERP without a shipments file: the tracking job checked nothing, which is not wrong
    (``ok``) but not "in sync" either, in the job's detail or in the run it stored."""
    (tmp_path / "erp").mkdir(exist_ok=True)
    result = run_job(ctx, "a", "tracking")
    assert (result.status, result.detail) == ("ok", "not run: ERP 'files' keeps no shipments")
    row = ctx.store.runs.get(result.run_id)
    assert row.status == "not_run"
    assert (row.summary["aspects"], row.summary["not_run"]) == ({"a": []}, {"a": ["tracking"]})
