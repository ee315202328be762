"""The pickup aspect's words for statuses, modes, providers, warehouses and times, in both languages.

The Chinese is the ops terms of ``docs/domain.md`` (生效中, 审核中, 上门揽收 PICK UP / 自寄 DROP OFF),
times are Beijing time; ``pickup_texts.py`` builds the reasons from these.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from erpsync.core.models import HandoverMode, SubscriptionStatus, Texts, Warehouse
from erpsync.core.pickup_guides import DEFAULT_GUIDES, Guides
from erpsync.core.timefmt import beijing_time

__all__ = ["at", "mode_words", "provider_words", "status_words", "warehouse_words"]

S = SubscriptionStatus

_STATUS = {
    S.ACTIVE: Texts("active", "生效中"),
    S.PENDING_REVIEW: Texts("under review", "审核中"),
    S.NOT_SUBSCRIBED: Texts("not subscribed", "未订阅"),
    S.CANCELLED: Texts("cancelled", "已取消"),
    S.OUT_OF_COVERAGE: Texts("outside pickup coverage", "不在揽收范围内"),
    S.UNKNOWN: Texts("unconfirmed", "未确认"),
}


def status_words(status: SubscriptionStatus) -> Texts:
    return _STATUS[status]


_MODES = {
    None: Texts("no handover mode", "未设置交接方式"),
    HandoverMode.PICKUP: Texts(HandoverMode.PICKUP.label, f"上门揽收（{HandoverMode.PICKUP.label}）"),
    HandoverMode.DROP_OFF: Texts(HandoverMode.DROP_OFF.label, f"自寄（{HandoverMode.DROP_OFF.label}）"),
}


def mode_words(mode: HandoverMode | None) -> Texts:
    """``PICK UP`` / ``上门揽收（PICK UP）``; no mode: "no handover mode"."""
    return _MODES[mode]


def provider_words(provider: str | None, guides: Guides = DEFAULT_GUIDES) -> Texts:
    """A provider as the drift texts name it: as configured in English, by the guides' name in Chinese.

    The guides' ``names`` (万色 for Wanse, as the switch notice writes it) are the one list of
    providers' names, so a configuration that names a provider names it here too.
    """
    if not provider:
        return Texts("the provider", "揽收服务商")
    return Texts(provider, guides.name(provider).zh)


def warehouse_words(warehouse: Warehouse) -> Texts:
    if warehouse.name and warehouse.name != warehouse.id:
        return Texts(f"warehouse {warehouse.name} ({warehouse.id})", f"仓库 {warehouse.name}（{warehouse.id}）")
    return Texts(f"warehouse {warehouse.id}", f"仓库 {warehouse.id}")


@lru_cache(maxsize=1024)
def at(when: datetime) -> Texts:
    """A time in Beijing time, in both languages.

    Memoised: a shop's drifts name a few times many times (a region's switch date, the runs that
    saw a save). Equal datetimes are one instant, which reads the same in Beijing time.
    """
    return Texts(beijing_time(when, "en"), beijing_time(when, "zh"))
