"""Cosmetic differences are equal, material ones are drift (erpsync.core.address)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from address_samples import BASE
from hypothesis import assume, given
from hypothesis import strategies as st

from erpsync.core.address import (
    address_differences,
    address_fingerprint,
    normalize_address,
    normalize_phone,
    normalize_text,
)
from erpsync.core.models import Address


def same(a: Address, b: Address) -> bool:
    return address_differences(a, b) == []


# --- examples: cosmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("步步高大道126号，3栋", "步步高大道126号,3栋"),  # full-width comma
        ("A栋；501室", "A栋;501室"),  # full-width semicolon
        ("大道（东门）", "大道(东门)"),  # full-width brackets
        ("大道１２６号", "大道126号"),  # full-width digits
        ("ＢＬＯＣＫ　Ａ", "block a"),  # full-width letters, ideographic space, case
        ("步步高 大道 126号", "步步高大道126号"),  # whitespace in Chinese text
        ("步步高大道126号\t 3栋", "步步高大道126号3栋"),
        ("Unit 5,  Main Road", "unit 5 main road"),  # whitespace runs, case, comma
        ("步步高大道126号，", "步步高大道126号"),  # trailing comma (the re-save trick)
        ("步步高大道126号。", "步步高大道126号"),  # trailing full stop
        ("步步高大道126号.", "步步高大道126号"),
        ("步步高大道126号!", "步步高大道126号"),
        ("步步高大道126号、", "步步高大道126号"),
        ("No. 5 Main St.", "No 5 Main St"),
        ("Room 1, 23", "Room 1,23"),  # a separator between digits keeps its kind, not its spaces
    ],
)
def test_cosmetic_street(left: str, right: str) -> None:
    assert normalize_text(left) == normalize_text(right)
    assert same(replace(BASE, street=left), replace(BASE, street=right))


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Unit 5", "Unit 50"),
        ("Room 1 23", "Room 123"),  # whitespace between digits is kept
        ("Room 1,23", "Room 123"),
        ("Room 1.5", "Room 1 5"),
        ("126号", "128号"),
        ("A栋", "B栋"),
        ("5-1", "51"),
    ],
)
def test_material_street(left: str, right: str) -> None:
    assert normalize_text(left) != normalize_text(right)
    assert address_differences(replace(BASE, street=left), replace(BASE, street=right)) == [("street", left, right)]


@pytest.mark.parametrize(
    "phone",
    [
        "13800138000",
        "+86 138-0013-8000",
        "(+86) 13800138000",
        "0086 138 0013 8000",
        "+8613800138000",
        "8613800138000",
        "138 0013 8000",
        "１３８００１３８０００",
        "+86-138-0013-8000 ",
    ],
)
def test_phone_formats(phone: str) -> None:
    assert normalize_phone(phone) == "+8613800138000"
    assert same(replace(BASE, phone=phone), BASE)


def test_landline_formats() -> None:
    forms = ["0769-1234 5678", "+86 769 1234 5678", "+86 (0)769 12345678", "0086 769-12345678"]
    assert {normalize_phone(f) for f in forms} == {"+8676912345678"}


def test_national_forms_read_in_china_by_default() -> None:
    assert normalize_phone("+44 20 7946 0958") == normalize_phone("0044 20 7946 0958") == "+442079460958"
    assert normalize_phone("+1 415 555 0100") != normalize_phone("4155550100")
    assert normalize_phone("86 769 1234 5678") == "+8676912345678"  # no Chinese number starts with 86
    assert normalize_phone("") == ""


@pytest.mark.parametrize(
    ("fld", "left", "right"),
    [
        ("state", "广东省", "广东"),
        ("state", "北京市", "北京"),
        ("state", "Guangdong Province", "guangdong"),
        ("city", "东莞市", "东莞"),
        ("city", "深圳 市", "深圳"),
        ("city", "Dongguan City", "DONGGUAN"),
        ("district", "南山区", "南山"),
        ("district", "Nanshan District", "nanshan"),
        ("postal_code", "523 000", "523000"),
        ("postal_code", "SW1A 1AA", "sw1a1aa"),
        ("contact_person", "张 三", "张三"),
        ("contact_person", "Zhang San", "zhang  san"),
        ("region_code", "cn", "CN"),
    ],
)
def test_cosmetic_fields(fld: str, left: str, right: str) -> None:
    assert same(replace(BASE, **{fld: left}), replace(BASE, **{fld: right}))


@pytest.mark.parametrize(
    ("fld", "left", "right"),
    [
        ("district", "新区", "新"),  # never strip down to one character
        ("city", "市", ""),
        ("district", "长安镇", "长安"),  # 镇 is kept: conservative on districts
        ("district", "南山县", "南山"),
        ("city", "东莞", "深圳"),
        ("contact_person", "张三", "李四"),
        ("phone", "13800138000", "13900139000"),
        ("postal_code", "523000", "523001"),
        ("state", "广东", "广西"),
    ],
)
def test_material_fields(fld: str, left: str, right: str) -> None:
    diff = address_differences(replace(BASE, **{fld: left}), replace(BASE, **{fld: right}))
    assert diff == [(fld, left, right)]


def test_street_repeating_its_own_divisions_is_cosmetic() -> None:
    full = replace(BASE, street="广东省东莞市长安镇乌沙步步高大道126号3栋501室")
    assert same(full, BASE)
    assert same(replace(BASE, street="东莞市 长安镇，乌沙步步高大道126号3栋501室"), BASE)


def test_street_named_after_its_city_is_not_stripped() -> None:
    assert not same(replace(BASE, street="东莞大道1号"), replace(BASE, street="大道1号"))


def test_blank_erp_region_code_is_not_a_difference() -> None:
    assert same(BASE, replace(BASE, region_code=""))
    assert address_differences(replace(BASE, region_code=""), BASE) == [("region_code", "", "CN")]


def test_differences_report_raw_values_in_field_order() -> None:
    erp = replace(BASE, phone="139 0013 9000", street="乌沙步步高大道128号3栋501室", contact_person="李四")
    assert address_differences(BASE, erp) == [
        ("contact_person", "张三", "李四"),
        ("phone", "13800138000", "139 0013 9000"),
        ("street", BASE.street, erp.street),
    ]


def test_fingerprint_is_stable_and_material() -> None:
    fp = address_fingerprint(BASE)
    assert len(fp) == 32 and fp == address_fingerprint(BASE)
    assert address_fingerprint(replace(BASE, street=BASE.street + "，", phone="+86 138-0013-8000")) == fp
    assert address_fingerprint(replace(BASE, street="乌沙步步高大道127号3栋501室")) != fp


# --- properties --------------------------------------------------------------------------------

CJK = "长安镇乌沙步步高大道号栋楼室路街东门工业园区厂"
NAMES = "张王李赵刘陈杨黄周吴三四五六明华伟芳"
SURNAMES_EN = st.sampled_from(["Zhang", "Wang", "Li", "Chen", "Liu"])
FULL = {",": "，", ";": "；", "(": "（", ")": "）", ".": "。"}

word = st.text(alphabet=CJK, min_size=1, max_size=4)
number = st.integers(min_value=1, max_value=9999).map(str)
streets = st.lists(
    st.one_of(word, number, st.sampled_from(["A栋", "(东门)", "Unit", "Block B"])), min_size=1, max_size=6
).map(lambda parts: "".join(p if i == 0 else st_sep(i) + p for i, p in enumerate(parts)))


def st_sep(i: int) -> str:
    return ["", " ", ",", ";"][i % 4]


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
addresses = st.builds(
    Address,
    contact_person=st.one_of(st.text(alphabet=NAMES, min_size=2, max_size=3), SURNAMES_EN),
    phone=mobiles,
    region_code=st.just("CN"),
    state=st.sampled_from(["广东", "广东省", "Guangdong", "浙江省"]),
    city=st.sampled_from(["东莞", "东莞市", "深圳市", "广州", "Dongguan", "义乌市"]),
    district=st.sampled_from(["", "南山区", "长安镇", "新区", "Nanshan District"]),
    street=streets,
    postal_code=st.from_regex(r"[0-9]{6}", fullmatch=True),
)


@given(st.text())
def test_normalize_text_is_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


@given(st.text())
def test_normalize_phone_is_idempotent(s: str) -> None:
    once = normalize_phone(s)
    assert normalize_phone(once) == once


@given(st.builds(Address, *[st.text(max_size=12)] * 8))
def test_normalize_address_is_idempotent_on_any_text(a: Address) -> None:
    once = normalize_address(a)
    assert normalize_address(once) == once


@given(addresses)
def test_normalize_address_is_idempotent(a: Address) -> None:
    once = normalize_address(a)
    assert normalize_address(once) == once


def _widen(text: str) -> str:
    return "".join(FULL.get(c, chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c) for c in text)


def _phone_formats(mobile: str) -> list[str]:
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    return [f"+86 {a}-{b}-{c}", f"(+86) {mobile}", f"0086 {a} {b} {c}", f"{a} {b} {c}", f"86{mobile}"]


@st.composite
def cosmetic_edits(draw: st.DrawFn) -> tuple[Address, Address]:
    a = draw(addresses)
    kind = draw(st.sampled_from(["space", "width", "trailing", "phone", "suffix", "case"]))
    if kind == "space":
        i = draw(st.integers(0, len(a.street)))
        assume(not (a.street[i - 1 : i].isdigit() and a.street[i : i + 1].isdigit()))
        ws = draw(st.sampled_from([" ", "  ", "\t", "\u3000"]))
        return a, replace(a, street=a.street[:i] + ws + a.street[i:])
    if kind == "width":
        return a, replace(a, street=_widen(a.street), contact_person=_widen(a.contact_person))
    if kind == "trailing":
        mark = draw(st.sampled_from([",", "，", ".", "。", "、", ";", " ,"]))
        fld = draw(st.sampled_from(["street", "contact_person", "city", "district"]))
        return a, replace(a, **{fld: getattr(a, fld) + mark})
    if kind == "phone":
        return a, replace(a, phone=draw(st.sampled_from(_phone_formats(a.phone))))
    if kind == "suffix":
        state = a.state if a.state.endswith("省") else a.state + "省"
        city = a.city if a.city.endswith("市") else a.city + "市"
        return a, replace(a, state=state, city=city)
    return a, replace(a, street=a.street.upper(), contact_person=a.contact_person.swapcase())


@given(cosmetic_edits())
def test_cosmetic_edit_is_never_a_difference(pair: tuple[Address, Address]) -> None:
    before, after = pair
    assert address_differences(before, after) == []
    assert address_differences(after, before) == []
    assert address_fingerprint(before) == address_fingerprint(after)


def _change_digit(text: str, i: int, digit: str) -> str:
    return text[:i] + digit + text[i + 1 :]


@st.composite
def material_edits(draw: st.DrawFn) -> tuple[Address, Address, str]:
    a = draw(addresses)
    kind = draw(st.sampled_from(["street", "phone", "contact_person"]))
    if kind == "street":
        digits = [i for i, c in enumerate(a.street) if c.isdigit()]
        assume(digits)
        i = draw(st.sampled_from(digits))
        new = draw(st.sampled_from([d for d in "0123456789" if d != a.street[i]]))
        return a, replace(a, street=_change_digit(a.street, i, new)), "street"
    if kind == "phone":
        i = draw(st.integers(0, len(a.phone) - 1))
        new = draw(st.sampled_from([d for d in "0123456789" if d != a.phone[i]]))
        return a, replace(a, phone=_change_digit(a.phone, i, new)), "phone"
    other = draw(st.text(alphabet=NAMES, min_size=2, max_size=3))
    assume(other != a.contact_person)
    return a, replace(a, contact_person=other), "contact_person"


@given(material_edits())
def test_material_edit_is_always_a_difference(case: tuple[Address, Address, str]) -> None:
    before, after, fld = case
    assert [d[0] for d in address_differences(before, after)] == [fld]
    assert address_fingerprint(before) != address_fingerprint(after)
