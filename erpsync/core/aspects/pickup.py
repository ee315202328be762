"""The pickup aspect: Seller Center's first-mile pickup subscription vs the ERP's handover mode.

The Open API has no call that returns the subscription (揽收订阅). erpsync *infers* it from the
evidence the API does show, and says how sure it is (``PickupState.confidence``):

=================================================================  =================  ==========
evidence (newest first)                                            status             confidence
=================================================================  =================  ==========
handover slots offer pickup (``can_pickup``)                       ACTIVE             strong
slots offer no pickup, city outside every region                   OUT_OF_COVERAGE    strong
slots offer no pickup, address re-saved within the lookback        PENDING_REVIEW     strong
slots offer no pickup, otherwise                                   NOT_SUBSCRIBED     strong
  (or cancelled: declining the provider's call looks the same)
no slots; newest package since the last address change is          ACTIVE             weak
  PICK UP with the region's waybill prefix (WS, or JT before)
no slots; city outside every region                                OUT_OF_COVERAGE    weak
no slots and no package since the last change                      UNKNOWN            none
no slots; address re-saved within the lookback                     PENDING_REVIEW     weak
no slots; newest package DROP OFF                                  NOT_SUBSCRIBED     weak
no slots; newest package PICK UP without a provider prefix         UNKNOWN            none
  (a label is what the ERP asked for, not proof of a subscription)
=================================================================  =================  ==========

A pending review is known only because erpsync saw the address change: a save in Seller Center
re-triggers the request (``ObservationMemory.note_seller_address``). The effective handover mode
is PICK UP when ACTIVE, DROP OFF for every other known status (until a review completes the
seller may self-ship), and unknown for UNKNOWN: reports then say "not compared" instead of guessing.

Drift rules (``docs/domain.md``, Q14): ``mode_mismatch`` (ERP mode vs effective mode; the only one a
policy can fix), ``label_mode_mismatch`` (recent labels contradict the subscription),
``review_stuck`` (pending over ``review_sla_hours``), ``pickup_out_of_coverage`` (ERP says PICK UP
for a city no provider covers), ``waybill_provider_mismatch`` (a pickup waybill created after
the region's switch without the new provider's prefix).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from erpsync.core.address import address_fingerprint
from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext, UnsupportedAction
from erpsync.core.aspects.pickup_settings import PickupSettings
from erpsync.core.aspects.pickup_state import after, aware, infer_pickup_state
from erpsync.core.aspects.warehouse_address import bind_warehouses, connector_type, lacks
from erpsync.core.connector import Connector
from erpsync.core.models import (
    Action,
    Drift,
    HandoverMode,
    PackageSignal,
    PickupSignals,
    PickupState,
    ProviderRegion,
    Severity,
    SubscriptionStatus,
    Target,
    Warehouse,
)
from erpsync.core.pickup_regions import DEFAULT_REGIONS, coerce_regions, region_for
from erpsync.core.ports import PickupReader, PickupWriter, WarehouseReader

__all__ = ["PickupAspect", "PickupObservation", "infer_pickup_state", "pickup_drifts", "pickup_notes"]

S = SubscriptionStatus
SELLER_CENTER_ONLY = (
    "subscribe or cancel pickup in Seller Center: re-save the warehouse address "
    "(我的账号 - 商家资料 - 仓库地址) and accept/decline the provider's call"
)


@dataclass
class PickupObservation(Observation):
    seller_warehouses: list[Warehouse] = field(default_factory=list)
    erp_warehouses: list[Warehouse] = field(default_factory=list)
    signals: dict[str, PickupSignals] = field(default_factory=dict)
    address_changed_at: dict[str, datetime | None] = field(default_factory=dict)
    regions: tuple[ProviderRegion, ...] = DEFAULT_REGIONS
    review_sla_hours: float = 24
    lookback_days: int = 14

    def state_for(self, warehouse: Warehouse) -> PickupState:
        return infer_pickup_state(
            self.signals.get(warehouse.id),
            warehouse.address,
            self.address_changed_at.get(warehouse.id),
            self.regions,
            self.now,
            warehouse_id=warehouse.id,
            lookback=timedelta(days=self.lookback_days),
        )


#: labels that contradict a subscription status, and how bad that is (问题14): PICK UP without a
#: subscription means no driver comes; DROP OFF while subscribed means the driver finds no parcels
_CONTRADICTING = {
    S.ACTIVE: (HandoverMode.DROP_OFF, Severity.WARNING),
    S.NOT_SUBSCRIBED: (HandoverMode.PICKUP, Severity.CRITICAL),
    S.OUT_OF_COVERAGE: (HandoverMode.PICKUP, Severity.CRITICAL),
}


def _words(status: SubscriptionStatus) -> str:
    return status.value.replace("_", " ")


def _listed(packages: list[PackageSignal], show: str) -> str:
    items = [f"{p.id} ({getattr(p, show) or 'no waybill'})" if show != "id" else p.id for p in packages[:3]]
    more = f" and {len(packages) - 3} more" if len(packages) > 3 else ""
    return ", ".join(items) + more


def pickup_notes(obs: PickupObservation) -> list[str]:
    """What could not be compared, said instead of guessed (observe() stores these)."""
    notes = []
    for wh, erp in bind_warehouses(obs.seller_warehouses, obs.erp_warehouses).pairs:
        st = obs.state_for(wh)
        if erp.handover_mode is None:
            notes.append(f"{wh.id}: ERP warehouse {erp.id} keeps no handover mode: not compared")
        elif st.effective_mode is None:
            notes.append(f"{wh.id}: pickup state unknown ({st.evidence[-1]}): not compared")
    return notes


def pickup_drifts(aspect: str, obs: PickupObservation) -> list[Drift]:
    """Pure: every pickup drift in the observation (unknown states are notes: ``pickup_notes``).

    Labels are judged only on strong evidence and only for packages created after the latest
    address change: on weak evidence the subscription may have changed inside the window.
    """
    erp_for = {s.id: e for s, e in bind_warehouses(obs.seller_warehouses, obs.erp_warehouses).pairs}
    drifts: list[Drift] = []

    def drift(kind: str, wid: str, fld: str, s: str | None, e: str | None, sev: Severity, msg: str) -> None:
        drifts.append(Drift(obs.shop, aspect, kind, wid, fld, s, e, sev, msg))

    for wh in obs.seller_warehouses:
        st = obs.state_for(wh)
        erp = erp_for.get(wh.id)
        region = region_for(wh.address, obs.regions)
        signals = obs.signals.get(wh.id)
        packages = list(signals.packages) if signals else []
        why = "; ".join(st.evidence)
        # (a) the ERP's handover mode vs the effective mode (no mode or unknown state: see pickup_notes)
        if erp is not None and erp.handover_mode and st.effective_mode and erp.handover_mode is not st.effective_mode:
            sev = Severity.CRITICAL if erp.handover_mode is HandoverMode.PICKUP else Severity.WARNING
            drift(
                "mode_mismatch",
                wh.id,
                "handover_mode",
                st.effective_mode.label,
                erp.handover_mode.label,
                sev,
                f"warehouse {wh.id}: ERP warehouse {erp.id} is set to {erp.handover_mode.label}, but Seller "
                f"Center's pickup is {_words(st.status)} ({st.confidence} evidence: {why}): parcels go by "
                f"{st.effective_mode.label}",
            )
        # (d) PICK UP where no provider collects
        if (
            erp is not None
            and erp.handover_mode is HandoverMode.PICKUP
            and region is None
            and st.status is not S.ACTIVE
        ):
            drift(
                "pickup_out_of_coverage",
                wh.id,
                "handover_mode",
                wh.address.city,
                erp.handover_mode.label,
                Severity.CRITICAL,
                f"warehouse {wh.id}: ERP warehouse {erp.id} is set to PICK UP, but city "
                f"{wh.address.city or '(blank)'} is outside every pickup region: no driver will come",
            )
        # (b) labels that contradict the subscription (问题14)
        contradicting = _CONTRADICTING.get(st.status) if st.confidence == "strong" else None
        if contradicting is not None and st.effective_mode is not None:
            bad, sev = contradicting
            recent = after(packages, obs.address_changed_at.get(wh.id))
            wrongly = [p for p in recent if p.handover_method is bad]
            if wrongly:
                drift(
                    "label_mode_mismatch",
                    wh.id,
                    "handover_method",
                    st.effective_mode.label,
                    f"{len(wrongly)} package(s) labelled {bad.label}: {_listed(wrongly, 'id')}",
                    sev,
                    f"warehouse {wh.id}: {len(wrongly)} recent package(s) labelled {bad.label} while "
                    f"Seller Center's pickup is {_words(st.status)}: {_listed(wrongly, 'id')}; make the "
                    "ERP's warehouse address and pickup setting match Seller Center's",
                )
        # (c) a review the provider should have done within the SLA
        if st.status is S.PENDING_REVIEW and st.pending_since is not None:
            hours = (aware(obs.now) - st.pending_since).total_seconds() / 3600
            if hours > obs.review_sla_hours:
                provider = region.provider if region else "the provider"
                drift(
                    "review_stuck",
                    wh.id,
                    "subscription_status",
                    f"pending_review since {st.pending_since.isoformat()}",
                    None,
                    Severity.CRITICAL if st.confidence == "strong" else Severity.WARNING,
                    f"warehouse {wh.id}: pickup review pending for {hours:.0f} h (over "
                    f"{obs.review_sla_hours:g} h): phone or address is probably wrong: check it in "
                    f"Seller Center and call {provider} ({st.confidence} evidence: {why}). If you "
                    "cancelled pickup by declining the provider's call, this clears "
                    f"{obs.lookback_days} days after the change",
                )
        # (e) pickup waybills printed after the switch without the new provider's prefix
        if region is not None:
            stale = [
                p
                for p in packages
                if p.handover_method is HandoverMode.PICKUP
                and p.created_at is not None
                and aware(p.created_at) >= region.switch_at
                and p.tracking_number
                and not p.tracking_number.strip().upper().startswith(region.prefix.upper())
            ]
            if stale:
                drift(
                    "waybill_provider_mismatch",
                    wh.id,
                    "tracking_number",
                    f"{region.prefix}…",
                    ", ".join(p.tracking_number or "" for p in stale[:5]),
                    Severity.WARNING,
                    f"warehouse {wh.id}: {len(stale)} PICK UP waybill(s) created after "
                    f"{region.switch_at.isoformat()} do not start with {region.prefix} "
                    f"({region.provider} took over {region.name} from {region.previous_provider}): "
                    f"{_listed(stale, 'tracking_number')}",
                )
    return drifts


class PickupAspect(Aspect):
    name = "pickup"
    description = "Seller Center pickup subscription (inferred) vs the ERP's handover mode per warehouse"
    Settings = PickupSettings
    policy_keys = frozenset(
        [
            "handover_mode",
            "mode_mismatch",
            "label_mode_mismatch",
            "review_stuck",
            "pickup_out_of_coverage",
            "waybill_provider_mismatch",
        ]
    )

    def observe(self, ctx: ObserveContext) -> PickupObservation:
        if not isinstance(ctx.seller, WarehouseReader):
            raise lacks(ctx.seller, "seller", "read warehouses")
        if not isinstance(ctx.seller, PickupReader):
            raise lacks(ctx.seller, "seller", "read pickup signals")
        if not isinstance(ctx.erp, WarehouseReader):
            raise lacks(ctx.erp, "ERP", "read warehouses")
        lookback_days = int(ctx.settings.get("lookback_days", 14))
        seller, erp = ctx.seller.list_warehouses(), ctx.erp.list_warehouses()
        ids = [w.id for w in seller.items]
        signals = ctx.seller.read_pickup_signals(ids, since=ctx.now - timedelta(days=lookback_days))
        changed = {
            w.id: ctx.memory.note_seller_address(w.id, address_fingerprint(w.address), ctx.now) for w in seller.items
        }
        obs = PickupObservation(
            shop=ctx.shop,
            now=ctx.now,
            record_errors=[*seller.errors, *erp.errors, *signals.errors],
            seller_warehouses=list(seller.items),
            erp_warehouses=list(erp.items),
            signals={s.warehouse_id: s for s in signals.items},
            address_changed_at=changed,
            regions=coerce_regions(ctx.settings.get("regions")),
            review_sla_hours=float(ctx.settings.get("review_sla_hours", 24)),
            lookback_days=lookback_days,
        )
        obs.notes.extend(pickup_notes(obs))
        # Only fully seen warehouses may resolve drifts: unreadable ERP rows leave their
        # warehouses out, and unreadable packages leave the evidence incomplete everywhere.
        bound = {w.seller_warehouse_id for w in erp.items}
        obs.scope = set() if signals.errors else {i for i in ids if not erp.errors or i in bound}
        return obs

    def diff(self, observation: Observation) -> list[Drift]:
        assert isinstance(observation, PickupObservation)
        return pickup_drifts(self.name, observation)

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        """Only ``mode_mismatch`` is fixable; the other rules are alerts."""
        assert isinstance(observation, PickupObservation)
        pairs = {s.id: e for s, e in bind_warehouses(observation.seller_warehouses, observation.erp_warehouses).pairs}
        coverage = {d.subject: d.fingerprint for d in drifts if d.kind == "pickup_out_of_coverage"}
        actions = []
        for d in drifts:
            if d.aspect != self.name or d.kind != "mode_mismatch" or d.subject not in pairs:
                continue
            winner = decide(d)
            if winner == "report" or not d.seller_value or not d.erp_value:
                continue
            erp = pairs[d.subject]
            target: Target
            if winner == "seller":
                mode, target, subject = HandoverMode.parse(d.seller_value), "erp", erp.id
                what = f"set ERP warehouse {erp.id} handover mode to {mode.label} from Seller Center"
            else:
                mode, target, subject = HandoverMode.parse(d.erp_value), "seller", d.subject
                what = f"set Seller Center warehouse {d.subject} pickup to {mode.label} from ERP"
            fixes = [d.fingerprint]
            if target == "erp" and mode is HandoverMode.DROP_OFF and d.subject in coverage:
                fixes.append(coverage[d.subject])
            actions.append(
                Action(
                    shop=observation.shop,
                    aspect=self.name,
                    kind="set_handover_mode",
                    target=target,
                    subject=subject,
                    field="handover_mode",
                    value=mode.value,
                    description=what,
                    drifts=tuple(fixes),
                )
            )
        return actions

    def _writer(self, action: Action, seller: Connector, erp: Connector) -> PickupWriter:
        """The side that writes ``action``, narrowed to ``PickupWriter``; else why not."""
        if action.kind != "set_handover_mode":
            raise ValueError(f"{self.name} cannot apply {action.kind!r}")
        if action.target == "erp":
            if not isinstance(erp, PickupWriter):
                raise UnsupportedAction(
                    f"ERP {connector_type(erp)!r} cannot set handover modes: drift reported, not fixed"
                )
            return erp
        if not isinstance(seller, PickupWriter):
            raise UnsupportedAction(SELLER_CENTER_ONLY)
        return seller

    def check_apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        self._writer(action, seller, erp)

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        writer = self._writer(action, seller, erp)
        mode = HandoverMode(action.value or "")  # plan() always sets a value; "" fails as None did
        writer.set_handover_mode(action.subject, mode)
