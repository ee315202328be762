"""Invisible characters and administrative names: cosmetic both ways, material never hidden.

Tables of pairs that must compare equal and pairs that must stay different, in both directions,
plus properties: normalisation is idempotent, and no cosmetic noise makes two house numbers one.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import replace

import pytest
from address_samples import BASE
from hypothesis import given
from hypothesis import strategies as st

from erpsync.core.address import address_differences, normalize_address, normalize_text
from erpsync.core.models import Address
from erpsync.core.text_fold import INVISIBLE as _INVISIBLE

ZW = "\u200b"  # zero-width space


def diff_both_ways(a: Address, b: Address) -> tuple[list[str], list[str]]:
    return [d[0] for d in address_differences(a, b)], [d[0] for d in address_differences(b, a)]


# --- invisible characters ----------------------------------------------------------------------

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\u2060", "\u200e", "\u200f", "\u202a", "\ufe0f"]


@pytest.mark.parametrize("ch", INVISIBLE)
@pytest.mark.parametrize(
    ("fld", "value"),
    [
        ("street", "乌沙步步高{}大道126号3栋501室"),
        ("street", "{}乌沙步步高大道126号3栋501室{}"),
        ("street", "乌沙步步高大道12{}6号3栋501室"),
        ("phone", "138{}0013{}8000"),
        ("phone", "{}+86 138 0013 8000"),
        ("postal_code", "523{}000"),
        ("contact_person", "张{}三"),
        ("state", "广东{}省"),
        ("city", "东{}莞"),
        ("district", "长安镇{}"),
        ("region_code", "C{}N"),
    ],
)
def test_invisible_characters_are_cosmetic_everywhere(ch: str, fld: str, value: str) -> None:
    noisy = replace(BASE, **{fld: value.replace("{}", ch)})
    assert diff_both_ways(noisy, BASE) == ([], [])


def test_an_invisible_character_is_no_separator_but_a_typed_space_is() -> None:
    assert normalize_text(f"1{ZW}2号") == normalize_text("12号")
    assert normalize_text("1 2号") != normalize_text("12号")
    assert normalize_text(f"1{ZW} 2号") == normalize_text("1 2号")


def test_every_format_character_of_this_python_is_removed() -> None:
    cf = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert [c for c in cf if normalize_text(f"a{c}b") != "ab"] == []
    # and the class removes nothing visible: only Cf, unassigned code points (format characters
    # of a newer Unicode) and the invisible marks the docstring names
    marks = {0x034F, *range(0x180B, 0x180E), 0x180F, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
    removed = [c for c in range(sys.maxunicode + 1) if _INVISIBLE.fullmatch(chr(c))]
    assert [hex(c) for c in removed if unicodedata.category(chr(c)) not in ("Cf", "Cn") and c not in marks] == []


# --- administrative names in the fields --------------------------------------------------------


@pytest.mark.parametrize(
    ("fld", "left", "right"),
    [
        ("state", "广西", "广西壮族自治区"),
        ("state", "广西自治区", "广西壮族自治区"),
        ("state", "内蒙古", "内蒙古自治区"),
        ("state", "新疆", "新疆维吾尔自治区"),
        ("state", "西藏", "西藏自治区"),
        ("state", "宁夏", "宁夏回族自治区"),
        ("state", "香港", "香港特别行政区"),
        ("state", "澳门", "澳门特别行政区"),
        ("state", "广东省", "广东"),
        ("state", "Guangxi Zhuang Autonomous Region", "guangxi"),
        ("state", "Hong Kong SAR", "hong kong"),
        ("city", "延边朝鲜族自治州", "延边"),
        ("city", "延边州", "延边朝鲜族自治州"),
        ("city", "伊犁哈萨克自治州", "伊犁"),
        ("city", "阿坝藏族羌族自治州", "阿坝州"),
        ("city", "阿里地区", "阿里"),
        ("city", "锡林郭勒盟", "锡林郭勒"),
        ("district", "城区", "城区"),
    ],
)
def test_cosmetic_division_names(fld: str, left: str, right: str) -> None:
    assert diff_both_ways(replace(BASE, **{fld: left}), replace(BASE, **{fld: right})) == ([], [])


@pytest.mark.parametrize(
    ("fld", "left", "right"),
    [
        ("state", "广西", "广东"),
        ("state", "西藏", "西"),  # never down to one character
        ("state", "内蒙古", "内"),
        ("city", "广州", "广"),  # 广州 keeps its 州
        ("city", "广州", "杭州"),
        ("city", "延边", "延吉"),
        ("district", "长安镇", "长安"),  # 镇 and 县 name other kinds of places: kept
        ("district", "北川羌族自治县", "北川"),
        ("district", "城区", "郊区"),
    ],
)
def test_material_division_names(fld: str, left: str, right: str) -> None:
    assert diff_both_ways(replace(BASE, **{fld: left}), replace(BASE, **{fld: right})) == ([fld], [fld])


# --- the record's own divisions at the start of the street line --------------------------------

# (state, city, district, street, the same street as the other side wrote it)
COSMETIC_STREETS = [
    ("广东省", "东莞市", "长安镇", "广东省东莞市长安镇乌沙1号", "乌沙1号"),
    ("广东省", "东莞市", "长安镇", "广东东莞市长安镇乌沙1号", "乌沙1号"),
    ("广东省", "东莞市", "长安镇", "广东东莞长安镇乌沙1号", "乌沙1号"),
    ("广东省", "东莞市", "长安镇", "东莞长安镇乌沙1号", "长安镇乌沙1号"),
    ("广东省", "东莞市", "长安镇", "广东东莞长安乌沙1号", "长安乌沙1号"),
    ("广东省", "东莞市", "长安镇", "东莞市东莞大道1号", "东莞大道1号"),
    ("广东省", "东莞市", "长安镇", "广东东莞大道1号", "东莞大道1号"),
    ("广东省", "东莞市", "长安镇", f"广东{ZW}省东莞市 长安镇，乌沙1号", "乌沙1号"),
    ("广西", "南宁市", "青秀区", "广西壮族自治区南宁市青秀区民族大道1号", "民族大道1号"),
    ("广西壮族自治区", "南宁", "青秀区", "广西南宁市民族大道1号", "民族大道1号"),
    ("广西", "南宁", "青秀区", "广西自治区南宁青秀区民族大道1号", "民族大道1号"),
    ("新疆", "伊犁哈萨克自治州", "伊宁市", "新疆维吾尔自治区伊犁州伊宁市解放路1号", "解放路1号"),
    ("内蒙古自治区", "锡林郭勒盟", "锡林浩特市", "内蒙古锡林郭勒盟锡林浩特市1号", "1号"),
    ("西藏", "拉萨市", "城关区", "西藏自治区拉萨市城关区北京路1号", "北京路1号"),
    ("香港", "香港", "", "香港特别行政区九龙弥敦道1号", "九龙弥敦道1号"),
    ("北京市", "北京市", "朝阳区", "北京北京市朝阳区建国路1号", "建国路1号"),
    ("四川省", "阿坝州", "汶川县", "四川阿坝藏族羌族自治州汶川县1号", "1号"),
    ("陕西省", "西安市", "长安区", "西安长安路1号", "长安路1号"),  # 西安 followed by 长安: stripped
    ("广东省", "广州市", "天河区", "广州天河区天河路1号", "天河路1号"),
    ("广东省", "深圳市", "南山区", "深圳市南山区科技园1号", "科技园1号"),
    ("广东省", "深圳市", "南山", "南山区科技园1号", "科技园1号"),
    ("山西省", "阳泉市", "城区", "城区桃北西街1号", "桃北西街1号"),  # a two-character XX区
    ("山西省", "阳泉市", "郊区", "阳泉市郊区荫营镇1号", "荫营镇1号"),
    ("安徽省", "黄山市", "歙县", "黄山市歙县徽城镇1号", "徽城镇1号"),
]


@pytest.mark.parametrize(("state", "city", "district", "left", "right"), COSMETIC_STREETS)
def test_street_repeating_own_divisions_is_cosmetic(
    state: str, city: str, district: str, left: str, right: str
) -> None:
    rec = replace(BASE, state=state, city=city, district=district)
    assert diff_both_ways(replace(rec, street=left), replace(rec, street=right)) == ([], [])


def test_two_character_district_is_stripped_from_the_street() -> None:
    rec = replace(BASE, state="山西省", city="阳泉市", district="城区")
    assert normalize_address(replace(rec, street="城区桃北西街1号")).street == "桃北西街1号"


MATERIAL_STREETS = [
    ("广东省", "东莞市", "长安镇", "东莞大道1号", "大道1号"),  # a street named after its city
    ("广东省", "东莞市", "长安镇", "东莞东莞大道1号", "大道1号"),
    ("广东省", "东莞市", "长安镇", "长安路1号", "路1号"),  # ... or after its district
    ("广东省", "东莞市", "长安镇", "长安镇长安路1号", "路1号"),
    ("陕西省", "西安市", "长安区", "西安长安路1号", "路1号"),
    ("广东省", "东莞市", "长安镇", "广西南宁市1号", "1号"),  # another province in the street
    ("广东省", "东莞市", "长安镇", "广东深圳市1号", "1号"),  # another city
    ("广东省", "东莞市", "长安镇", "东莞市虎门镇1号", "1号"),  # another district
    ("广东省", "深圳市", "南山县", "南山区1号", "1号"),  # a district of another kind
    ("广东省", "东莞市", "长安镇", "乌沙1号", "乌沙11号"),
    ("广东省", "东莞市", "长安镇", "乌沙1号", "乌沙2号"),
    ("广东省", "东莞市", "长安镇", "乌沙1号5栋", "乌沙1号50栋"),
    ("广东省", "东莞市", "长安镇", "乌沙1号A栋", "乌沙1号B栋"),
    ("广东省", "东莞市", "长安镇", "乌沙1号501室", "乌沙1号502室"),
    ("广东省", "东莞市", "长安镇", "乌沙1 2号", "乌沙12号"),
    ("广东省", "东莞市", "长安镇", "东莞1号", "1号"),
    ("广东省", "东莞市", "长安镇", "东莞12号", "东莞2号"),
    ("广东省", "广州市", "天河区", "广州广州大道1号", "大道1号"),
    ("山西省", "阳泉市", "城区", "城区1号", "郊区1号"),
]


@pytest.mark.parametrize(("state", "city", "district", "left", "right"), MATERIAL_STREETS)
def test_material_street_stays_different(state: str, city: str, district: str, left: str, right: str) -> None:
    rec = replace(BASE, state=state, city=city, district=district)
    assert diff_both_ways(replace(rec, street=left), replace(rec, street=right)) == (["street"], ["street"])


# --- properties --------------------------------------------------------------------------------

NOISE = st.sampled_from(["", " ", "，", ",", "、", "。", "\u3000", ZW, "\ufeff", "\u00ad", "\u200d", "\u2060"])
INVISIBLE_ONLY = st.sampled_from(["", ZW, "\ufeff", "\u00ad", "\u200c", "\u2060", "\u200e"])
ADMIN_WORDS = (
    "广东 广东省 广西 广西壮族自治区 壮族 自治区 自治州 自治县 特别行政区 东莞 东莞市 长安 长安镇 城区 区 县 镇 市 "
    "州 盟 旗 维吾尔 哈萨克 藏族 新疆 香港 延边 朝鲜族 大道 路 号 栋 室 街道 地区 乌沙 1 2 12 0 province city"
)
ADMIN_BITS = [*ADMIN_WORDS.split(" "), ZW, "\u00ad", " ", "，"]
admin_text = st.lists(st.sampled_from(ADMIN_BITS), max_size=7).map("".join)


@given(st.builds(Address, *[admin_text] * 8))
def test_normalisation_of_division_names_is_idempotent(a: Address) -> None:
    once = normalize_address(a)
    assert normalize_address(once) == once


def _digits_with_invisibles(n: int, draw: st.DrawFn) -> str:
    """``n`` written with invisible characters (never a space) between its digits, maybe full-width."""
    digits = str(n)
    if draw(st.booleans()):
        digits = "".join(chr(ord(d) + 0xFEE0) for d in digits)
    return "".join(d + draw(INVISIBLE_ONLY) for d in digits)


PREFIXES = ["", "广东省东莞市长安镇", "广东东莞", "东莞", "东莞市", "长安", "乌沙", "步步高大道", "A栋"]
SUFFIXES = ["号", "栋", "号3栋501室", "室", "", "号A栋"]


@st.composite
def numbered_streets(draw: st.DrawFn) -> tuple[str, str]:
    a, b = draw(st.integers(0, 99999)), draw(st.integers(0, 99999))
    prefix, suffix = draw(st.sampled_from(PREFIXES)), draw(st.sampled_from(SUFFIXES))
    if a == b:
        b = a + 1
    left = f"{prefix}{draw(NOISE)}{_digits_with_invisibles(a, draw)}{draw(NOISE)}{suffix}{draw(NOISE)}"
    right = f"{draw(NOISE)}{prefix}{draw(NOISE)}{_digits_with_invisibles(b, draw)}{draw(NOISE)}{suffix}"
    return left, right


@given(numbered_streets())
def test_no_cosmetic_noise_turns_two_house_numbers_into_one(pair: tuple[str, str]) -> None:
    left, right = pair
    assert diff_both_ways(replace(BASE, street=left), replace(BASE, street=right)) == (["street"], ["street"])


@given(st.integers(0, 99999), st.sampled_from(PREFIXES), st.sampled_from(SUFFIXES), st.data())
def test_cosmetic_noise_around_one_house_number_is_not_a_difference(
    n: int, prefix: str, suffix: str, data: st.DataObject
) -> None:
    noisy = f"{data.draw(NOISE)}{prefix}{data.draw(NOISE)}{_digits_with_invisibles(n, data.draw)}{suffix}"
    assert diff_both_ways(replace(BASE, street=noisy), replace(BASE, street=f"{prefix}{n}{suffix}")) == ([], [])
