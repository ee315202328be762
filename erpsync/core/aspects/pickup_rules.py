"""The pickup aspect's drift rules (pure): what ops must know about one seller warehouse.

The rules are listed in the docstring of ``aspects/pickup.py``; ``pickup_drifts.py`` runs them
over a shop. Each drift says what was seen and why in both languages (``Drift.summary``,
``Drift.why``) and carries the guided fix for what only Seller Center can change
(``Drift.steps``, from ``erpsync.core.pickup_guides``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from erpsync.core.aspects.pickup_advice import (
    LEFT_AS_IS,
    NO_DRIVER,
    NO_PARCELS,
    SET_DROP_OFF,
    erp_disagrees,
    record_declined,
)
from erpsync.core.aspects.pickup_evidence import Draft, after, aware, still_to_hand_over
from erpsync.core.aspects.pickup_observation import PickupObservation
from erpsync.core.aspects.pickup_state import effective_mode
from erpsync.core.aspects.pickup_words import at, mode_words, provider_words, status_words, warehouse_words
from erpsync.core.models import (
    Drift,
    HandoverMode,
    PackageSignal,
    PickupSignals,
    ProviderRegion,
    SaveEstimate,
    Severity,
    Texts,
    Warehouse,
)
from erpsync.core.models import SubscriptionStatus as S
from erpsync.core.pickup_guides import steps_for_drift

__all__ = ["CAN_FIRE", "RULES", "WarehouseView", "shortlist", "stale_waybills"]

# Modes, statuses and severities as module names: the rules run per warehouse, and an enum class's
# attribute (``S.ACTIVE``) costs five times a name in Python 3.11 (``EnumType.__getattr__``).
PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF
ACTIVE, PENDING_REVIEW, UNKNOWN, OUT_OF_COVERAGE = S.ACTIVE, S.PENDING_REVIEW, S.UNKNOWN, S.OUT_OF_COVERAGE
CRITICAL, WARNING = Severity.CRITICAL, Severity.WARNING
_EFFECTIVE = {status: effective_mode(status) for status in S}

#: labels that contradict a subscription status, and how bad that is (问题14): PICK UP without a
#: subscription means no driver comes; DROP OFF while subscribed means the driver finds no parcels
_CONTRADICTING = {
    S.ACTIVE: (DROP_OFF, Severity.WARNING),
    S.NOT_SUBSCRIBED: (PICKUP, Severity.CRITICAL),
    S.CANCELLED: (PICKUP, Severity.CRITICAL),
    S.OUT_OF_COVERAGE: (PICKUP, Severity.CRITICAL),
}


def shortlist(packages: list[PackageSignal], show: Callable[[PackageSignal], str]) -> str:
    """The first three, and how many more: a drift's text names a few parcels, not all of them."""
    more = f" +{len(packages) - 3}" if len(packages) > 3 else ""
    return ", ".join(show(p) for p in packages[:3]) + more


@lru_cache(maxsize=64)
def _zh_place(region: ProviderRegion) -> str:
    """The region's Chinese name, if its cities list one (memoised: a run knows a few regions)."""
    return next((c for c in region.cities if any("\u4e00" <= ch <= "\u9fff" for ch in c)), region.name)


@dataclass(slots=True)
class WarehouseView:
    """One seller warehouse with everything its rules look at.

    One per diff call, aimed at each warehouse in turn (``aim``): no rule keeps it, and a shop's
    diff then costs no object per warehouse. ``draft`` is the warehouse's inferred state before
    it becomes a ``PickupState`` (``infer_draft``): the rules read its status, confidence,
    provider and dates, and its reasons' words only for a drift they raise.
    """

    obs: PickupObservation
    aspect: str
    wh: Warehouse = field(init=False)
    draft: Draft = field(init=False)
    save: SaveEstimate | None = field(init=False)  # the latest save erpsync saw, if any
    effective: HandoverMode | None = field(init=False)  # how parcels go, from the draft's status
    erp: Warehouse | None = field(init=False)
    region: ProviderRegion | None = field(init=False)
    mode: HandoverMode | None = field(init=False)  # the ERP's
    signals: PickupSignals | None = field(init=False)

    def aim(
        self,
        wh: Warehouse,
        draft: Draft,
        save: SaveEstimate | None,
        erp: Warehouse | None,
        region: ProviderRegion | None,
        mode: HandoverMode | None,
        signals: PickupSignals | None,
    ) -> None:
        self.wh, self.draft, self.save, self.effective = wh, draft, save, _EFFECTIVE[draft.status]
        self.erp, self.region, self.mode, self.signals = erp, region, mode, signals

    @property
    def why(self) -> tuple[Texts, ...]:
        """The state's reasons for people, as ``PickupState.why`` says them."""
        return tuple([r.why for r in self.draft.reasons])

    def drift(
        self,
        kind: str,
        fld: str,
        values: tuple[str | None, str | None],
        severity: Severity,
        summary: Texts,
        why: tuple[Texts, ...],
        identity: str | None = None,
        stage_of: str | None = None,
    ) -> Drift:
        region = self.region
        provider = self.draft.provider or (region.provider if region else None)
        steps = steps_for_drift(
            kind,
            guides=self.obs.guides,
            erp_mode=self.mode,
            provider=provider,
            region=region.name if region else None,
            shop=self.obs.shop,
            warehouse=self.wh.id,
            covered=self.draft.status is not OUT_OF_COVERAGE,
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
            identity,
            summary,
            why,
            steps,
            stage_of,
        )


