"""The pure parts of ``erpsync alerts`` / ``erpsync drifts``: durations and times typed on the
command line, drift problems in words, the test message. The commands themselves run in
``tests/integration/test_cli_alerts.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import pytest

from erpsync.cli_alerts import TEST_MESSAGE, make_test_event
from erpsync.cli_common import Duration, parse_duration
from erpsync.cli_drifts import MAX_ACK, Until, problem_label
from erpsync.plugins.alerts import message
from erpsync.plugins.alerts.base import AlertEvent


@pytest.mark.parametrize(
    ("text", "length"),
    [("12h", timedelta(hours=12)), ("3d", timedelta(days=3)), (" 2 D ", timedelta(days=2)), ("0h", timedelta(0))],
)
def test_durations_are_whole_hours_or_days(text, length):
    assert parse_duration(text) == length


@pytest.mark.parametrize("text", ["2w", "1.5h", "h", "12", "-1d", "12h3d", ""])
def test_anything_else_is_not_a_duration(text):
    assert parse_duration(text) is None


def test_a_duration_option_names_its_bounds():
    kept = Duration(longest=timedelta(days=30), what="keep a confirmation")
    assert kept.convert("30d", None, None) == timedelta(days=30)
    with pytest.raises(click.BadParameter, match="'31d': keep a confirmation between 1h and 30d"):
        kept.convert("31d", None, None)
    with pytest.raises(click.BadParameter, match="not a duration: use hours or days"):
        kept.convert("soon", None, None)
    hours = Duration(longest=timedelta(hours=36), what="wait", shortest=timedelta(hours=2))
    with pytest.raises(click.BadParameter, match="wait between 2h and 36h"):
        hours.convert("1h", None, None)


def test_until_takes_a_duration_up_to_the_longest_silence():
    until = Until()
    assert until.convert("12h", None, None) == timedelta(hours=12)
    assert until.convert(f"{MAX_ACK.days}d", None, None) == MAX_ACK
    for bad in ("0h", f"{MAX_ACK.days + 1}d"):
        with pytest.raises(click.BadParameter, match="leave --until out: until it resolves"):
            until.convert(bad, None, None)


def test_until_reads_a_time_without_an_offset_as_beijing_time():
    until = Until()
    assert until.convert("2026-12-01 18:00", None, None) == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert until.convert("2026-12-01T18:00+00:00", None, None) == datetime(2026, 12, 1, 18, tzinfo=UTC)
    with pytest.raises(click.BadParameter, match="neither a duration"):
        until.convert("next tuesday", None, None)


@pytest.mark.parametrize(
    ("kind", "field", "lang", "words"),
    [
        ("mode_mismatch", "handover_mode", "en", "handover mode differs"),
        ("review_stuck", None, "zh", "揽收审核超时"),
        ("field_mismatch", "street", "en", "street address"),
        ("field_mismatch", "phone", "zh", "电话"),
        ("field_mismatch", "gate_code", "en", "gate_code"),  # a field no table knows: as it is
        ("plugin_kind", None, "zh", "plugin_kind"),
    ],
)
def test_a_drift_problem_reads_as_the_report_names_it(kind, field, lang, words):
    assert problem_label(kind, field, lang) == words


def test_the_test_message_is_marked_as_a_test_in_both_languages_with_a_fresh_id():
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    zh, en = make_test_event("shop-a", "zh", now), make_test_event("shop-a", "en", now)
    assert (zh.kind, zh.severity, zh.shop, zh.lang) == ("test", "info", "shop-a", "zh")
    assert zh.message == TEST_MESSAGE.zh and en.message == TEST_MESSAGE.en
    for text in (TEST_MESSAGE.en, TEST_MESSAGE.zh):
        assert "erpsync test message" in text and "erpsync 测试消息" in text
    assert zh.summary == {"en": TEST_MESSAGE.en, "zh": TEST_MESSAGE.zh}
    assert zh.id.startswith("test_") and zh.id != en.id
    assert AlertEvent.from_dict(zh.as_dict()) == zh  # survives the shape sinks and the outbox use
    assert "erpsync 测试消息" in message.text(zh) and "2026-11-30 20:00 北京时间" in message.text(zh)
