"""Guided fixes: every pickup drift gets the notice's steps in both languages, with the number to call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from erpsync.core.aspects.pickup_settings import PickupSettings
from erpsync.core.errors import ConfigError
from erpsync.core.models import HandoverMode, Texts
from erpsync.core.pickup_guides import DEFAULT_GUIDES, TOPICS, Guides, builtin_table, steps_for_drift

PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF
KINDS = (
    "mode_mismatch",
    "pickup_unconfirmed",
    "review_pending",
    "review_stuck",
    "label_mode_mismatch",
    "pickup_out_of_coverage",
    "waybill_provider_mismatch",
)
WANSE_PHONE = "4008206207"
CJK = re.compile("[\u4e00-\u9fff]")
DOCS = Path(__file__).parents[2] / "docs"


def text(steps: tuple[Texts, ...], lang: str) -> str:
    return "\n".join(s.get(lang) for s in steps)


@pytest.mark.parametrize("erp_mode", [PICKUP, DROP_OFF, None], ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_every_drift_kind_has_steps_in_both_languages(kind, erp_mode):
    steps = steps_for_drift(kind, erp_mode=erp_mode, provider="Wanse", region="Shenzhen", shop="s", warehouse="w")
    assert steps, kind
    for step in steps:
        assert step.en.strip() and step.zh.strip()
        assert CJK.search(step.zh), step.zh
        assert "{" not in step.en + step.zh and "}" not in step.en + step.zh, step  # every placeholder filled
    assert len(set(steps)) == len(steps)


@pytest.mark.parametrize("kind", ["review_stuck", "label_mode_mismatch"])
def test_the_providers_number_and_hours_are_filled_in_both_languages(kind):
    steps = steps_for_drift(kind, erp_mode=PICKUP, provider="Wanse", region="Dongguan")
    en, zh = text(steps, "en"), text(steps, "zh")
    assert f"Wanse (万色) on {WANSE_PHONE} (Mon–Sun 09:00–19:00 Beijing time)" in en
    assert "联系万色" in zh and f"联系电话 {WANSE_PHONE}，工作时间 周一~周日 09:00—19:00（北京时间）" in zh


def test_the_provider_is_looked_up_in_any_case():
    assert steps_for_drift("review_stuck", provider="WANSE") == steps_for_drift("review_stuck", provider="Wanse")


def test_each_guides_names_its_providers_after_a_name_was_asked_of_other_guides():
    """``Guides.name`` remembers its answers per guides: a configuration's name is its own."""
    configured = DEFAULT_GUIDES.merged(Guides(names={"wanse": Texts("Wanse Express", "万色速递")}))
    assert DEFAULT_GUIDES.name("WANSE").zh == "万色"
    assert configured.name("WANSE").zh == "万色速递"
    assert DEFAULT_GUIDES.name("WANSE").zh == "万色"
    assert DEFAULT_GUIDES.name("Nobody") == Texts("Nobody", "Nobody")


def test_review_stuck_says_check_the_phone_then_call():
    steps = steps_for_drift("review_stuck", provider="Wanse")
    assert "24" in steps[0].en and "仓库地址" in steps[0].en and "phone" in steps[0].en
    assert "超过24小时" in steps[0].zh and WANSE_PHONE in steps[1].zh
    assert "DROP OFF" in steps[-1].en and "自寄" in steps[-1].zh


def test_a_provider_without_a_number_is_told_to_look_it_up_never_to_call_nobody():
    steps = steps_for_drift("review_stuck", provider="J&T")
    en, zh = text(steps, "en"), text(steps, "zh")
    assert WANSE_PHONE not in en + zh
    assert "no service number for J&T (极兔)" in en and "Seller Center" in en
    assert "未记录极兔的联系电话" in zh and "商家后台" in zh
    assert " on  (" not in en and "联系电话 ，" not in zh
    nobody = steps_for_drift("label_mode_mismatch", erp_mode=PICKUP, provider=None)
    assert "no service number for the pickup provider" in text(nobody, "en")
    assert "揽收服务商" in text(nobody, "zh")


