"""The pickup aspect's drift rules and notes (pure): what ops must know about each warehouse.

The rules are listed in the docstring of ``aspects/pickup.py``. Each drift says what was seen and
why in both languages (``Drift.summary``, ``Drift.why``) and carries the guided fix for what only
Seller Center can change (``Drift.steps``, from ``erpsync.core.pickup_guides``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from erpsync.core.aspects.pickup_evidence import after, aware, still_to_hand_over
from erpsync.core.aspects.pickup_observation import PickupObservation
from erpsync.core.aspects.pickup_texts import at, mode_words, provider_words, status_words, warehouse_words
from erpsync.core.models import (
    Drift,
    HandoverMode,
    PackageSignal,
    PickupSignals,
    PickupState,
    ProviderRegion,
    Severity,
    Texts,
    Warehouse,
)
from erpsync.core.models import SubscriptionStatus as S
from erpsync.core.pickup_guides import steps_for_drift
from erpsync.core.pickup_regions import region_for

__all__ = ["pickup_drifts", "pickup_notes"]

PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF

#: labels that contradict a subscription status, and how bad that is (问题14): PICK UP without a
#: subscription means no driver comes; DROP OFF while subscribed means the driver finds no parcels
_CONTRADICTING = {
    S.ACTIVE: (DROP_OFF, Severity.WARNING),
    S.NOT_SUBSCRIBED: (PICKUP, Severity.CRITICAL),
    S.CANCELLED: (PICKUP, Severity.CRITICAL),
    S.OUT_OF_COVERAGE: (PICKUP, Severity.CRITICAL),
}
_NO_DRIVER = Texts(
    "PICK UP labels while pickup is not in effect: no driver comes for those parcels",
    "揽收未生效却打印上门揽收（PICK UP）面单：不会有司机来揽收这些包裹",
)
_NO_PARCELS = Texts(
    "DROP OFF labels while pickup is in effect: the driver finds no parcels to collect",
    "揽收生效中却打印自寄（DROP OFF）面单：司机上门时没有可揽收的包裹",
)


def _listed(packages: list[PackageSignal], show: Callable[[PackageSignal], str]) -> str:
    more = f" +{len(packages) - 3}" if len(packages) > 3 else ""
    return ", ".join(show(p) for p in packages[:3]) + more


def _zh_place(region: ProviderRegion) -> str:
    """The region's Chinese name, if its cities list one."""
    return next((c for c in region.cities if any("\u4e00" <= ch <= "\u9fff" for ch in c)), region.name)


@dataclass(slots=True)
class _Warehouse:
    """One seller warehouse with everything its rules look at."""

    obs: PickupObservation
    aspect: str
    wh: Warehouse
    state: PickupState
    erp: Warehouse | None
    region: ProviderRegion | None
    mode: HandoverMode | None  # the ERP's

    @property
    def packages(self) -> list[PackageSignal]:
        signals = self.obs.signals.get(self.wh.id)
        return list(signals.packages) if signals else []

    def drift(
        self,
        kind: str,
        fld: str,
        values: tuple[str | None, str | None],
        severity: Severity,
        summary: Texts,
        why: tuple[Texts, ...],
        identity: str | None = None,
    ) -> Drift:
        provider = self.state.provider or (self.region.provider if self.region else None)
        steps = steps_for_drift(
            kind,
            guides=self.obs.guides,
            erp_mode=self.mode,
            provider=provider,
            region=self.region.name if self.region else None,
            shop=self.obs.shop,
            warehouse=self.wh.id,
        )
        return Drift(
            self.obs.shop,
            self.aspect,
            kind,
            self.wh.id,
            fld,
            values[0],
            values[1],
            severity,
            summary.en,
            identity=identity,
            summary=summary,
            why=why,
            steps=steps,
        )


def _mode_mismatch(w: _Warehouse) -> Drift | None:
    """ERP mode vs effective mode; never during a review (the ERP's PICK UP is where it leads)."""
    st, erp, mode = w.state, w.erp, w.mode
    if erp is None or mode is None or st.effective_mode is None or st.status is S.PENDING_REVIEW:
        return None
    if mode is st.effective_mode:
        return None
    name, said, eff, status = (
        warehouse_words(w.wh),
        mode_words(mode),
        mode_words(st.effective_mode),
        status_words(st.status),
    )
    summary = Texts(
        f"{name.en}: the ERP (warehouse {erp.id}) says {said.en}, but Seller Center's pickup is {status.en}: "
        f"parcels go {eff.en}",
        f"{name.zh}：ERP（仓库 {erp.id}）设为{said.zh}，但商家后台揽收状态为「{status.zh}」：包裹应按{eff.zh}发货",
    )
    severity = Severity.CRITICAL if mode is PICKUP else Severity.WARNING
    values = (st.effective_mode.label, mode.label)
    consequence = _NO_DRIVER if mode is PICKUP else _NO_PARCELS
    return w.drift(
        "mode_mismatch", "handover_mode", values, severity, summary, (*st.why, consequence), "|".join(values)
    )


