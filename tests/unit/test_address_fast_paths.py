"""The normalisers' shortcuts (a spaced-digit postal code, a street line no division opens, a
separator run read without a per-character loop) must give what the full steps give (pure)."""

from __future__ import annotations

import random
import sys

import pytest

from erpsync.core.address import _divisions, _normalize_text, _Place, _postal, _street, _street_in, normalize_address
from erpsync.core.models import Address

POSTAL_ALPHABET = "0123456789  \t\u3000０５-aB.，"
PLACES = [
    ("广东省", "东莞市", "长安镇"),
    ("广东", "东莞", "南城街道"),
    ("广西壮族自治区", "南宁市", "城区"),
    ("", "", ""),
]
OPENINGS = ["", "广东", "广东省", "东莞", "东莞市", "长安镇", "长安", "南宁市", "城区", "广西", "東莞", " 广东 "]
REST = ["乌沙步步高大道126号", "东莞大道1号", "长安路5号", "１２６号，", "Unit 5", "", "市场路3号"]


def test_spaced_digit_postal_codes_read_as_the_full_normalisation_reads_them() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        code = "".join(rng.choices(POSTAL_ALPHABET, k=rng.randrange(0, 9)))
        _postal.cache_clear()
        assert _postal(code) == _normalize_text(code).replace(" ", ""), code


@pytest.mark.parametrize("seed", range(4))
def test_a_street_no_division_opens_is_left_as_the_full_steps_leave_it(seed: int) -> None:
    rng = random.Random(seed)
    cases = []
    for _ in range(1500):
        state, city, district = rng.choice(PLACES)
        street = "".join(rng.choice(OPENINGS) for _ in range(rng.randrange(0, 3))) + rng.choice(REST)
        a = normalize_address(Address(state=state, city=city, district=district))
        cases.append((street, _divisions(a.state, a.city, a.district)))
    fast = [_street_in(s, p) for s, p in cases]
    assert [_street.__wrapped__(s, p) for s, p in cases] == fast
    # every key "opens" every street: no shortcut, each step asks token_at as it always did
    opened = [(s, _Place(p.units, ("",), p.heads)) for s, p in cases]
    assert [_street.__wrapped__(s, p) for s, p in opened] == fast


def test_dropping_whitespace_by_split_drops_what_isspace_calls_whitespace() -> None:
    """``_text_step`` keeps a separator run's punctuation with ``str.split``; that is exact for
    every whitespace character Python knows, so nothing else changes."""
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    rng = random.Random(3)
    for _ in range(2000):
        run = "".join(rng.choices([*spaces, ",", ";", ".", ",,"], k=rng.randrange(1, 6)))
        assert "".join(run.split()) == "".join(ch for ch in run if not ch.isspace()), repr(run)
