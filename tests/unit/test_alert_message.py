"""The words every chat sink sends: facts in zh and en, digests under a limit, byte-exact truncation."""

from __future__ import annotations

import re

import pytest
from alert_samples import FIRST_SEEN, burst, event

from erpsync.plugins.alerts import message


def test_zh_text_names_every_fact_in_chinese():
    text = message.text(event("zh"))
    assert text.splitlines()[0] == "【严重】新问题 · 店铺 shop-a · 仓库 WH-SZ · 联系电话"
    for line in (
        "仓库 WH-SZ：联系电话不一致：商家后台 0755-1234，ERP 0755-9999",
        "店铺：shop-a",
        "仓库：WH-SZ",
        "字段：联系电话",
        "商家后台：0755-1234",
        "ERP：0755-9999",
        "严重程度：严重",
        "首次发现：2026-11-26 10:30 北京时间",
        "处理步骤：",
        "1. 打开商家后台 > 仓库管理，改正联系电话",
        "2. 致电万色 4008206207",
    ):
        assert line in text.splitlines(), line


def test_en_text_names_every_fact_in_english():
    lines = message.text(event("en")).splitlines()
    assert lines[0] == "[Critical] New drift · shop-a · warehouse WH-SZ · phone"
    assert "Seller Center: 0755-1234" in lines
    assert "ERP: 0755-9999" in lines
    assert "Severity: Critical" in lines
    assert "First seen: 2026-11-26 10:30 Beijing time" in lines
    assert lines[-2:] == ["1. Open Seller Center > Warehouses and correct the phone", "2. Call Wanse on 4008206207"]
    assert not re.search(r"[\u4e00-\u9fff]", "\n".join(lines)), "English text has Chinese in it"


@pytest.mark.parametrize(
    ("what", "zh", "en"),
    [("opened", "新问题", "New drift"), ("resolved", "已解决", "Resolved"), ("reminder", "提醒", "Reminder")],
)
def test_the_title_says_what_happened(what, zh, en):
    assert zh in message.title(event("zh", what))
    assert en in message.title(event("en", what))


def test_severity_words_in_chinese():
    assert [message.severity_words(event("zh", severity=s)) for s in ("critical", "warning", "info")] == [
        "严重",
        "警告",
        "提示",
    ]


def test_a_resolved_alert_has_no_steps_and_says_when_it_opened_and_resolved():
    text = message.text(event("zh", "resolved", first_seen=FIRST_SEEN))
    assert "处理步骤" not in text
    assert "首次发现：2026-11-25 09:00 北京时间" in text
    assert "解决时间：2026-11-26 10:30 北京时间" in text


def test_first_seen_is_when_the_drift_opened_not_when_the_reminder_went():
    text = message.text(event("en", "reminder", first_seen=FIRST_SEEN))
    assert "First seen: 2026-11-25 09:00 Beijing time" in text
    assert "1. Open Seller Center" in text


def test_the_fix_applied_or_proposed_is_shown_in_the_events_language():
    fix = {"en": "write 0755-1234 into the ERP", "zh": "将 0755-1234 写入 ERP"}
    assert "已执行或建议的修正：将 0755-1234 写入 ERP" in message.text(event("zh", fix=fix))
    assert "Fix applied or proposed: write 0755-1234 into the ERP" in message.text(event("en", fix=fix))


def test_an_order_subject_and_an_empty_side():
    e = event("zh", aspect="orders", kind="order_address", subject="5770001", field=None, erp_value=None)
    assert message.subject_words(e) == "订单 5770001"
    assert "ERP：（空）" in message.text(e)
    assert "字段" not in message.text(e)


def test_markdown_is_headed_and_bold_labelled():
    md = message.markdown(event("zh"))
    assert md.startswith("### 【严重】新问题")
    assert "- **商家后台**：0755-1234" in md
    assert "**处理步骤**\n\n1. 打开商家后台" in md


def test_truncate_bytes_cuts_on_a_character_boundary_and_says_so():
    text = "仓库" * 100  # 600 bytes
    cut = message.truncate_bytes(text, 100, lang="zh")
    assert len(cut.encode("utf-8")) <= 100
    assert cut.endswith("…（已截断）")
    cut.encode("utf-8").decode("utf-8")  # whole characters only
    assert text.startswith(cut.removesuffix("…（已截断）"))
    assert message.truncate_bytes("short", 100) == "short"
    assert message.truncate_bytes("x" * 50, 20) == "x" * (20 - len("…(truncated)".encode())) + "…(truncated)"


def test_digest_counts_and_lists_every_alert_by_shop():
    events = burst(6)
    text = message.digest_text(events)
    lines = text.splitlines()
    assert lines[0] == "erpsync: 6 alerts (2 new, 2 resolved, 2 reminders)"
    assert lines[1] == "shop-0 (2)"
    assert sum(line.startswith("- ") for line in lines) == 6
    for i in range(6):
        assert f"warehouse WH-{i}:" in text
    # grouped: every shop's lines follow its heading
    assert lines.index("shop-1 (2)") < lines.index("- [Warning] Resolved · warehouse WH-1: " + events[1].message)


def test_digest_in_chinese():
    text = message.digest_markdown(burst(3, "zh"))
    assert text.startswith("### erpsync：3 条告警（新问题 1，已解决 1，提醒 1）")
    assert "**店铺 shop-0（1）**" in text


def test_digest_under_a_limit_stops_on_a_line_and_says_how_many_are_left_out():
    events = burst(100, "zh")
    text = message.digest_text(events, limit=2048)
    assert len(text.encode("utf-8")) <= 2048
    listed = sum(line.startswith("- ") for line in text.splitlines())
    assert 0 < listed < 100
    assert text.splitlines()[-1] == f"…另有 {100 - listed} 条未列出（erpsync drifts 查看全部）"
    assert text.splitlines()[0].startswith("erpsync：100 条告警")