def _unconfirmed(w: _Warehouse) -> Drift | None:
    """No evidence settles the state: never "in sync"; say what would settle it."""
    if w.state.status is not S.UNKNOWN:
        return None
    name, said = warehouse_words(w.wh), mode_words(w.mode)
    confirm = f"erpsync pickup confirm --shop {w.obs.shop} --warehouse {w.wh.id} --status active|not_subscribed|pending"
    summary = Texts(
        f"{name.en}: pickup subscription unconfirmed (ERP says {said.en}); a package from this warehouse settles it, "
        f"or record what Seller Center shows: {confirm}",
        f"{name.zh}：揽收订阅状态未确认（ERP 设为{said.zh}）；该仓库发出一个包裹即可确认，"
        f"或在商家后台查看后记录：{confirm}",
    )
    severity = Severity.CRITICAL if w.mode is PICKUP else Severity.WARNING
    identity = w.mode.label if w.mode else "none"
    values = (S.UNKNOWN.value, w.mode.label if w.mode else None)
    return w.drift("pickup_unconfirmed", "subscription_status", values, severity, summary, w.state.why, identity)


def _review(w: _Warehouse) -> Drift | None:
    """A pending review: a warning under the SLA, critical from the first run past it."""
    st = w.state
    if st.status is not S.PENDING_REVIEW or st.pending_since is None:
        return None
    sla = w.obs.review_sla_hours
    hours = (aware(w.obs.now) - aware(st.pending_since)).total_seconds() / 3600
    name, since = warehouse_words(w.wh), at(st.pending_since)
    # the status alone, so reports spell it in the operator's words (审核中); the time is in the texts
    values = (S.PENDING_REVIEW.value, w.mode.label if w.mode else None)
    if hours < sla:
        summary = Texts(
            f"{name.en}: pickup review pending for {hours:.0f} h (since {since.en}, limit {sla:g} h); parcels printed "
            "meanwhile go DROP OFF, which the platform allows. The ERP is left as is: the review should make "
            "pickup active",
            f"{name.zh}：揽收审核中已 {hours:.0f} 小时（自{since.zh}起，时限 {sla:g} 小时）；期间打印的包裹按自寄"
            "（DROP OFF）发货，平台允许。ERP 设置不变：审核通过后揽收将生效",
        )
        return w.drift("review_pending", "subscription_status", values, Severity.WARNING, summary, st.why)
    provider = provider_words(st.provider or (w.region.provider if w.region else None), w.obs.guides)
    summary = Texts(
        f"{name.en}: pickup review pending for {hours:.0f} h, over the {sla:g} h limit (since {since.en}): the phone "
        f"or address is probably wrong; check them in Seller Center and call {provider.en}",
        f"{name.zh}：揽收审核中已 {hours:.0f} 小时，超过 {sla:g} 小时时限（自{since.zh}起）：电话或地址可能有误；"
        f"请在商家后台核对，并致电{provider.zh}",
    )
    declined = Texts(
        "if the seller declined the provider's call to cancel pickup, set the ERP to DROP OFF: erpsync then "
        "reads it as cancelled",
        "如商家已在服务商来电时拒绝（取消揽收），请将 ERP 设为自寄（DROP OFF）：erpsync 会据此判断为已取消",
    )
    return w.drift("review_stuck", "subscription_status", values, Severity.CRITICAL, summary, (*st.why, declined))


def _out_of_coverage(w: _Warehouse) -> Drift | None:
    """PICK UP where no provider collects."""
    if w.erp is None or w.mode is not PICKUP or w.region is not None or w.state.status is S.ACTIVE:
        return None
    name, city = warehouse_words(w.wh), w.wh.address.city or "(blank)"
    summary = Texts(
        f"{name.en}: the ERP (warehouse {w.erp.id}) is set to PICK UP, but {city} is outside every pickup region: "
        "no driver will come",
        f"{name.zh}：ERP（仓库 {w.erp.id}）设为上门揽收（PICK UP），但{city}不在任何揽收范围内：不会有司机上门",
    )
    values = (w.wh.address.city, w.mode.label)
    return w.drift("pickup_out_of_coverage", "handover_mode", values, Severity.CRITICAL, summary, w.state.why)


