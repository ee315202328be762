"""Under ``erpsync run``, an aspect taken out of a shop's ``aspects`` list gets no job of its own:
each job of the shop still says how many open drifts it keeps unchecked, and why, as
``erpsync reconcile`` does, in its run (for the status page) and in the job's log line.

The files ERP has no shipments file, so the tracking job reads nothing and needs no seller server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from files_shop_config import write_config

from erpsync.core.models import Drift, Severity
from erpsync.core.store.overview import Overview
from erpsync.service.jobs import JobContext, run_job
from erpsync.ui import views

EARLIER = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[JobContext]:
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8").replace('name = "acme"\n', 'name = "acme"\naspects = ["tracking"]\n')
    config.write_text(text, encoding="utf-8")
    context = JobContext.open(config)
    yield context
    context.close()


def drift(aspect: str, subject: str) -> Drift:
    return Drift("acme", aspect, "differs", subject, "x", "a", "b", Severity.WARNING, f"{subject} differs")


def test_each_job_of_the_shop_names_a_disabled_aspects_open_drifts(ctx: JobContext) -> None:
    ctx.store.drifts.record(
        "acme", "listings", [drift("listings", "P1"), drift("listings", "P2")], now=EARLIER, run_id="r0"
    )
    result = run_job(ctx, "acme", "tracking")
    assert result.status == "ok"
    assert result.detail == (
        "not run: ERP 'files' keeps no shipments; listings: 2 open drift(s) kept unchecked: not enabled for this shop"
    )
    run = ctx.store.runs.get(result.run_id or "")
    assert run is not None and run.summary["kept_unchecked"] == {"acme": {"listings": [2, "not enabled for this shop"]}}
    assert run.summary["aspects"] == {"acme": []}  # listings read nothing
    lines = views.kept_unchecked(Overview(ctx.store.engine).runs_of("acme"), "acme")
    assert [(line.aspect, line.count, line.why) for line in lines] == [("listings", 2, "not enabled for this shop")]
    assert len(ctx.store.drifts.list_open("acme")) == 2  # nothing checked, nothing resolved


def test_a_shop_whose_disabled_aspects_have_nothing_open_runs_its_aspect_alone(ctx: JobContext) -> None:
    result = run_job(ctx, "acme", "tracking")
    run = ctx.store.runs.get(result.run_id or "")
    assert result.detail == "not run: ERP 'files' keeps no shipments"
    assert run is not None and run.summary["not_run"] == {"acme": ["tracking"]}