def test_mode_mismatch_steps_follow_the_erps_mode():
    subscribe = steps_for_drift("mode_mismatch", erp_mode=PICKUP, provider="Wanse")
    assert "我的账号 → 商家资料 → 仓库地址 → 发货仓库" in subscribe[0].zh  # where to check first
    assert "To subscribe" in text(subscribe, "en") and "加个逗号或句号" in text(subscribe, "zh")
    assert "set the ERP warehouse's handover mode to DROP OFF" in subscribe[-1].en
    cancel = steps_for_drift("mode_mismatch", erp_mode=DROP_OFF, provider="Wanse")
    assert "To cancel" in text(cancel, "en") and "反馈无需揽收" in text(cancel, "zh")
    assert "店铺将会变成自寄" in text(cancel, "zh") and "ERP后台地址一并更新维护" in text(cancel, "zh")
    assert "handover mode to PICK UP" in cancel[-1].en
    assert "To subscribe" not in text(cancel, "en") and "To cancel" not in text(subscribe, "en")


def test_label_mode_mismatch_checks_status_makes_the_erp_match_and_covers_the_driver():
    steps = steps_for_drift("label_mode_mismatch", erp_mode=PICKUP, provider="Wanse")
    zh = text(steps, "zh")
    assert "发货仓库" in zh and "ERP后台地址一并更新维护" in zh
    assert "生效中" in zh and "下午根据线路串点揽收" in zh and WANSE_PHONE in zh


def test_label_check_is_the_notices_for_wanse_and_dated_for_dongguan():
    dongguan = steps_for_drift("waybill_provider_mismatch", provider="Wanse", region="Dongguan")
    assert "2023-09-19 00:00 Beijing time" in dongguan[0].en and "2023年09月19日0点" in dongguan[0].zh
    shenzhen = steps_for_drift("waybill_provider_mismatch", provider="Wanse", region="Shenzhen")
    assert "2023" not in text(shenzhen, "en")
    for steps in (dongguan, shenzhen):
        assert "WS" in steps[0].en and "东莞洪梅" in steps[0].zh and "PICK UP" in steps[0].en
        assert "极兔" in steps[1].zh and "still collected" in steps[1].en
    other = steps_for_drift("waybill_provider_mismatch", provider="SF", region="Zhuhai")
    assert "WS" not in text(other, "en") and "SF" in other[0].en and "东莞洪梅" not in text(other, "zh")


def test_review_pending_says_what_to_expect():
    steps = steps_for_drift("review_pending", provider="Wanse")
    en, zh = text(steps, "en"), text(steps, "zh")
    assert "same day" in en and "DROP OFF" in en and "24 hours" in en
    assert "当日完成地址信息审核" in zh and "自寄" in zh and "立即生效" in zh


def test_unconfirmed_asks_to_check_then_record_with_the_command():
    steps = steps_for_drift("pickup_unconfirmed", erp_mode=PICKUP, shop="dongguan-uk", warehouse="WH-7")
    command = "`erpsync pickup confirm --shop dongguan-uk --warehouse WH-7 --status active|not_subscribed|pending`"
    assert "发货仓库" in steps[0].zh and command in steps[-1].en and command in steps[-1].zh
    assert "--shop <shop> --warehouse <warehouse>" in steps_for_drift("pickup_unconfirmed")[-1].en


def test_out_of_coverage_says_the_save_is_ignored_and_to_drop_off():
    steps = steps_for_drift("pickup_out_of_coverage", erp_mode=PICKUP)
    assert "silently ignored" in steps[0].en and "系统会自动忽略" in steps[0].zh
    assert "DROP OFF" in steps[1].en and "DROP OFF" in steps[-1].en


def test_an_unknown_kind_has_no_steps():
    assert steps_for_drift("field_mismatch", provider="Wanse") == ()


