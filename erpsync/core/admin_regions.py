"""Chinese administrative-division names: the suffix that marks a level, and how a name opens a street line.

A province, city or district is written with or without its suffix (广东省/广东, 东莞市/东莞,
南山区/南山), and an autonomous division also with or without the ethnic groups in its name
(广西壮族自治区/广西, 新疆维吾尔自治区/新疆, 延边朝鲜族自治州/延边). This module splits such a
name into its *key* (广西) and its *kind* (自治区), and finds a division's name at the start of a
street line. ``erpsync.core.address`` decides what is cosmetic; this module only knows names.

Texts here are already normalised (``erpsync.core.address.normalize_text``: NFKC, casefolded, no
spaces between letters), so English suffixes are matched without spaces ("guangdongprovince").
Sources: the suffixes and the shape of the official autonomous names (广西壮族自治区; in Xinjiang
without 族: 伊犁哈萨克自治州) follow the Ministry of Civil Affairs' division list, and the 56 groups
the State Ethnic Affairs Commission's list, both written from memory, not checked against a copy.
The English suffixes are a guess at what operators type. That no city of three characters or
more ends in a 州 of its own name (so 州 may be read as the prefecture suffix) is also a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final

__all__ = [
    "CITY",
    "DISTRICT",
    "STATE",
    "Head",
    "Level",
    "heads",
    "opening",
    "split_name",
    "strip_field_suffix",
    "token_at",
]

# fmt: off
_ETHNIC_GROUPS: Final = (
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白",
    "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西",
    "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌",
    "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔",
    "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
# fmt: on


def _alt(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# One ethnic group inside an autonomous name: "<name>族"; a name of two characters or more may
# also stand without 族 (新疆维吾尔自治区), a one-character name never does (西藏自治区 is 西藏).
_ETHNIC_LATIN: Final = ("zhuang", "uygur", "uyghur", "uighur", "hui")
_ETHNIC: Final = (
    f"(?:(?:{_alt(_ETHNIC_GROUPS)})族|{_alt([g for g in _ETHNIC_GROUPS if len(g) > 1])}|{_alt(_ETHNIC_LATIN)})"
)


class Level:
    """One level of the hierarchy and its suffixes.

    ``auto`` suffixes may be preceded by ethnic groups (自治区, autonomousregion), ``plain`` ones
    may not. ``field`` are the plain suffixes the field comparison strips (None: all of them); the
    same kinds are the ones accepted at the start of a street line when the field shows no kind.
    ``short`` are the suffixes that may follow a one-character name (城区, 歙县): with any other
    suffix a name keeps two characters at least (广州 is not 广 + 州).
    """

    def __init__(
        self,
        auto: tuple[str, ...],
        plain: tuple[str, ...],
        field: tuple[str, ...] | None = None,
        short: tuple[str, ...] = (),
    ) -> None:
        suffix = f"(?:{_ETHNIC}*(?P<auto>{_alt(auto)})|(?P<plain>{_alt(plain)}))"
        self.suffix_at = re.compile(suffix)
        self.split = re.compile(rf"(?P<key>.{{2,}}?){suffix}", re.DOTALL)
        # a one-character name with its suffix (城区, 歙县) is split only with these suffixes
        self.short_split = re.compile(rf"(?P<key>.)(?P<plain>{_alt(short)})" if short else "(?!)")
        field_suffix = _alt(field) if field else f"(?:{_ETHNIC}*(?:{_alt(auto)})|{_alt(plain)})"
        # the key keeps two characters at least: 新区 stays 新区, 西藏自治区 is 西藏, not 西
        self.field_split = re.compile(rf"(?P<key>.{{2,}}?)(?:{field_suffix})", re.DOTALL)
        self.default = frozenset(field or auto + plain)
        self.suffixes = auto + plain  # every suffix ``suffix_at`` may find
        self._accepted: dict[str, frozenset[str]] = {}
        # ``suffix``'s shortcuts: the characters some alternative of ``suffix_at`` starts with,
        # and the one-character plain suffixes whose character starts no other alternative
        words = (*_ETHNIC_GROUPS, *_ETHNIC_LATIN, *auto, *plain)
        self._starts = frozenset(w[0] for w in words)
        self._sure = frozenset(p for p in plain if len(p) == 1 and sum(w[0] == p for w in words) == 1)

    def suffix(self, text: str, pos: int) -> tuple[str, int] | None:
        """The suffix ``suffix_at`` matches at ``text[pos:]`` and where it ends; None: no suffix there.

        The street steps ask this after every division key they find, so the regex runs only
        where its answer is not plain from the next character: one that starts no alternative
        matches nothing, and a one-character suffix (省, 市, 区) that starts no other alternative
        is the whole match (neither branch of ``suffix_at`` can begin otherwise there).
        """
        ch = text[pos : pos + 1]
        if ch in self._sure:
            return ch, pos + 1
        if ch not in self._starts:
            return None
        m = self.suffix_at.match(text, pos)
        return None if m is None else (m.group("auto") or m.group("plain"), m.end())

    def accepted(self, kind: str) -> frozenset[str]:
        """The suffixes ``token_at`` counts after the key of a field of kind ``kind`` (memoised)."""
        found = self._accepted.get(kind)
        if found is None:
            found = frozenset(s for s in self.suffixes if (_same_kind(s, kind) if kind else s in self.default))
            self._accepted[kind] = found
        return found


STATE: Final = Level(
    auto=("自治区", "autonomousregion"),
    plain=("省", "市", "特别行政区", "province", "municipality", "specialadministrativeregion", "sar"),
)
# 州 is the usual short form of an autonomous prefecture (阿坝州); 广州 keeps its 州 (two characters).
CITY: Final = Level(auto=("自治州", "autonomousprefecture"), plain=("市", "州", "地区", "盟", "city", "prefecture"))
# The district field keeps 县/镇/旗...: 长安镇 and 长安 may be a town and a street, so only 区 goes.
DISTRICT: Final = Level(
    auto=("自治县", "自治旗", "autonomouscounty"),
    plain=("区", "县", "市", "旗", "镇", "乡", "街道", "district", "county"),
    field=("区", "district"),
    short=("区", "县", "镇", "乡", "旗"),
)


def strip_field_suffix(text: str, level: Level) -> str | None:
    """``text`` without its suffix of ``level`` (as compared in the field), or None if it has none."""
    m = level.field_split.fullmatch(text)
    return m.group("key") if m else None


def split_name(text: str, level: Level) -> tuple[str, str]:
    """``(key, kind)`` of a normalised field value: 长安镇 -> (长安, 镇), 城区 -> (城, 区), 东莞 -> (东莞, "")."""
    m = level.split.fullmatch(text) or level.short_split.fullmatch(text)
    if not m:
        return text, ""
    return m.group("key"), m.groupdict().get("auto") or m.group("plain")


def _same_kind(a: str, b: str) -> bool:
    """自治县 is a 县, autonomousregion a region: the ethnic qualifier does not change the kind."""
    return a.removeprefix("自治").removeprefix("autonomous") == b.removeprefix("自治").removeprefix("autonomous")


def token_at(street: str, pos: int, key: str, kind: str, level: Level) -> tuple[int, bool] | None:
    """Where the division ``key`` (of field kind ``kind``) written at ``street[pos:]`` ends, and
    whether it was written with a suffix; None if it is not there.

    A suffix counts when it is the field's own kind, or, when the field shows none, one of the
    level's usual kinds (a district field 南山 accepts 南山区, not 南山县). A bare key counts only
    when it has two characters at least and does not end inside a number (key 12 in 123号).
    """
    if not key or not street.startswith(key, pos):
        return None
    end = pos + len(key)
    m = level.suffix_at.match(street, end)
    if m and (m.group("auto") or m.group("plain")) in level.accepted(kind):
        return m.end(), True
    if len(key) < 2 or (key[-1].isdigit() and street[end : end + 1].isdigit()):
        return None
    return end, False


#: ``token_at``'s view of one division, computed once: key, its length, the level's ``suffix``,
#: the suffixes the field's kind accepts, and whether the key ends in a digit
Head = tuple[str, int, Callable[[str, int], "tuple[str, int] | None"], frozenset[str], bool]
#: the ``Head`` of a place's divisions by the first character of their keys, in the place's order
Heads = dict[str, tuple[Head, ...]]


def heads(units: Iterable[tuple[str, str, Level]]) -> Heads:
    """The ``Heads`` of ``(key, kind, level)`` divisions (a blank key opens nothing)."""
    out: dict[str, list[Head]] = {}
    for key, kind, level in units:
        if key:
            out.setdefault(key[0], []).append((key, len(key), level.suffix, level.accepted(kind), key[-1].isdigit()))
    return {first: tuple(group) for first, group in out.items()}


def opening(street: str, pos: int, divisions: Heads) -> tuple[int, bool] | None:
    """The longest of the ``token_at`` answers at ``street[pos:]`` for these divisions (the first of
    equal ends), or None: the one loop every step of a street line runs, so it asks only the
    divisions whose key starts with the character there, and calls nothing per division.
    """
    best: tuple[int, bool] | None = None
    for key, size, suffix, accepted, digit_end in divisions.get(street[pos : pos + 1], ()):
        if not street.startswith(key, pos):
            continue
        end = pos + size
        found = suffix(street, end)
        if found is not None and found[0] in accepted:
            token = (found[1], True)
        elif size < 2 or (digit_end and street[end : end + 1].isdigit()):
            continue
        else:
            token = (end, False)
        if best is None or token[0] > best[0]:
            best = token
    return best
