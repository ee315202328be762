"""First-mile pickup regions: which cities a provider covers, its waybill prefix, its switch date.

The defaults come from the 2023 provider switch notice (``docs/domain.md``, with its sources): in
Dongguan, Shenzhen and Guangzhou the pickup provider changed from J&T (极兔) to Wanse (万色, ``WS``
waybills) from 2023-09-19 00:00 Beijing time. Two parts are guesses: the notice gives that date for
Dongguan only (the others switched region by region before the end of September), and J&T's
``JT`` prefix is not in it. A warehouse whose city matches no region is outside pickup coverage: a
subscription request for it is silently ignored, so it can only DROP OFF. Configurations may
replace the table (``[aspects.pickup] regions = [...]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from erpsync.core.address import normalize_address
from erpsync.core.models import Address, ProviderRegion

__all__ = ["BEIJING", "DEFAULT_REGIONS", "coerce_regions", "region_for"]

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
_SWITCH_2023 = datetime(2023, 9, 19, 0, 0, tzinfo=BEIJING)


def _wanse(name: str, *cities: str) -> ProviderRegion:
    return ProviderRegion(
        name=name,
        cities=cities,
        provider="Wanse",
        prefix="WS",
        switch_at=_SWITCH_2023,
        previous_provider="J&T",
        previous_prefix="JT",
    )


DEFAULT_REGIONS: tuple[ProviderRegion, ...] = (
    _wanse("Dongguan", "东莞", "Dongguan"),
    _wanse("Shenzhen", "深圳", "Shenzhen"),
    _wanse("Guangzhou", "广州", "Guangzhou"),
)


def _city_key(city: str) -> str:
    return normalize_address(Address(city=city)).city


def region_for(address: Address, regions: Iterable[ProviderRegion]) -> ProviderRegion | None:
    """The region whose cities include the address's city (Chinese or English, any suffix/case).

    ``None`` means outside every region's coverage (or a blank city).
    """
    city = _city_key(address.city)
    if not city:
        return None
    for region in regions:
        if any(_city_key(c) == city for c in region.cities):
            return region
    return None


def coerce_regions(value: Iterable[ProviderRegion] | None) -> tuple[ProviderRegion, ...]:
    """The configured regions, or the 2023 defaults when the configuration names none.

    The configuration loader already turns each ``[[aspects.pickup.regions]]`` table into a
    ``ProviderRegion`` and refuses a ``switch_at`` without a UTC offset, so only regions arrive here.
    """
    return DEFAULT_REGIONS if value is None else tuple(value)