def test_the_builtin_guides_pass_the_schema_users_configure_with():
    loaded = PickupSettings().load({"guides": builtin_table()})["guides"]
    assert loaded == DEFAULT_GUIDES
    assert set(DEFAULT_GUIDES.steps) == set(TOPICS)
    contact = DEFAULT_GUIDES.contact("Wanse")
    assert contact is not None and contact.phone == WANSE_PHONE
    assert DEFAULT_GUIDES.contact("J&T") is None  # the notice gives J&T no number


def test_the_docs_list_every_topic_and_drift_kind():
    page = (DOCS / "pickup-guides.md").read_text(encoding="utf-8")
    for name in (*TOPICS, *KINDS):
        assert f"`{name}`" in page, name
    assert "东南亚跨境头程揽收服务商切换常见问题Q&A" in page
    assert "4008206207" in (DOCS / "domain.md").read_text(encoding="utf-8")


# --- overrides through the real configuration loader -----------------------------------------

SELLER = (
    '[shops.seller]\ntype = "tiktok"\napp_key = "k"\napp_secret = "s3cr3t-value"\n'
    'access_token = "t0ken-value"\nshop_id = "1"\n'
)
SHOP = f'[[shops]]\nname = "a"\n{SELLER}[shops.erp]\ntype = "files"\npath = "x"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "erpsync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def guides_of(load, tmp_path: Path, table: str) -> Guides:
    guides = load(write(tmp_path, f"{SHOP}{table}")).aspect_settings["pickup"]["guides"]
    assert isinstance(guides, Guides)
    return guides


def error_of(load, tmp_path: Path, table: str) -> list[str]:
    path = write(tmp_path, f"{SHOP}{table}")
    with pytest.raises(ConfigError) as info:
        load(path)
    prefix = f"{path}: "
    return [line.removeprefix(prefix) for line in str(info.value).splitlines()]


def test_without_a_guides_table_the_aspect_uses_the_builtin_ones(load, tmp_path):
    assert "guides" not in load(write(tmp_path, SHOP)).aspect_settings["pickup"]


def test_a_topic_and_a_contact_from_the_config_replace_the_builtin_ones(load, tmp_path):
    guides = guides_of(
        load,
        tmp_path,
        '[aspects.pickup.guides.review_stuck]\nen = ["Ring {provider}: {phone}, {hours}."]\n'
        'zh = ["致电{provider}：{phone}，{hours}。"]\n'
        '[aspects.pickup.guides.contacts."J&T"]\nphone = "95311"\nhours_en = "daily 8-20"\nhours_zh = "每天 8-20 点"\n',
    )
    (step,) = steps_for_drift("review_stuck", guides=guides, provider="j&t")
    assert step == Texts("Ring J&T (极兔): 95311, daily 8-20.", "致电极兔：95311，每天 8-20 点。")
    (wanse,) = steps_for_drift("review_stuck", guides=guides, provider="Wanse")
    assert WANSE_PHONE in wanse.en  # the built-in contact stays
    assert steps_for_drift("pickup_unconfirmed", guides=guides) == steps_for_drift("pickup_unconfirmed")


def test_a_general_override_replaces_the_providers_and_regions_forms_too(load, tmp_path):
    guides = guides_of(load, tmp_path, '[aspects.pickup.guides.label_check]\nen = ["Ours."]\nzh = ["我们的。"]\n')
    steps = steps_for_drift("waybill_provider_mismatch", guides=guides, provider="Wanse", region="Dongguan")
    assert steps == (Texts("Ours.", "我们的。"),)


