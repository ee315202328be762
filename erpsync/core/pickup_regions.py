"""First-mile pickup regions: which cities a provider covers, its waybill prefix, its switch date.

The defaults come from the 2023 provider switch notice (``docs/domain.md``, with its sources): in
Dongguan, Shenzhen and Guangzhou the pickup provider changed from J&T (极兔) to Wanse (万色, ``WS``
waybills). The notice dates the switch only for Dongguan (2023-09-19 00:00 Beijing time); the other
two switched in batches, complete by the end of September 2023, on no stated day, so their
``switch_at`` is None and their waybills are not judged by a date unless a configuration gives one.
J&T's ``JT`` prefix is a guess: the notice does not say it.

A warehouse whose city matches no region is outside pickup coverage: a subscription request for
it is silently ignored, so it can only DROP OFF. Configurations may replace the table
(``[[aspects.pickup.regions]]``).

City names are matched as operators type them: simplified or traditional characters (東莞 is
东莞), with or without the suffix 市, or in pinyin with any case and an optional "City"/"Shi".
Traditional characters are folded with OpenCC (the reference converter, ``t2s``), imported only
when a city name holds a CJK character, so ``erpsync --help`` does not pay for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from erpsync.core.address import normalize_address
from erpsync.core.models import Address, ProviderRegion
from erpsync.core.timefmt import BEIJING

if TYPE_CHECKING:
    from opencc import OpenCC

__all__ = ["BEIJING", "DEFAULT_REGIONS", "DONGGUAN_SWITCH", "city_key", "coerce_regions", "region_for"]

#: the one switch date the notice gives (Q8, Q11): Dongguan, 2023-09-19 00:00 Beijing time
DONGGUAN_SWITCH = datetime(2023, 9, 19, 0, 0, tzinfo=BEIJING)


def _wanse(name: str, switch_at: datetime | None, *cities: str) -> ProviderRegion:
    return ProviderRegion(
        name=name,
        cities=cities,
        provider="Wanse",
        prefix="WS",
        switch_at=switch_at,
        previous_provider="J&T",
        previous_prefix="JT",
    )


DEFAULT_REGIONS: tuple[ProviderRegion, ...] = (
    _wanse("Dongguan", DONGGUAN_SWITCH, "东莞", "Dongguan"),
    _wanse("Shenzhen", None, "深圳", "Shenzhen"),
    _wanse("Guangzhou", None, "广州", "Guangzhou"),
)

# CJK Unified Ideographs and their extension A and compatibility blocks: only such text can hold a
# traditional character, so only it needs OpenCC.
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# "Dongguan Shi": the pinyin of 市 as a separate word (normalisation already drops "City").
_PINYIN_SHI = re.compile(r"[\s\-]+shi$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=4096)
def city_key(city: str) -> str:
    """The form two city names compare in: simplified, without 市/City/Shi, case-folded.

    ``東莞市``, ``东莞``, ``Dongguan``, ``dongguan city`` and ``Dongguan Shi`` all give one key
    per script (东莞 and dongguan stay two keys: a region lists both spellings).
    """
    text = city.strip()
    if _CJK.search(text):
        text = str(_t2s().convert(text))
    text = _PINYIN_SHI.sub("", text)
    return normalize_address(Address(city=text)).city


def region_for(address: Address, regions: Iterable[ProviderRegion]) -> ProviderRegion | None:
    """The region whose cities include the address's city (see the module docstring for spellings).

    ``None`` means outside every region's coverage (or a blank city). The first region listing
    the city wins.
    """
    city = city_key(address.city)
    if not city:
        return None
    return _index(regions).get(city)


#: each regions tuple's cities as keys, built on first use (a diff looks a region up per warehouse).
#: Keyed by identity, and each entry holds its tuple, so a key is never reused for another tuple.
_INDEXES: dict[int, tuple[tuple[ProviderRegion, ...], dict[str, ProviderRegion]]] = {}
_INDEXES_MAX = 64


def _index(regions: Iterable[ProviderRegion]) -> dict[str, ProviderRegion]:
    if not isinstance(regions, tuple):  # a list may change under a cache: index it afresh
        return _build_index(regions)
    found = _INDEXES.get(id(regions))
    if found is not None and found[0] is regions:
        return found[1]
    if len(_INDEXES) >= _INDEXES_MAX:
        _INDEXES.clear()
    index = _build_index(regions)
    _INDEXES[id(regions)] = (regions, index)
    return index


def _build_index(regions: Iterable[ProviderRegion]) -> dict[str, ProviderRegion]:
    index: dict[str, ProviderRegion] = {}
    for region in regions:
        for city in region.cities:
            index.setdefault(city_key(city), region)
    return index


def coerce_regions(value: Iterable[ProviderRegion] | None) -> tuple[ProviderRegion, ...]:
    """The configured regions, or the 2023 defaults when the configuration names none.

    The configuration loader already turns each ``[[aspects.pickup.regions]]`` table into a
    ``ProviderRegion`` and refuses a ``switch_at`` without a UTC offset, so only regions arrive here.
    """
    return DEFAULT_REGIONS if value is None else tuple(value)