def _labels(w: _Warehouse) -> Drift | None:
    """Parcels still to hand over, printed after the state began, whose labels contradict it."""
    st = w.state
    contradicting = _CONTRADICTING.get(st.status)
    if contradicting is None or st.confidence not in ("strong", "operator") or st.effective_mode is None:
        return None
    bad, severity = contradicting
    wrongly = [p for p in after(w.packages, st.since) if p.handover_method is bad and still_to_hand_over(p)]
    if not wrongly:
        return None
    name, label, status = warehouse_words(w.wh), mode_words(bad), status_words(st.status)
    listed = _listed(wrongly, lambda p: p.id)
    summary = Texts(
        f"{name.en}: {len(wrongly)} parcel(s) not yet handed over are labelled {label.en} while Seller Center's "
        f"pickup is {status.en}: {listed}",
        f"{name.zh}：{len(wrongly)} 个尚未交接的包裹面单为{label.zh}，但商家后台揽收状态为「{status.zh}」：{listed}",
    )
    consequence = _NO_DRIVER if bad is PICKUP else _NO_PARCELS
    values = (st.effective_mode.label, f"{len(wrongly)} package(s) labelled {bad.label}: {listed}")
    return w.drift(
        "label_mode_mismatch", "handover_method", values, severity, summary, (*st.why, consequence), bad.label
    )


def _stale_waybills(region: ProviderRegion | None, signals: PickupSignals | None) -> list[PackageSignal]:
    """PICK UP waybills still to hand over that do not carry the region's current prefix."""
    if region is None or signals is None:
        return []
    prefix, switch = region.prefix.upper(), region.switch_at
    return [
        p
        for p in signals.packages
        if p.handover_method is PICKUP
        and still_to_hand_over(p)
        and p.tracking_number
        and not p.tracking_number.strip().upper().startswith(prefix)
        and (switch is None or (p.created_at is not None and aware(p.created_at) >= aware(switch)))
    ]


def _waybills(w: _Warehouse) -> Drift | None:
    """Pickup waybills printed after a dated switch without the new provider's prefix."""
    region = w.region
    if region is None or region.switch_at is None:
        return None
    stale = _stale_waybills(region, w.obs.signals.get(w.wh.id))
    if not stale:
        return None
    name, switch = warehouse_words(w.wh), at(region.switch_at)
    new, old = provider_words(region.provider, w.obs.guides), provider_words(region.previous_provider, w.obs.guides)
    listed = _listed(stale, lambda p: p.tracking_number or "")
    summary = Texts(
        f"{name.en}: {len(stale)} PICK UP waybill(s) created after {switch.en} do not start with {region.prefix} "
        f"({new.en} took over {region.name} from {old.en}): {listed}",
        f"{name.zh}：{switch.zh}之后创建的 {len(stale)} 个上门揽收运单号不以 {region.prefix} 开头（{_zh_place(region)}"
        f"的揽收服务商已由{old.zh}换为{new.zh}）：{listed}",
    )
    values = (f"{region.prefix}…", ", ".join(p.tracking_number or "" for p in stale[:5]))
    return w.drift("waybill_provider_mismatch", "tracking_number", values, Severity.WARNING, summary, w.state.why)


_RULES = (_mode_mismatch, _unconfirmed, _review, _out_of_coverage, _labels, _waybills)


def _warehouses(aspect: str, obs: PickupObservation) -> list[_Warehouse]:
    erp_for, regions = obs.erp_for(), obs.regions
    out = []
    for wh in obs.seller_warehouses:
        erp = erp_for.get(wh.id)
        mode = erp.handover_mode if erp is not None else None
        out.append(_Warehouse(obs, aspect, wh, obs.state_for(wh), erp, region_for(wh.address, regions), mode))
    return out


def pickup_drifts(aspect: str, obs: PickupObservation) -> list[Drift]:
    """Pure: every pickup drift in the observation."""
    return [d for w in _warehouses(aspect, obs) for rule in _RULES if (d := rule(w)) is not None]


def pickup_notes(obs: PickupObservation) -> list[str]:
    """What could not be compared, said instead of guessed (``observe`` stores these).

    Nothing here depends on the inferred state, so none is inferred.
    """
    notes = []
    erp_for = obs.erp_for()
    for wh in obs.seller_warehouses:
        erp = erp_for.get(wh.id)
        if erp is not None and erp.handover_mode is None:
            notes.append(f"{wh.id}: ERP warehouse {erp.id} keeps no handover mode: not compared")
        region = region_for(wh.address, obs.regions)
        if (
            region is not None
            and region.switch_at is None
            and (stale := _stale_waybills(region, obs.signals.get(wh.id)))
        ):
            notes.append(
                f"{wh.id}: {len(stale)} PICK UP waybill(s) do not start with {region.prefix} "
                f"({_listed(stale, lambda p: p.tracking_number or '')}), but no switch date is known for "
                f"{region.name}: configure switch_at in [[aspects.pickup.regions]] to check them"
            )
    return notes
