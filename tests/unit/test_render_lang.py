"""The report in the operator's language: ops terms, what was seen and why, grouped steps, unconfirmed."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from rich.console import Console

from erpsync import render
from erpsync.core.models import Action, ActionResult, AspectReport, Drift, RunReport, Severity, ShopReport, Texts

NOW = datetime(2026, 1, 1, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
CHECK = (
    Texts("Open Seller Center → My account → Business information", "打开商家后台 → 我的账号 → 商家资料"),
    Texts("Record what it shows with erpsync pickup confirm", "用 erpsync pickup confirm 记录所见状态"),
)
CALL = (Texts("Call Wanse on 4008206207 (09:00-19:00)", "致电万色 4008206207（09:00-19:00）"),)


def unconfirmed(warehouse: str, *, erp: str = "PICK UP") -> Drift:
    return Drift(
        "shop", "pickup", "pickup_unconfirmed", warehouse, "subscription_status", "unknown", erp,
        Severity.CRITICAL, f"warehouse {warehouse}: pickup status unconfirmed", identity=erp,
        summary=Texts(f"warehouse {warehouse}: nothing settles its pickup status",
                      f"仓库 {warehouse}：没有证据能确认揽收状态"),
        why=(Texts("no package in the last 14 days", "近 14 天没有包裹"),),
        steps=CHECK,
    )  # fmt: skip


def stuck(warehouse: str) -> Drift:
    return Drift(
        "shop", "pickup", "review_stuck", warehouse, "subscription_status", "pending_review", "PICK UP",
        Severity.CRITICAL, f"warehouse {warehouse}: review pending over 24 h",
        summary=Texts(f"warehouse {warehouse}: review pending over 24 h", f"仓库 {warehouse}：审核中已超过 24 小时"),
        why=(Texts("saved at 2025-12-30 10:00 Beijing time", "保存于 2025-12-30 10:00 北京时间"),),
        steps=CALL,
    )  # fmt: skip


def mismatch() -> Drift:
    return Drift(
        "shop", "pickup", "mode_mismatch", "WH-M", "handover_mode", "DROP OFF", "PICK UP", Severity.CRITICAL,
        "warehouse WH-M: ERP PICK UP, Seller Center DROP OFF", identity="DROP_OFF|PICKUP",
        summary=Texts("warehouse WH-M: ERP PICK UP, Seller Center DROP OFF",
                      "仓库 WH-M：ERP 为上门揽收，商家后台为自寄"),
    )  # fmt: skip


def street() -> Drift:
    return Drift(
        "shop", "warehouse_address", "field_mismatch", "WH-A", "street", "长安镇 1号", "长安镇 2号",
        Severity.WARNING, "warehouse WH-A: street differs: Seller Center '长安镇 1号', ERP '长安镇 2号'",
    )  # fmt: skip


def report(*drifts: Drift, apply: bool = False) -> RunReport:
    pickup = [d for d in drifts if d.aspect == "pickup"]
    fix = [m for m in pickup if m.kind == "mode_mismatch"]
    actions = [
        ActionResult(Action("shop", "pickup", "set_handover_mode", "erp", "E-M", "handover_mode", "DROP_OFF", "set",
                            tuple(d.fingerprint for d in fix)), "applied" if apply else "planned")
    ] if fix else []  # fmt: skip
    aspects = [AspectReport("pickup", drifts=pickup, actions=actions)]
    if any(d.aspect == "warehouse_address" for d in drifts):
        aspects.insert(0, AspectReport("warehouse_address", drifts=[d for d in drifts if d.aspect != "pickup"]))
    return RunReport("r", apply=apply, started_at=NOW, shops=[ShopReport("shop", aspects)])


def table(rep: RunReport, lang: str, width: int = render.UNWRAPPED_WIDTH) -> str:
    out = io.StringIO()
    render.render_table(rep, Console(file=out, width=width, soft_wrap=width == render.UNWRAPPED_WIDTH), lang)
    return out.getvalue()


def test_the_chinese_table_speaks_the_ops_terms():
    text = table(report(unconfirmed("WH-U"), stuck("WH-S"), mismatch()), "zh")
    for header in ("仓库", "问题", "商家后台", "ERP", "严重程度", "处理"):
        assert header in text
    assert "PICK UP（上门揽收）" in text and "DROP OFF（自寄）" in text
    assert "审核中" in text and "未确认" in text  # subscription statuses, not their enum values
    assert "pending_review" not in text and "unknown" not in text
    assert "揽收状态未确认" in text and "交接方式不一致" in text and "严重" in text
    assert "修正 ERP" in text and "仅提醒" in text
    assert "critical" not in text and "problem" not in text


def test_the_english_table_names_problems_not_fields():
    text = table(report(unconfirmed("WH-U"), mismatch()), "en")
    for header in ("warehouse", "problem", "Seller Center", "ERP", "severity", "action"):
        assert header in text
    assert "pickup status unconfirmed" in text and "handover mode differs" in text
    assert "subscription_status" not in text and "handover_mode" not in text
    assert "fix ERP" in text and "alert only" in text and "上门揽收" not in text


def test_each_drift_says_what_was_seen_and_why():
    for lang, seen, why in (
        ("en", "warehouse WH-U: nothing settles its pickup status", "· no package in the last 14 days"),
        ("zh", "仓库 WH-U：没有证据能确认揽收状态", "· 近 14 天没有包裹"),
    ):
        lines = table(report(unconfirmed("WH-U")), lang).splitlines()
        assert f"  - {seen}" in lines
        assert f"    {why}" in lines


def test_an_address_drift_names_its_field_as_seller_center_does_and_keeps_its_english_message():
    text = table(report(street()), "zh")
    assert "│ 详细地址" in text  # the field, as the 仓库地址 form names it
    assert "warehouse WH-A: street differs" in text
    assert "│ street address" in table(report(street()), "en")


def test_steps_are_printed_once_per_distinct_list_numbered():
    many = [unconfirmed(f"WH-{i}") for i in range(1, 11)]
    text = table(report(*many, stuck("WH-S")), "en")
    assert text.count("Open Seller Center → My account") == 1
    lines = text.splitlines()
    group = next(line for line in lines if line.startswith("  For WH-1, WH-2,"))
    assert "WH-10 (pickup status unconfirmed):" in group
    assert "    1. Open Seller Center → My account → Business information" in lines
    assert "    2. Record what it shows with erpsync pickup confirm" in lines
    assert "  For WH-S (pickup review overdue):" in lines
    assert "    1. Call Wanse on 4008206207 (09:00-19:00)" in lines
    zh = table(report(*many, stuck("WH-S")), "zh").splitlines()
    assert "  WH-S（揽收审核超时）：" in zh
    assert "    1. 致电万色 4008206207（09:00-19:00）" in zh


def test_the_summary_counts_unconfirmed_warehouses_and_is_never_in_sync():
    rep = report(unconfirmed("WH-1"), unconfirmed("WH-2"), unconfirmed("WH-2", erp="DROP OFF"))
    assert rep.exit_code == 2
    en = render.summary(rep, "en")
    assert "2 warehouse(s) unconfirmed: erpsync could not tell their pickup status; see the steps above." in en
    assert "In sync" not in en
    zh = render.summary(rep, "zh")
    assert "2 个仓库揽收状态未确认" in zh and "上方的处理步骤" in zh and "一致" not in zh


def test_unconfirmed_after_apply_stays_open_and_the_apply_hint_comes_last():
    rep = report(unconfirmed("WH-U"), mismatch(), apply=True)
    assert rep.exit_code == 2  # the mismatch was fixed; the unconfirmed warehouse was not
    text = render.summary(rep, "en")
    assert "2 drift(s) found on 1 shop(s); 1 fixed, 1 still open." in text and "1 warehouse(s) unconfirmed" in text
    plan = render.summary(report(unconfirmed("WH-U"), mismatch()), "en")
    assert plan.endswith("Run again with --apply to make them.")


def test_times_are_beijing_time():
    assert table(report(mismatch()), "en").splitlines()[-1].startswith("[2026-01-01 09:30 Beijing time] ")
    assert table(report(), "zh").splitlines()[-1] == "[2026-01-01 09:30 北京时间] 一致：1 个店铺，没有差异。"


def test_readable_at_80_columns_and_unwrapped_when_piped():
    long_why = Texts("the provider's driver " + "came and went " * 20 + "end", "司机" + "来过又走了" * 30 + "完")
    drift = Drift(**{**stuck("WH-S").__dict__, "why": (long_why,)})
    narrow = table(report(drift, unconfirmed("WH-U")), "zh", width=80)
    assert all(len(line) <= 80 for line in narrow.splitlines())
    piped = table(report(drift, unconfirmed("WH-U")), "en").splitlines()
    assert f"    · {long_why.en}" in piped


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_json_carries_both_languages_whatever_the_report_language(lang):
    data = json.loads(render.dumps(report(unconfirmed("WH-U"), street()), lang))
    assert data["lang"] == lang and data["unconfirmed"] == 1 and data["in_sync"] is False
    assert data["exit_code"] == 2
    drifts = {d["kind"]: d for s in data["shops"] for a in s["aspects"] for d in a["drifts"]}
    pickup = drifts["pickup_unconfirmed"]
    assert pickup["summary"] == {
        "en": "warehouse WH-U: nothing settles its pickup status",
        "zh": "仓库 WH-U：没有证据能确认揽收状态",
    }
    assert pickup["why"] == [{"en": "no package in the last 14 days", "zh": "近 14 天没有包裹"}]
    assert pickup["steps"] == [t.as_dict() for t in CHECK]
    assert pickup["identity"] == "PICK UP" and pickup["message"] == "warehouse WH-U: pickup status unconfirmed"
    address = drifts["field_mismatch"]
    assert address["summary"]["zh"] == address["message"] and address["why"] == [] and address["identity"] is None
    for key in ("fingerprint", "warehouse", "field", "seller_value", "erp_value", "severity", "action"):
        assert key in pickup


def test_json_in_sync_only_with_nothing_unconfirmed():
    data = render.report_json(report())
    assert data["in_sync"] is True and data["unconfirmed"] == 0 and data["lang"] == "en"


@pytest.mark.parametrize("kind", ["missing_in_erp", "unknown_warehouse", "duplicate_binding"])
def test_the_address_aspect_s_other_kinds_have_words_in_both_languages(kind):
    """``--lang zh`` showed the raw code (missing_in_erp) where a field row shows the field's name."""
    from erpsync.render_text import kind_label

    zh, en = kind_label(kind, "zh"), kind_label(kind, "en")
    assert zh != kind and en != kind and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_every_built_in_aspect_has_a_chinese_name():
    """The aspects the default plugins register, each named in Chinese where a report names it."""
    from erpsync.core.aspects.base import Aspect
    from erpsync.plugins import defaults
    from erpsync.render_text import ASPECTS

    built_in: list[Aspect] = []
    defaults.register_aspects(built_in.append)
    assert built_in
    for aspect in built_in:
        assert aspect.name in ASPECTS, aspect.name
        zh = ASPECTS[aspect.name].zh
        assert zh != aspect.name and all("\u4e00" <= c <= "\u9fff" for c in zh), (aspect.name, zh)
