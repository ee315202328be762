"""An escalated alert (an open drift whose severity rose) in every channel's words, en and zh."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import responses
from alert_samples import FIRST_SEEN, event

from erpsync.plugins.alerts import message
from erpsync.plugins.alerts.base import AlertEvent
from erpsync.plugins.alerts.log import log_line
from erpsync.plugins.alerts.slack import mrkdwn
from erpsync.plugins.alerts.webhook import WebhookSink


def escalated(lang: str) -> AlertEvent:
    return event(lang, "escalated", first_seen=FIRST_SEEN)


@pytest.mark.parametrize(("lang", "words"), [("en", "Escalated"), ("zh", "问题升级")])
def test_the_title_text_and_markdown_say_it_escalated(lang: str, words: str) -> None:
    head = "[Critical] Escalated · " if lang == "en" else "【严重】问题升级 · "
    assert message.title(escalated(lang)).startswith(head)
    text = message.text(escalated(lang))
    assert text.startswith(head) and words in message.markdown(escalated(lang))
    # still open: when it was first seen, and what to do
    first = "First seen: 2026-11-25 09:00 Beijing time" if lang == "en" else "首次发现：2026-11-25 09:00 北京时间"
    assert first in text.splitlines()
    assert ("1. Open Seller Center" if lang == "en" else "1. 打开商家后台") in text
    assert words in mrkdwn(escalated(lang))
    if lang == "en":
        assert not re.search(r"[\u4e00-\u9fff]", text)


def test_the_log_line_says_it_and_keeps_the_steps() -> None:
    assert log_line(escalated("en")).startswith("[critical] drift escalated: shop-a/warehouse_address WH-SZ: ")
    assert "| what to do: 1. Open Seller Center" in log_line(escalated("en"))
    assert log_line(escalated("zh")).startswith("[严重] 问题升级：shop-a/warehouse_address WH-SZ：")


def test_a_digest_counts_escalations() -> None:
    events = [event("zh"), escalated("zh"), event("zh", "reminder")]
    assert message.digest_title(events) == "erpsync：3 条告警（新问题 1，升级 1，提醒 1）"
    assert message.digest_title([escalated("en")]) == "erpsync: 1 alert (1 escalated)"
    assert "问题升级 · 仓库 WH-SZ" in message.digest_text(events)


@responses.activate
def test_the_signed_webhook_sends_it_as_its_own_type() -> None:
    responses.post("https://hooks.example.com/erpsync", status=204)
    sink = WebhookSink({"url": "https://hooks.example.com/erpsync", "secret": "whsec_" + "QUJD" * 8}, base_dir=Path())
    sink.send(escalated("en"))
    body = json.loads(responses.calls[0].request.body)
    assert body["type"] == "erpsync.drift.escalated" and body["data"]["event"] == "escalated"
