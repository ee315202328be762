"""The Celery outbox task: it logs what the delivery pass did, as the embedded scheduler does, and
gives back counts only. A worker logs each task's result, and the report holds whole outbox rows."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alert_samples import event as sample_event

from erpsync.core.store import OutboxItem
from erpsync.service.celery_app import DRAIN_OUTBOX
from erpsync.service.jobs import JobContext
from erpsync.service.tasks import build_app, use_context

CONFIG = """
[service.celery]
broker_url = "redis://localhost:6379/0"

[[shops]]
name = "acme"
[shops.seller]
type = "tiktok"
app_key = "app-1"
app_secret = "s3cr3t-value"
access_token = "t0ken-value"
shop_id = "1"
[shops.erp]
type = "files"
path = "erp"

[[alerts]]
type = "slack"
url = "https://hooks.slack.com/services/T000/B000/0123456789abcdef"
"""


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[JobContext]:
    (tmp_path / "erp").mkdir()
    config = tmp_path / "erpsync.toml"
    config.write_text(CONFIG, encoding="utf-8")
    context = JobContext.open(config)
    use_context(context)
    yield context
    context.close()


def test_the_outbox_task_logs_the_pass_and_returns_its_counts(ctx: JobContext, caplog) -> None:
    old = datetime.now(UTC) - timedelta(hours=ctx.settings.alerting.max_age_hours + 1)
    alert = replace(sample_event(subject="W0"), id="slack-W0")
    ctx.store.outbox.add([OutboxItem(id=alert.id, sink="slack", event=alert.as_dict(), drift_id=1)], now=old)
    task = build_app(ctx.settings).tasks[DRAIN_OUTBOX]
    with caplog.at_level(logging.INFO, logger="erpsync.service"):
        result = task.run()
    assert result == {
        "delivered": 0, "digests": 0, "retrying": 0, "failed": 0, "expired": 1, "waiting": 0, "untried": 0,
        "sinks_timed_out": 0,
    }  # fmt: skip
    json.dumps(result)  # a Celery result: plain JSON, no outbox row and no alert text
    assert "1 alert(s) expired undelivered (sink slack)" in caplog.text