def _mode_mismatch(w: WarehouseView) -> Drift | None:
    """ERP mode vs effective mode; never during a review (the ERP's PICK UP is where it leads)."""
    d, erp, mode, effective = w.draft, w.erp, w.mode, w.effective
    if erp is None or mode is None or effective is None or d.status is PENDING_REVIEW:
        return None
    if mode is effective:
        return None
    name, said, eff, status = (
        warehouse_words(w.wh),
        mode_words(mode),
        mode_words(effective),
        status_words(d.status),
    )
    summary = Texts(
        f"{name.en}: the ERP (warehouse {erp.id}) says {said.en}, but Seller Center's pickup is {status.en}: "
        f"parcels go {eff.en}",
        f"{name.zh}：ERP（仓库 {erp.id}）设为{said.zh}，但商家后台揽收状态为「{status.zh}」：包裹应按{eff.zh}发货",
    )
    severity = CRITICAL if mode is PICKUP else WARNING
    values = (effective.label, mode.label)
    consequence = NO_DRIVER if mode is PICKUP else NO_PARCELS
    return w.drift("mode_mismatch", "handover_mode", values, severity, summary, (*w.why, consequence), "|".join(values))


def _unconfirmed(w: WarehouseView) -> Drift | None:
    """No evidence settles the state: never "in sync"; say what would settle it."""
    if w.draft.status is not UNKNOWN:
        return None
    name, said = warehouse_words(w.wh), mode_words(w.mode)
    confirm = f"erpsync pickup confirm --shop {w.obs.shop} --warehouse {w.wh.id} --status active|not_subscribed|pending"
    summary = Texts(
        f"{name.en}: pickup subscription unconfirmed (ERP says {said.en}); a package from this warehouse settles it, "
        f"or record what Seller Center shows: {confirm}",
        f"{name.zh}：揽收订阅状态未确认（ERP 设为{said.zh}）；该仓库发出一个包裹即可确认，"
        f"或在商家后台查看后记录：{confirm}",
    )
    severity = CRITICAL if w.mode is PICKUP else WARNING
    identity = w.mode.label if w.mode else "none"
    values = (S.UNKNOWN.value, w.mode.label if w.mode else None)
    return w.drift("pickup_unconfirmed", "subscription_status", values, severity, summary, w.why, identity)


def _review(w: WarehouseView) -> Drift | None:
    """A pending review: a warning under the SLA, critical from the first run past it."""
    d = w.draft
    if d.status is not PENDING_REVIEW or d.pending_since is None:
        return None
    sla = w.obs.review_sla_hours
    hours = (aware(w.obs.now) - aware(d.pending_since)).total_seconds() / 3600
    whole = int(hours)  # said in whole hours, rounded down: 23.6 h is not yet "24 h (limit 24 h)"
    name, since = warehouse_words(w.wh), at(d.pending_since)
    # the status alone, so reports spell it in the operator's words (审核中); the time is in the texts
    values = (S.PENDING_REVIEW.value, w.mode.label if w.mode else None)
    if hours < sla:
        erp = erp_disagrees(w.obs.shop, w.wh.id, w.erp) if w.mode is DROP_OFF else LEFT_AS_IS
        summary = Texts(
            f"{name.en}: pickup review pending for {whole} h (since {since.en}, limit {sla:g} h); parcels printed "
            f"meanwhile go DROP OFF, which the platform allows. {erp.en}",
            f"{name.zh}：揽收审核中已 {whole} 小时（自{since.zh}起，时限 {sla:g} 小时）；期间打印的包裹按自寄"
            f"（DROP OFF）发货，平台允许。{erp.zh}",
        )
        # an earlier stage of review_stuck: one drift that escalates when the review outlasts the limit
        return w.drift(
            "review_pending", "subscription_status", values, WARNING, summary, w.why, stage_of="review_stuck"
        )
    provider = provider_words(d.provider or (w.region.provider if w.region else None), w.obs.guides)
    summary = Texts(
        f"{name.en}: pickup review pending for {whole} h, over the {sla:g} h limit (since {since.en}): the phone "
        f"or address is probably wrong; check them in Seller Center and call {provider.en}",
        f"{name.zh}：揽收审核中已 {whole} 小时，超过 {sla:g} 小时时限（自{since.zh}起）：电话或地址可能有误；"
        f"请在商家后台核对，并致电{provider.zh}",
    )
    # a switch to DROP OFF ends only a review resting on a save (row 3); otherwise (no save: the
    # review is an operator's record) or with the ERP on DROP OFF already, only a record can
    ends = w.mode is PICKUP and w.save is not None
    recorded = w.save is None and d.confidence == "operator"
    declined = SET_DROP_OFF if ends else record_declined(w.obs.shop, w.wh.id, w.mode, recorded=recorded)
    return w.drift("review_stuck", "subscription_status", values, CRITICAL, summary, (*w.why, declined))


