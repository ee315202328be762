"""Built-in alert sinks format one event each; the host decides when to send."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from erpsync.core.models import Severity, Texts
from erpsync.core.store import DriftRow
from erpsync.plugins.alerts.base import AlertEvent
from erpsync.plugins.alerts.jsonl import JsonlOptions, JsonlSink
from erpsync.plugins.alerts.log import LogOptions, LogSink

SUMMARY = Texts(
    "warehouse WH-SZ: review pending over 24 h (token tok-SECRET-123)",
    "仓库 WH-SZ：审核中已超过 24 小时（tok-SECRET-123）",
)
STEPS = (
    Texts("Check the phone in Seller Center", "在商家后台核对电话"),
    Texts("Call Wanse on 4008206207", "致电万色 4008206207"),
)


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


def stored(summary: Texts | None = SUMMARY, steps: tuple[Texts, ...] = STEPS) -> DriftRow:
    """A drift as the state store gives it back, with its texts."""
    at = datetime(2026, 11, 26, tzinfo=UTC)
    return DriftRow(
        1, "fp2", "shop", "pickup", "review_stuck", "WH-SZ", "subscription_status", "pending_review", "PICK UP",
        Severity.CRITICAL, "warehouse WH-SZ: review pending over 24 h (token tok-SECRET-123)", at, at, None,
        "run1", None, identity=None, summary=summary,
        why=(Texts("saved at 2026-11-25 08:00 Beijing time", "保存于 2026-11-25 08:00 北京时间"),), steps=steps,
    )  # fmt: skip


def test_an_event_speaks_the_configured_language_and_carries_both(tmp_path):
    redact = lambda text: text.replace("tok-SECRET-123", "***")  # noqa: E731
    at = datetime(2026, 11, 26, tzinfo=UTC)
    zh = AlertEvent.from_drift("opened", stored(), at=at, run_id="run2", redact=redact, lang="zh")
    assert zh.lang == "zh" and zh.message == "仓库 WH-SZ：审核中已超过 24 小时（***）"
    assert zh.headline == "[严重] 出现差异：shop/pickup WH-SZ：仓库 WH-SZ：审核中已超过 24 小时（***）"
    assert zh.summary == {
        "en": "warehouse WH-SZ: review pending over 24 h (token ***)",
        "zh": "仓库 WH-SZ：审核中已超过 24 小时（***）",
    }
    assert zh.steps == tuple(s.as_dict() for s in STEPS) and zh.why[0]["zh"] == "保存于 2026-11-25 08:00 北京时间"
    en = AlertEvent.from_drift("opened", stored(), at=at, run_id="run2", redact=redact)
    assert en.lang == "en" and en.message == "warehouse WH-SZ: review pending over 24 h (token ***)"
    assert "tok-SECRET-123" not in json.dumps(en.as_dict(), ensure_ascii=False)


def test_a_drift_without_texts_says_its_english_message_in_every_language():
    at = datetime(2026, 11, 26, tzinfo=UTC)
    event = AlertEvent.from_drift("opened", stored(summary=None, steps=()), at=at, run_id="r", redact=str, lang="zh")
    assert event.message == "warehouse WH-SZ: review pending over 24 h (token tok-SECRET-123)"
    assert event.summary is None and event.steps == ()


def test_the_log_line_of_an_opened_drift_ends_with_its_steps(caplog, tmp_path):
    at = datetime(2026, 11, 26, tzinfo=UTC)
    sink = LogSink(LogOptions().load({}), base_dir=tmp_path)
    with caplog.at_level(logging.INFO, logger="erpsync.alerts"):
        for lang in ("en", "zh"):
            sink.send(AlertEvent.from_drift("opened", stored(), at=at, run_id="r", redact=str, lang=lang))
        sink.send(AlertEvent.from_drift("resolved", stored(), at=at, run_id="r", redact=str, lang="en"))
    en, zh, resolved = (r.getMessage() for r in caplog.records)
    assert en.endswith(" | what to do: 1. Check the phone in Seller Center 2. Call Wanse on 4008206207")
    assert zh.endswith(" | 处理步骤：1. 在商家后台核对电话 2. 致电万色 4008206207")
    assert "\n" not in en + zh and "what to do" not in resolved


def test_the_jsonl_line_carries_steps_in_both_languages(tmp_path):
    at = datetime(2026, 11, 26, tzinfo=UTC)
    sink = JsonlSink(JsonlOptions().load({"path": "alerts.jsonl"}), base_dir=tmp_path)
    sink.send(AlertEvent.from_drift("opened", stored(), at=at, run_id="r", redact=str, lang="zh"))
    line = json.loads((tmp_path / "alerts.jsonl").read_text(encoding="utf-8"))
    assert line["lang"] == "zh" and line["message"].startswith("仓库 WH-SZ")
    assert line["steps"] == [s.as_dict() for s in STEPS] and line["summary"]["en"].startswith("warehouse WH-SZ")
    assert line["why"] == [{"en": "saved at 2026-11-25 08:00 Beijing time", "zh": "保存于 2026-11-25 08:00 北京时间"}]
