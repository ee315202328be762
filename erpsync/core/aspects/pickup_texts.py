"""The words of the pickup aspect, in English and in the Chinese ops terms of ``docs/domain.md``.

Operators act on these texts, so they say what was seen and why it matters in the terms the
platform's notices use (商家后台, 审核中, 生效中, 上门揽收 PICK UP / 自寄 DROP OFF, 万色, 极兔), with
times in Beijing time, the clock sellers and providers keep. Each reason pairs a short English
``evidence`` line (logs and JSON) with the ``Texts`` a report shows; the words for statuses, modes,
providers, warehouses and times are in ``pickup_words.py`` (and importable from here).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, ParamSpec, cast

from erpsync.core.aspects.pickup_words import at, mode_words, provider_words, status_words, warehouse_words
from erpsync.core.models import PackageSignal, PickupConfirmation, SubscriptionStatus, Texts
from erpsync.core.pickup_guides import DEFAULT_GUIDES, Guides

__all__ = [
    "Reason",
    "at",
    "mode_words",
    "provider_words",
    "status_words",
    "warehouse_words",
]

_Words = tuple[str, Texts]
_P = ParamSpec("_P")


def _lazy(write: Callable[_P, _Words]) -> staticmethod[_P, Reason]:
    """A ``Reason`` maker that writes the words of ``write`` only when they are first read."""

    def reason(*args: _P.args, **kwargs: _P.kwargs) -> Reason:
        return Reason(write, args, kwargs)

    reason.__name__, reason.__doc__ = write.__name__, write.__doc__
    return staticmethod(reason)


def _few(write: Callable[_P, _Words]) -> Callable[_P, _Words]:
    """``write`` memoised, for a reason whose words depend on nothing or on values a run sees a
    few of (a city, the lookback): a diff of a shop outside every pickup region writes them for
    every warehouse, and the same words once do (texts are immutable, so drifts may share them)."""
    return cast("Callable[_P, _Words]", lru_cache(maxsize=64)(write))


class Reason:
    """One step of an inference: ``evidence`` for logs and JSON, ``why`` for people.

    Its words are written when first read: a diff infers a state for every warehouse, most
    warehouses raise no drift, and only a drift or a ``PickupState`` reads them. Two reasons are
    equal when their words are.
    """

    __slots__ = ("_args", "_kwargs", "_words", "_write")

    def __init__(self, write: Callable[..., _Words], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._write, self._args, self._kwargs = write, args, kwargs
        self._words: _Words | None = None

    def _read(self) -> _Words:
        if self._words is None:
            self._words = self._write(*self._args, **self._kwargs)
        return self._words

    @property
    def evidence(self) -> str:
        return self._read()[0]

    @property
    def why(self) -> Texts:
        return self._read()[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reason) and self._read() == other._read()

    def __hash__(self) -> int:
        return hash(self._read())

    def __repr__(self) -> str:
        return f"Reason(evidence={self.evidence!r}, why={self.why!r})"

    # --- what the Open API shows now ------------------------------------------------------------

    @_lazy
    def slots_offer(package_id: str) -> _Words:
        return (
            f"handover slots of package {package_id} offer pickup",
            Texts(
                f"TikTok offers pickup for package {package_id} now: the subscription is in effect",
                f"平台当前为包裹 {package_id} 提供上门揽收：揽收订阅生效中",
            ),
        )

    @_lazy
    def slots_refuse(package_id: str) -> _Words:
        return (
            f"handover slots of package {package_id} offer no pickup",
            Texts(
                f"TikTok offers no pickup for package {package_id} now, only drop-off",
                f"平台当前不为包裹 {package_id} 提供上门揽收，只能自寄",
            ),
        )

    @_lazy
    def offered_since(when: datetime) -> _Words:
        return (
            f"pickup offered since {when.isoformat()}",
            Texts(
                f"pickup offered since {at(when).en} (first seen then)", f"自{at(when).zh}起提供上门揽收（首次看到）"
            ),
        )

    @_lazy
    @_few
    def outside(city: str) -> _Words:
        city = city or "(blank)"
        return (
            f"city {city} is outside every pickup region",
            Texts(
                f"{city} is outside every pickup region: no provider collects there",
                f"{city}不在任何揽收服务商的覆盖范围内：没有司机上门揽收",
            ),
        )

    # --- a save in Seller Center ------------------------------------------------------------------

    @_lazy
    def saved(basis: Texts, seen_at: datetime, *, offered_stopped: bool) -> _Words:
        if offered_stopped:
            seen = Texts(
                "pickup stopped being offered, which a save of the warehouse address in Seller Center does",
                "平台不再提供上门揽收：商家后台重新保存仓库地址会导致这种情况",
            )
        else:
            seen = Texts("the warehouse address was re-saved in Seller Center", "商家后台的仓库地址被重新保存")
        return (
            f"warehouse address saved (seen at {seen_at.isoformat()}; {basis.en})",
            Texts(
                f"{seen.en}; a save restarts the pickup review. Best estimate of the save: {basis.en}",
                f"{seen.zh}；保存会重新触发揽收审核。保存时间的最佳估计：{basis.zh}",
            ),
        )

    @_lazy
    def activated(package: PackageSignal, provider: str, guides: Guides = DEFAULT_GUIDES) -> _Words:
        words = provider_words(provider, guides)
        return (
            f"package {package.id} created after the save is PICK UP with waybill {package.tracking_number}",
            Texts(
                f"package {package.id}, created after the save, is labelled PICK UP with {words.en} waybill "
                f"{package.tracking_number}: the review went through",
                f"保存后创建的包裹 {package.id} 为上门揽收（PICK UP），{words.zh}运单号 "
                f"{package.tracking_number}：审核已通过",
            ),
        )

    @_lazy
    @_few
    def activated_before() -> _Words:
        return (
            "pickup was seen in effect after the save",
            Texts(
                "pickup was seen in effect after the save, and nothing newer contradicts it",
                "保存后已看到揽收生效，之后没有相反的证据",
            ),
        )

    @_lazy
    def declined(*, was_active: bool, erp_switched_at: datetime | None) -> _Words:
        """``erp_switched_at`` None: the ERP said DROP OFF since before a save made while pickup was in
        effect, which is how a mode mismatch's cancel steps leave it."""
        if erp_switched_at is None:
            return (
                "address re-saved while pickup was in effect and the ERP said DROP OFF: the cancel steps",
                Texts(
                    "the seller re-saved the address while pickup was in effect and the ERP already said DROP OFF, "
                    "as the steps to cancel pickup have it: taken as declining the provider's call. If you meant "
                    "to keep pickup, set the ERP to PICK UP",
                    "揽收生效中且 ERP 已设为自寄（DROP OFF）时，商家重新保存了地址，与取消揽收的步骤一致：视为取消"
                    "揽收（重新保存地址并在服务商来电时拒绝）。如需保留揽收，请将 ERP 设为上门揽收（PICK UP）",
                ),
            )
        before = (
            Texts("pickup was in effect before the save", "保存前揽收生效中")
            if was_active
            else Texts("pickup was not in effect before the save", "保存前未订阅揽收")
        )
        switched = at(erp_switched_at)
        return (
            f"address re-saved, then the ERP switched to DROP OFF; {before.en}",
            Texts(
                f"the seller re-saved the address and the ERP was then set to DROP OFF (seen at {switched.en}): "
                f"taken as declining the provider's call; {before.en}. If you meant to subscribe, set the ERP to "
                "PICK UP",
                f"商家重新保存了地址，随后 ERP 改为自寄（DROP OFF）（{switched.zh}发现）：视为取消揽收"
                f"（重新保存地址并在服务商来电时拒绝）；{before.zh}。如需订阅揽收，请将 ERP 设为上门揽收（PICK UP）",
            ),
        )

    @_lazy
    @_few
    def erp_kept_drop_off() -> _Words:
        return (
            "the ERP said DROP OFF before the save and has not changed since: not read as declining the call",
            Texts(
                "the ERP was already set to DROP OFF before the save and has not changed since: the save asks "
                "for pickup and the ERP disagrees (only an ERP switched to DROP OFF after a save is read as "
                "declining the provider's call)",
                "ERP 在保存前已设为自寄（DROP OFF），之后未改：保存即申请揽收，与 ERP 的设置不一致"
                "（只有保存后 ERP 改为自寄，才视为在服务商来电时拒绝揽收）",
            ),
        )

    @_lazy
    def pending(since: datetime, sla_hours: float) -> _Words:
        return (
            f"review pending since {since.isoformat()}",
            Texts(
                f"review pending since {at(since).en}: the provider should call to confirm within {sla_hours:g} h; "
                "until the review completes parcels go DROP OFF",
                f"自{at(since).zh}起审核中：服务商应在{sla_hours:g}小时内来电确认；"
                "审核完成前包裹按自寄（DROP OFF）发货",
            ),
        )

    # --- packages, when no slots were read ------------------------------------------------------

    @_lazy
    def newest_pickup(package: PackageSignal, provider: str, guides: Guides = DEFAULT_GUIDES) -> _Words:
        words = provider_words(provider, guides)
        return (
            f"newest package {package.id} is PICK UP with waybill {package.tracking_number}",
            Texts(
                f"the newest package {package.id} is labelled PICK UP with {words.en} waybill "
                f"{package.tracking_number}",
                f"最新包裹 {package.id} 为上门揽收（PICK UP），{words.zh}运单号 {package.tracking_number}",
            ),
        )

    @_lazy
    def newest_drop_off(package: PackageSignal) -> _Words:
        return (
            f"newest package {package.id} is DROP OFF",
            Texts(f"the newest package {package.id} is labelled DROP OFF", f"最新包裹 {package.id} 为自寄（DROP OFF）"),
        )

    @_lazy
    @_few
    def either_way() -> _Words:
        return (
            "not subscribed, or cancelled (declining the provider's call looks the same)",
            Texts(
                "not subscribed, or cancelled: from outside Seller Center the two look the same",
                "未订阅或已取消揽收：在商家后台之外两者无法区分",
            ),
        )

    @_lazy
    @_few
    def no_packages(days: int) -> _Words:
        return (
            f"no packages in the last {days} days",
            Texts(
                f"no packages from this warehouse in the last {days} days: nothing shows the subscription",
                f"近{days}天该仓库没有包裹：无法看出揽收订阅状态",
            ),
        )

    @_lazy
    def label_only(package: PackageSignal) -> _Words:
        waybill = package.tracking_number or "(none)"
        return (
            f"newest package {package.id} is labelled PICK UP but waybill {waybill} carries no provider prefix: "
            "a label is not proof of a subscription",
            Texts(
                f"the newest package {package.id} is labelled PICK UP, but waybill {waybill} is no provider's: "
                "a label shows what the ERP asked for, not a subscription",
                f"最新包裹 {package.id} 标为上门揽收（PICK UP），但运单号 {waybill} 不属于任何揽收服务商："
                "面单只反映 ERP 的设置，不能证明已订阅揽收",
            ),
        )

    # --- an operator's record --------------------------------------------------------------------

    @_lazy
    def confirmed(c: PickupConfirmation) -> _Words:
        status = status_words(c.status)
        return (
            f"an operator confirmed {c.status.value} at {c.confirmed_at.isoformat()}, "
            f"valid until {c.expires_at.isoformat()}",
            Texts(
                f"an operator saw {status.en} in Seller Center at {at(c.confirmed_at).en} (recorded until "
                f"{at(c.expires_at).en}): newer than the evidence erpsync reads, so it counts",
                f"操作员于{at(c.confirmed_at).zh}在商家后台确认为「{status.zh}」（记录有效至"
                f"{at(c.expires_at).zh}）：比 erpsync 读到的证据更新，以此为准",
            ),
        )

    @_lazy
    def declined_recorded(status: SubscriptionStatus, last_in_force: datetime) -> _Words:
        words = status_words(status)
        return (
            f"an operator recorded {status.value} after the save (in force until at least "
            f"{last_in_force.isoformat()}); no save since",
            Texts(
                f"an operator recorded {words.en} after the save (the record was in force at "
                f"{at(last_in_force).en}): the provider's call was declined, and no save since asks for pickup "
                "again, so the record's expiry does not reopen the review",
                f"保存后操作员已记录为「{words.zh}」（{at(last_in_force).zh}时记录仍有效）：已在服务商来电时拒绝，"
                "此后没有再次保存地址申请揽收，记录过期后审核不会重新开启",
            ),
        )

    @_lazy
    def agrees(c: PickupConfirmation) -> _Words:
        return (
            f"confirmed by an operator at {c.confirmed_at.isoformat()}, until {c.expires_at.isoformat()}",
            Texts(
                f"confirmed by an operator at {at(c.confirmed_at).en}, until {at(c.expires_at).en}",
                f"操作员已于{at(c.confirmed_at).zh}确认（有效至{at(c.expires_at).zh}）",
            ),
        )

    @_lazy
    def overrides(c: PickupConfirmation) -> _Words:
        status = status_words(c.status)
        return (
            f"overrides the operator's record of {c.status.value} at {c.confirmed_at.isoformat()}",
            Texts(
                f"this overrides the operator's record of {status.en} at {at(c.confirmed_at).en}",
                f"此结论推翻了操作员于{at(c.confirmed_at).zh}记录的「{status.zh}」",
            ),
        )
