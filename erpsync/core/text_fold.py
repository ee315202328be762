"""Width, case and Unicode folding of typed text: the first step of ``erpsync.core.address``'s
normalisation, apart because it is the costly one and its shortcuts need room to say why they hold.

``fold`` is NFKC, the extra folds NFKC leaves out (``EXTRA``), case folding, NFKC again, with the
invisible characters dropped first (``INVISIBLE``). Most addresses are already folded, or only
full-width, so each step is skipped where it would change nothing (tests hold ``fold`` to that
definition on random text).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["EXTRA", "INVISIBLE", "fold"]

# characters NFKC does not fold but operators type interchangeably
EXTRA = str.maketrans(
    {
        "。": ".",
        "、": ",",
        "【": "[",
        "】": "]",
        "「": '"',
        "」": '"',
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
    }
)
# Invisible characters: Unicode category Cf (ZWSP/ZWNJ/ZWJ, BOM, soft hyphen, word joiner, LRM/RLM,
# bidi controls, tag characters...) as of Unicode 15.1, plus the other invisible default-ignorable
# marks that attach to a character (combining grapheme joiner, variation selectors). A test checks
# this class against the running Python's Unicode database.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef]+"
)


# Characters outside every range of ``INVISIBLE`` (a test holds the two apart): a text made of them
# only, as most addresses are, skips the removal, whose scan costs more than the rest of the fold.
_NO_INVISIBLE = re.compile("[\x00-\u00ac\u00ae-\u02ff\u3000-\u9fff\uff00-\uffef]*")
_EXTRA_ANY = re.compile("[" + "".join(map(chr, EXTRA)) + "]")
# Full-width ASCII forms, whose NFKC form is their ASCII character: mapped ahead of NFKC, which
# then finds most texts already normal (a quick check) instead of recomposing the whole line.
_FULL_WIDTH = re.compile("[\uff01-\uff5e]+")
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


@lru_cache(maxsize=4096)
def _half_width_run(run: str) -> str:
    """A run of full-width forms in ASCII (memoised: most runs are a few digits, seen again and again)."""
    return run.translate(_HALF_WIDTH)


def _half_width(m: re.Match[str]) -> str:
    return _half_width_run(m.group())


def _fold_steps(s: str) -> str:
    """The fold by its steps, each skipped where it would change nothing (see ``fold``)."""
    visible = s if _NO_INVISIBLE.fullmatch(s) else INVISIBLE.sub("", s)
    if not unicodedata.is_normalized("NFKC", visible):
        visible = unicodedata.normalize("NFKC", _FULL_WIDTH.sub(_half_width, visible))
    if _EXTRA_ANY.search(visible):
        visible = visible.translate(EXTRA)
    return unicodedata.normalize("NFKC", visible.casefold())


# Text of ASCII, CJK unified ideographs, full-width ASCII forms, the half-width CJK punctuation,
# the ideographic space and the characters of ``EXTRA``: what addresses are typed with. Each of
# these folds on its own to ASCII or a CJK ideograph, none is invisible, and none composes with a
# neighbour (no combining mark, no Hangul), so such a text folds character by character: one
# ``str.translate`` with each character's own fold (a test holds this to the definition).
_SIMPLE = re.compile("[\x00-\x7f" + "".join(map(chr, EXTRA)) + "\u3000\u4e00-\u9fff\uff01-\uff5e\uff61-\uff64]*")
_SIMPLE_FOLD = {
    c: folded
    for c in [*range(0x80), *EXTRA, 0x3000, *range(0xFF01, 0xFF5F), *range(0xFF61, 0xFF65)]
    if (folded := _fold_steps(chr(c))) != chr(c)
}
# the characters of those the fold changes: a text without any is its own fold
_SIMPLE_CHANGES = re.compile("[" + re.escape("".join(map(chr, _SIMPLE_FOLD))) + "]")


def fold(s: str) -> str:
    """NFKC, ``EXTRA`` and case folded, invisible characters dropped.

    Equal to ``NFKC(NFKC(without invisibles).translate(EXTRA).casefold())``: each shortcut skips
    a step only where it would change nothing, and the full-width map gives what NFKC gives (a
    full-width form decomposes to its ASCII character, both are starters, so composition sees the
    same sequence).
    """
    s = s or ""
    if _SIMPLE.fullmatch(s):
        return s.translate(_SIMPLE_FOLD) if _SIMPLE_CHANGES.search(s) else s
    return _fold_steps(s)