def test_provider_and_region_forms_and_names_from_the_config(load, tmp_path):
    guides = guides_of(
        load,
        tmp_path,
        '[aspects.pickup.guides.names.SF]\nen = "SF Express"\nzh = "顺丰"\n'
        '[aspects.pickup.guides.providers.SF.out_of_coverage]\nen = ["{provider} does not come."]\n'
        'zh = ["{provider}不来。"]\n'
        '[aspects.pickup.guides.regions.dongguan.review_pending]\nen = ["Wait."]\nzh = ["请等待。"]\n',
    )
    sf = steps_for_drift("pickup_out_of_coverage", guides=guides, provider="sf")
    assert sf[0] == Texts("SF Express does not come.", "顺丰不来。")
    assert steps_for_drift("review_pending", guides=guides, provider="Wanse", region="Dongguan") == (
        Texts("Wait.", "请等待。"),
    )
    # the built-in Dongguan label check survives: only review_pending was given for that region
    assert "2023-09-19" in steps_for_drift("waybill_provider_mismatch", guides=guides, region="Dongguan")[0].en


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            '[aspects.pickup.guides.review_stuck]\nen = ["x"]\n',
            "aspects.pickup.guides.review_stuck.zh: give the steps in both languages: en = [...] and zh = [...]",
        ),
        (
            '[aspects.pickup.guides.review_stuck]\nen = ["x", "y"]\nzh = ["甲"]\n',
            "aspects.pickup.guides.review_stuck: en has 2 steps and zh 1: give each step in both languages",
        ),
        (
            '[aspects.pickup.guides.review_stuck]\nen = ["call {phnoe}"]\nzh = ["甲"]\n',
            "aspects.pickup.guides.review_stuck.en[0]: unknown placeholder {phnoe} "
            "(known: {hours}, {phone}, {provider}, {shop}, {warehouse})",
        ),
        (
            '[aspects.pickup.guides.review_stuck]\nen = ["x"]\nzh = ["甲", "{"]\n',
            "aspects.pickup.guides.review_stuck: en has 1 steps and zh 2: give each step in both languages",
        ),
        (
            '[aspects.pickup.guides.cancel]\nen = ["a }"]\nzh = ["甲"]\n',
            "aspects.pickup.guides.cancel.en[0]: Single '}' encountered in format string (write {{ and }} for a brace)",
        ),
        (
            '[aspects.pickup.guides.revew_stuck]\nen = ["x"]\nzh = ["甲"]\n',
            "aspects.pickup.guides.revew_stuck: not a topic (topics: check_status, subscribe, cancel, "
            "review_pending, review_stuck, driver_missing, label_check, out_of_coverage, set_erp_pickup, "
            "set_erp_drop_off, erp_match, confirm_status, no_contact; or one of: contacts, names, providers, "
            "regions)",
        ),
        (
            '[aspects.pickup.guides.contacts."J&T"]\nphone = "95311"\nhours_en = "daily"\n',
            "aspects.pickup.guides.contacts.J&T.hours_zh: Missing data for required field.",
        ),
        (
            "[aspects.pickup.guides.contacts.Wanse]\nphone = 4008206207\nhours_en = 'a'\nhours_zh = 'b'\n",
            "aspects.pickup.guides.contacts.Wanse.phone: Not a valid string.",
        ),
        (
            '[aspects.pickup.guides.providers.Wanse.label_chek]\nen = ["x"]\nzh = ["甲"]\n',
            "aspects.pickup.guides.providers.Wanse.label_chek: not a topic (topics: check_status, subscribe, "
            "cancel, review_pending, review_stuck, driver_missing, label_check, out_of_coverage, set_erp_pickup, "
            "set_erp_drop_off, erp_match, confirm_status, no_contact)",
        ),
        (
            '[aspects.pickup.guides.no_contact]\nen = ["call {phone}"]\nzh = ["甲"]\n',
            "aspects.pickup.guides.no_contact: is shown when no number is known, so it cannot use {phone} or {hours}",
        ),
    ],
    ids=[
        "one language",
        "unequal steps",
        "unknown placeholder",
        "unequal before braces",
        "stray brace",
        "unknown topic",
        "contact without hours",
        "phone as a number",
        "unknown provider topic",
        "no_contact with a phone",
    ],
)
def test_a_bad_override_is_named_by_its_key(load, tmp_path, table, expected):
    assert expected in error_of(load, tmp_path, table)
