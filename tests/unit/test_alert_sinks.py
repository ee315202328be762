"""Built-in alert sinks format one event each; the host decides when to send."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from erpsync.plugins.alerts.base import AlertEvent
from erpsync.plugins.alerts.jsonl import JsonlOptions, JsonlSink
from erpsync.plugins.alerts.log import LogOptions, LogSink


def event(kind="opened") -> AlertEvent:
    return AlertEvent(
        kind, "shop", "pickup", "mode_mismatch", "WH-DG", "handover_mode", "DROP OFF", "PICK UP",
        "critical", "ERP says PICK UP, Seller Center DROP OFF", "fp1", datetime(2026, 11, 26, tzinfo=UTC), "run1",
    )  # fmt: skip


def test_log_sink_levels(caplog, tmp_path):
    sink = LogSink(LogOptions().load({}), base_dir=tmp_path)
    with caplog.at_level(logging.INFO, logger="erpsync.alerts"):
        sink.send(event("opened"))
        sink.send(event("resolved"))
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "[critical] drift opened: shop/pickup WH-DG: ERP says PICK UP, Seller Center DROP OFF"),
        ("INFO", "[critical] drift resolved: shop/pickup WH-DG: ERP says PICK UP, Seller Center DROP OFF"),
    ]


def test_jsonl_sink_appends_one_line_per_event(tmp_path):
    sink = JsonlSink(JsonlOptions().load({"path": "out/alerts.jsonl"}), base_dir=tmp_path)
    sink.send(event("opened"))
    sink.send(event("resolved"))
    lines = (tmp_path / "out" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert len(lines) == 2 and first["event"] == "opened" and first["at"] == "2026-11-26T00:00:00+00:00"
    assert first["seller_value"] == "DROP OFF" and json.loads(lines[1])["event"] == "resolved"