def _out_of_coverage(w: WarehouseView) -> Drift | None:
    """PICK UP where no provider collects."""
    if w.erp is None or w.mode is not PICKUP or w.region is not None or w.draft.status is ACTIVE:
        return None
    name, city = warehouse_words(w.wh), w.wh.address.city or "(blank)"
    summary = Texts(
        f"{name.en}: the ERP (warehouse {w.erp.id}) is set to PICK UP, but {city} is outside every pickup region: "
        "no driver will come",
        f"{name.zh}：ERP（仓库 {w.erp.id}）设为上门揽收（PICK UP），但{city}不在任何揽收范围内：不会有司机上门",
    )
    values = (w.wh.address.city, w.mode.label)
    return w.drift("pickup_out_of_coverage", "handover_mode", values, CRITICAL, summary, w.why)


def _labels(w: WarehouseView) -> Drift | None:
    """Parcels still to hand over, printed after the state began, whose labels contradict it."""
    d, effective = w.draft, w.effective
    contradicting = _CONTRADICTING.get(d.status)
    if (
        w.signals is None
        or not w.signals.packages
        or contradicting is None
        or d.confidence not in ("strong", "operator")
        or effective is None
    ):
        return None
    bad, severity = contradicting
    wrongly = [p for p in after(w.signals.packages, d.since) if p.handover_method is bad and still_to_hand_over(p)]
    if not wrongly:
        return None
    name, label, status = warehouse_words(w.wh), mode_words(bad), status_words(d.status)
    listed = shortlist(wrongly, lambda p: p.id)
    summary = Texts(
        f"{name.en}: {len(wrongly)} parcel(s) not yet handed over are labelled {label.en} while Seller Center's "
        f"pickup is {status.en}: {listed}",
        f"{name.zh}：{len(wrongly)} 个尚未交接的包裹面单为{label.zh}，但商家后台揽收状态为「{status.zh}」：{listed}",
    )
    consequence = NO_DRIVER if bad is PICKUP else NO_PARCELS
    values = (effective.label, f"{len(wrongly)} package(s) labelled {bad.label}: {listed}")
    return w.drift(
        "label_mode_mismatch", "handover_method", values, severity, summary, (*w.why, consequence), bad.label
    )


def stale_waybills(region: ProviderRegion | None, signals: PickupSignals | None) -> list[PackageSignal]:
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


def _waybills(w: WarehouseView) -> Drift | None:
    """Pickup waybills printed after a dated switch without the new provider's prefix."""
    region = w.region
    if region is None or region.switch_at is None or w.signals is None or not w.signals.packages:
        return None
    stale = stale_waybills(region, w.signals)
    if not stale:
        return None
    name, switch = warehouse_words(w.wh), at(region.switch_at)
    new, old = provider_words(region.provider, w.obs.guides), provider_words(region.previous_provider, w.obs.guides)
    listed = shortlist(stale, lambda p: p.tracking_number or "")
    summary = Texts(
        f"{name.en}: {len(stale)} PICK UP waybill(s) created after {switch.en} do not start with {region.prefix} "
        f"({new.en} took over {region.name} from {old.en}): {listed}",
        f"{name.zh}：{switch.zh}之后创建的 {len(stale)} 个上门揽收运单号不以 {region.prefix} 开头（{_zh_place(region)}"
        f"的揽收服务商已由{old.zh}换为{new.zh}）：{listed}",
    )
    values = (f"{region.prefix}…", ", ".join(p.tracking_number or "" for p in stale[:5]))
    return w.drift("waybill_provider_mismatch", "tracking_number", values, WARNING, summary, w.why)


RULES = (_mode_mismatch, _unconfirmed, _review, _out_of_coverage, _labels, _waybills)
#: the rules that can fire for each status, in ``RULES`` order: each rule asks for the status it
#: applies to first, so asking the others costs a call per warehouse and rule for nothing
CAN_FIRE = {
    status: tuple(
        r
        for r in RULES
        if not (
            (r is _unconfirmed and status is not UNKNOWN)
            or (r is _review and status is not PENDING_REVIEW)
            or (r is _mode_mismatch and status in (UNKNOWN, PENDING_REVIEW))
            or (r is _out_of_coverage and status is ACTIVE)
            or (r is _labels and status not in _CONTRADICTING)
        )
    )
    for status in S
}
