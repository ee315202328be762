"""First-mile pickup regions: which cities a provider covers, its waybill prefix, its switch date.

The defaults come from the 2023 provider switch notice: in Dongguan, Shenzhen and Guangzhou the
pickup provider changed from J&T (极兔, ``JT`` waybills) to Wanse (万色, ``WS`` waybills) from
2023-09-19 00:00 Beijing time. A warehouse whose city matches no region is outside pickup
coverage: a subscription request for it is silently ignored, so it can only DROP OFF.
Configurations may replace the table (``[aspects.pickup] regions = [...]``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from erpsync.core.address import normalize_address
from erpsync.core.errors import ConfigError
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


def coerce_regions(value: Any) -> tuple[ProviderRegion, ...]:
    """Accept ``ProviderRegion`` objects or configuration tables (``switch_at`` as ISO 8601)."""
    if value is None:
        return DEFAULT_REGIONS
    out = []
    for i, item in enumerate(value):
        if isinstance(item, ProviderRegion):
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            raise ConfigError("expected a table", key=f"regions[{i}]")
        try:
            data = dict(item)
            if isinstance(data.get("switch_at"), str):
                data["switch_at"] = datetime.fromisoformat(data["switch_at"])
            data["cities"] = tuple(data.get("cities", ()))
            region = ProviderRegion(**data)
        except (TypeError, ValueError) as exc:
            raise ConfigError(str(exc), key=f"regions[{i}]") from exc
        if region.switch_at.tzinfo is None:
            region = ProviderRegion(**{**data, "switch_at": region.switch_at.replace(tzinfo=BEIJING)})
        out.append(region)
    return tuple(out)
