"""A sync request this process takes again after ``taken_timeout`` is the same request, held once.

A request kept by a failing pair stays taken by this process; once ``taken_timeout`` passes, the
next poll takes it again. Appended again each time, the scheduler's lists of request ids grew by
one per timeout for as long as the pair kept failing, and a request taken again while its job ran
earned that job a needless second run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_service_scheduler import _held_runs, _wait_for, ctx, stored_requests  # noqa: F401  (ctx: fixture)

from erpsync.service import scheduler as scheduler_module
from erpsync.service.jobs import JobResult
from erpsync.service.scheduler import EmbeddedScheduler


def test_a_kept_request_taken_again_after_the_timeout_is_held_once(ctx, monkeypatch):  # noqa: F811
    calls: list[str] = []

    def failing(c, shop: str, aspect: str, **_: object) -> JobResult:
        calls.append(f"{shop} {aspect}")
        return JobResult(shop, aspect, "error", detail="erp down")

    monkeypatch.setattr(scheduler_module, "run_job", failing)
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    ctx.store.sync_requests.add("a", ["tracking"], reason="webhook", now=now[0])
    scheduler = EmbeddedScheduler(ctx, clock=lambda: now[0])
    try:
        for turn in range(1, 6):
            assert scheduler.take_requests() == 1  # the first take, then the same request past the timeout
            _wait_for(scheduler, turn)
            now[0] += scheduler.taken_timeout + timedelta(seconds=1)
        held = scheduler._unanswered[("a", "tracking")]
        assert len(held) == 1, f"one request held {len(held)} times: {list(held)}"
    finally:
        scheduler.shutdown(wait=True)
    assert len(calls) == 5
    assert stored_requests(ctx) == [("a", "tracking", False)]  # given back once at the stop, still pending


def test_a_request_taken_again_while_its_job_runs_earns_no_second_run(ctx, monkeypatch):  # noqa: F811
    calls, started, gate = _held_runs(monkeypatch)
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    ctx.store.sync_requests.add("a", ["tracking"], reason="webhook", now=now[0])
    scheduler = EmbeddedScheduler(ctx, clock=lambda: now[0])
    try:
        assert scheduler.take_requests() == 1
        assert started.wait(10)
        now[0] += scheduler.taken_timeout + timedelta(seconds=1)  # the job runs past the timeout
        assert scheduler.take_requests() == 1  # the same request, taken again
        gate.set()
        _wait_for(scheduler, 1)
        state = scheduler.state()
        assert (state["queued"], state["running"]) == (0, 0), state
    finally:
        gate.set()
        scheduler.shutdown(wait=True)
    assert calls == ["a tracking"]
    assert stored_requests(ctx) == []  # answered by the one run
