"""The cold-text shortcuts (a character-by-character fold, separator runs only at the edges, the
division steps on plain text, the divisions read once per place, suffix kinds looked up, a suffix
read from its first character, a mobile key spelt without its number object)
must answer exactly what the steps they skip answer, on random text far wider than addresses."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from erpsync.core import address
from erpsync.core.address import _divisions, _normalize_text, _text_step, normalize_address
from erpsync.core.admin_regions import CITY, DISTRICT, STATE, Level, token_at
from erpsync.core.models import Address
from erpsync.core.phone import _cached, _key
from erpsync.core.text_fold import _SIMPLE, EXTRA, INVISIBLE, fold

_SIMPLE_ALPHABET = [
    *map(chr, range(0x80)),
    *map(chr, EXTRA),
    "\u3000",
    *map(chr, range(0xFF01, 0xFF5F)),
    *map(chr, range(0xFF61, 0xFF65)),
    *"广东省东莞市长安镇乌沙步步高大道号栋室区县自治",
]
# characters just outside the simple set, and the ones that compose or vanish, to mix in
_NEAR = "\u00a8\u00c0\u0301\u0308\u200b\u2016\u2024\u2025\u3003\u30fb\uff00\uff5f\uff60\uff65\uff9e\uf900\u1100\u1161"


def _reference_fold(s: str) -> str:
    visible = INVISIBLE.sub("", s)
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).translate(EXTRA).casefold())


def _random(rng: random.Random, alphabet: list[str] | str, longest: int) -> str:
    return "".join(rng.choices(alphabet, k=rng.randrange(longest)))


@pytest.mark.parametrize("seed", range(3))
def test_the_character_by_character_fold_is_the_fold(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20_000):
        text = _random(rng, _SIMPLE_ALPHABET, 12)
        if rng.random() < 0.3:
            cut = rng.randrange(len(text) + 1)
            text = text[:cut] + rng.choice(_NEAR) + text[cut:]
        assert fold(text) == _reference_fold(text), repr(text)


def test_every_cjk_ideograph_the_shortcut_admits_folds_to_itself() -> None:
    ideographs = "".join(map(chr, range(0x4E00, 0xA000)))
    assert _SIMPLE.fullmatch(ideographs)
    assert _reference_fold(ideographs) == ideographs


_RUN = re.compile(r"[\s,;.]+")


def _reference_step(text: str) -> str:
    """``_text_step`` as defined: every separator run replaced, then the edges trimmed."""
    text = _reference_fold(text)

    def run(m: re.Match[str]) -> str:
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        if not (before.isdigit() and after.isdigit()):
            return ""
        punct = "".join(m.group().split())
        return re.sub(r"(.)\1+", r"\1", punct) if punct else " "

    return _RUN.sub(run, text).strip(",;.:!? ")


@pytest.mark.parametrize("seed", range(3))
def test_a_text_with_separators_only_at_its_edges_steps_as_every_text_does(seed: int) -> None:
    rng = random.Random(seed)
    edges = [" ", ",", "，", "。", "、", ";", ".", "\t", "\u3000", ":", "!", "1", "a", "号"]
    for _ in range(20_000):
        core = _random(rng, [*"12a号 ,.:\t", "１", "，"], 8)
        text = _random(rng, edges, 4) + core + _random(rng, edges, 4)
        assert _text_step(text) == _reference_step(text), repr(text)


def _reference_strip(street: str, units: tuple[tuple[str, str, Level], ...]) -> str:
    """The division steps asked of ``token_at`` for every unit, each tail normalised again."""
    while street:
        best: tuple[int, bool] | None = None
        for key, kind, level in units:
            tok = token_at(street, 0, key, kind, level)
            if tok and (best is None or tok[0] > best[0]):
                best = tok
        if best is None:
            return street
        end, suffixed = best
        if not suffixed and not any(token_at(street, end, k, kd, lv) for k, kd, lv in units):
            return street
        street = _normalize_text(street[end:])
    return street


PLACES = [
    ("广东省", "东莞市", "长安镇"),
    ("广东", "东莞", "南城街道"),
    ("广西壮族自治区", "南宁市", "城区"),
    ("新疆", "伊犁哈萨克自治州", "伊宁市"),
    ("广东", "广州", "广州区"),
    ("", "东莞", ""),
]
# divisions with and without their suffixes, fragments of them, and what may stand between them
PIECES = [
    *"广东省东莞市长安镇南城街道广西壮族自治区南宁城伊犁哈萨克州新疆维吾尔区县旗1２",
    *["广东", "广东省", "东莞", "东莞市", "长安", "长安镇", "南城街道", "广西壮族自治区", "南宁市", "城区"],
    *["新疆维吾尔自治区", "伊犁哈萨克自治州", "伊宁市", "广州", "广州区", "自治区", "壮族", "大道1号", "12"],
    *[" ", ",", "，", ":", "：", "。", "!", " 1"],
]


@pytest.mark.parametrize("seed", range(3))
def test_the_division_steps_strip_what_token_at_strips(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(6_000):
        state, city, district = rng.choice(PLACES)
        place = _divisions(address._field(state, STATE), address._field(city, CITY), address._field(district, DISTRICT))
        street = _normalize_text("".join(rng.choices(PIECES, k=rng.randrange(10))))
        assert address._strip_divisions(street, place) == _reference_strip(street, place.units), (street, place)


@pytest.mark.parametrize("seed", range(2))
def test_a_street_in_the_divisions_as_typed_is_the_street_of_the_normal_divisions(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3_000):
        state, city, district = rng.choice(PLACES)
        street = "".join(rng.choices(PIECES, k=rng.randrange(6)))
        a = Address(state=state, city=city, district=district, street=street)
        place = _divisions(address._field(state, STATE), address._field(city, CITY), address._field(district, DISTRICT))
        expected = _reference_strip(_normalize_text(street), place.units)  # the steps, without _place or _street
        assert address._normal_street(a) == expected == normalize_address(a).street, a


# every suffix, the ethnic names before them, their pieces and characters near them
_SUFFIX_PIECES = [
    *{suffix for level in (STATE, CITY, DISTRICT) for suffix in level.suffixes},
    *"省市区县州盟旗镇乡街道自治族壮回水京白土维吾尔蒙古哈萨克藏东莞大1a ",
    *["壮族", "回族", "维吾尔", "哈萨克", "朝鲜族", "zhuang", "hui", "uygur", "autonomous", "自治"],
]


@pytest.mark.parametrize("seed", range(2))
def test_a_suffix_read_from_its_first_character_is_the_suffix_the_regex_reads(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20_000):
        text = "".join(rng.choices(_SUFFIX_PIECES, k=rng.randrange(5)))
        pos = rng.randrange(len(text) + 1)
        for level in (STATE, CITY, DISTRICT):
            m = level.suffix_at.match(text, pos)
            expected = None if m is None else (m.group("auto") or m.group("plain"), m.end())
            assert level.suffix(text, pos) == expected, (text, pos)


def _same_kind(a: str, b: str) -> bool:
    return a.removeprefix("自治").removeprefix("autonomous") == b.removeprefix("自治").removeprefix("autonomous")


def test_the_suffixes_a_kind_accepts_are_the_ones_of_the_same_kind() -> None:
    for level in (STATE, CITY, DISTRICT):
        for kind in ("", *level.suffixes, "自治县", "旗"):
            expected = {s for s in level.suffixes if (_same_kind(s, kind) if kind else s in level.default)}
            assert level.accepted(kind) == expected, kind


@pytest.mark.parametrize("seed", range(2))
def test_a_phone_key_is_the_key_of_the_full_reading(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3_000):
        digits = rng.choice("01１") + "".join(rng.choices("0123456789", k=rng.choice((9, 10, 10, 10, 11))))
        text = rng.choice(
            (digits, digits, f"+86 {digits}", f"+86{digits[:3]}-{digits[3:7]}-{digits[7:]}", f"0{digits}")
        )
        region = rng.choice(("", "CN", "cn", "GB", " CN "))
        _key.cache_clear()
        assert _key(text, region) == _cached(text, region)[0], (text, region)
