"""The pure diff's shortcuts must answer exactly what the full steps answer.

Each shortcut skips work only where the skipped step would change nothing (a text without
invisible characters, plain text between spaces, two different landlines, a drift built without
the generated frozen ``__init__``); these tests hold each to the steps it stands for, on random
input far wider than addresses are.
"""

from __future__ import annotations

import dataclasses
import inspect
import random
import re
import unicodedata

import pytest

from erpsync.core.address import _normalize_text, _text_step, address_differences
from erpsync.core.models import Address, Drift, Severity, Texts
from erpsync.core.phone import normalize_phone, phones_differ
from erpsync.core.text_fold import _FULL_WIDTH, _NO_INVISIBLE, EXTRA, INVISIBLE, fold

# what operators type, and what they should not but do: invisible and combining marks, full- and
# half-width forms, compatibility ideographs, the separators the steps drop, astral characters
_ODD = "\u200b\u200d\ufeff\u00ad\u034f\ufe0f\u0301\u0308\u00a8\u3000\uff61\uff76\uff9e\uf900\U000e0020\U0001d173"
_ALPHABET = (
    [chr(c) for c in range(0x20, 0x250)]
    + [chr(c) for c in range(0xFF00, 0xFFF0)]
    + list("广东省东莞市长安镇乌沙步步高大道号栋室。、【】「」“”‘’‐–—−，；：")
    + list(_ODD)
)


def _reference_fold(s: str) -> str:
    """The fold as defined: invisibles dropped, NFKC, the extra folds, case, NFKC again."""
    visible = INVISIBLE.sub("", s)
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).translate(EXTRA).casefold())


def _reference_normalize(s: str) -> str:
    """``normalize_text`` as defined: the steps repeated until nothing changes."""
    text = s
    for _ in range(8):
        again = _text_step(text)
        if again == text:
            break
        text = again
    return text


def _texts(seed: int, count: int, longest: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_ALPHABET, k=rng.randrange(longest))) for _ in range(count)]


def test_the_fold_equals_its_definition() -> None:
    for text in [*_texts(1, 40_000, 10), "", "ａＢｃ１２３", "１\u200b２号，", "Ａ\u0301", "ｶﾞ", "\uff61"]:
        assert fold(text) == _reference_fold(text), repr(text)


def test_text_the_fold_keeps_as_is_holds_no_invisible_character() -> None:
    admitted = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and _NO_INVISIBLE.fullmatch(chr(c))]
    assert len(admitted) > 20_000
    assert not [ch for ch in admitted if INVISIBLE.search(ch) or unicodedata.category(ch) == "Cf"]


def test_full_width_forms_map_to_what_nfkc_makes_of_them() -> None:
    forms = [chr(c) for c in range(0xFF00, 0xFFF0) if _FULL_WIDTH.fullmatch(chr(c))]
    assert len(forms) == 94
    assert all(unicodedata.normalize("NFKC", ch) == chr(ord(ch) - 0xFEE0) for ch in forms)


def test_normalised_text_equals_the_steps_repeated() -> None:
    rng = random.Random(2)
    spaced = [" " * rng.randrange(3) + t + " " * rng.randrange(3) for t in _texts(3, 5_000, 6)]
    names = [" 张伟 ", "张伟 ", "  李娜", " zhang-3# ", " ", "   ", " 张 伟 ", " Zhang ", " 张伟。", " 12 "]
    for text in [*_texts(4, 20_000, 10), *spaced, *names]:
        assert _normalize_text(text) == _reference_normalize(text), repr(text)


@pytest.mark.parametrize("seed", range(4))
def test_phones_differ_as_their_keys_do(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3_000):
        n = rng.randrange(1, 15)
        a = rng.choice(("0", "00", "1", "8", "+", "")) + "".join(rng.choices("0123456789", k=n))
        b = a[:-1] + rng.choice("0123456789") if rng.random() < 0.6 else rng.choice(("0", "")) + a[1:]
        b = rng.choice((b, b.replace("0", "０", 1), f"{b[:4]} {b[4:]}"))
        regions = rng.choice((("", ""), ("CN", ""), ("cn", "CN"), ("GB", "GB"), ("", "SG")))
        expected = normalize_phone(a, regions[0]) != normalize_phone(b, regions[1])
        assert phones_differ(a, regions[0], b, regions[1]) == expected, (a, b, regions)


def test_a_changed_landline_is_a_phone_difference() -> None:
    seller = Address(phone="076912345678", street="工业东路1号")
    assert address_differences(seller, dataclasses.replace(seller, phone="076912345679")) == [
        ("phone", "076912345678", "076912345679")
    ]
    assert address_differences(seller, dataclasses.replace(seller, phone="0769-1234-5678")) == []


def test_a_drift_is_built_as_the_generated_init_builds_it() -> None:
    fields = dataclasses.fields(Drift)
    params = list(inspect.signature(Drift).parameters.values())
    assert [(p.name, p.default) for p in params] == [
        (f.name, inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default) for f in fields
    ]
    generated = dataclasses.make_dataclass("Generated", [(f.name, f.type, f) for f in fields], frozen=True)
    t = Texts("en", "zh")
    args = ("s", "a", "k", "WH-1", "phone", "1", "2", Severity.CRITICAL, "m", "id", t, (t,), (t, t))
    full, short = Drift(*args), Drift(*args[:9])
    assert dataclasses.astuple(full) == dataclasses.astuple(generated(*args))
    assert dataclasses.astuple(short) == dataclasses.astuple(generated(*args[:9]))
    assert Drift(**{f.name: getattr(full, f.name) for f in fields}) == full
    assert dataclasses.replace(full, kind="other").kind == "other"
    assert hash(full) == hash(Drift(*args)) and full != short
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.kind = "other"  # type: ignore[misc]
    assert re.fullmatch("[0-9a-f]{32}", full.fingerprint)
