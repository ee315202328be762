"""The pickup aspect: Seller Center's first-mile pickup subscription vs the ERP's handover mode.

The Open API has no call that returns the subscription (揽收订阅). erpsync *infers* it from the
evidence the API shows and from what it remembers between runs (``pickup_evidence.py``), and
says how sure it is (``PickupState.confidence``): strong when this run read the handover slots,
weak otherwise, "operator" when an operator's record decides. The first matching row wins:

== ============================================================ =============== ===========
#  evidence                                                     status          confidence
== ============================================================ =============== ===========
1  handover slots offer pickup (``can_pickup``)                 ACTIVE          strong
2  city outside every pickup region                             OUT_OF_COVERAGE strong/weak
3  a save is known (the address changed as typed, or pickup
   stopped being offered), and
   - no slots; a package created after the save is PICK UP      ACTIVE          weak
     with a provider's waybill, or a run since the save saw
     pickup in effect; unless an operator recorded NOT_SUBSCRIBED
     or CANCELLED after that, and the record has expired since,
     with no run since it was made seeing the slots offer pickup
     (the decline is newer: its status, as in the row below)
   - else the ERP switched from PICK UP to DROP OFF after the   CANCELLED       strong/weak
     save, and pickup was in effect before the save (the call
     declined)
   - else the ERP switched from PICK UP to DROP OFF after the   NOT_SUBSCRIBED  strong/weak
     save
   - else the ERP says DROP OFF since before the save, and      CANCELLED       strong/weak
     pickup was in effect before it (a ``mode_mismatch``'s
     cancel steps: re-save, decline the call)
   - else an operator recorded NOT_SUBSCRIBED or CANCELLED      its status      strong/weak
     after the save, and the record has expired since
   - else (ERP PICK UP, no mode, or DROP OFF since before a     PENDING_REVIEW  strong/weak
     save made while pickup was not in effect): until
     activation, the ERP switching to DROP OFF, or a newer
     operator record
4  no save known, and
   - slots offer no pickup (or cancelled: it looks the same)    NOT_SUBSCRIBED  strong
   - no slots; newest package PICK UP with a provider's waybill ACTIVE          weak
   - no slots; newest package DROP OFF                          NOT_SUBSCRIBED  weak
   - no slots; no packages, or PICK UP without a provider's     UNKNOWN         none
     waybill (a label is what the ERP asked for, not proof)
5  an operator's valid record (``erpsync pickup confirm``)      its status      operator
   decides an UNKNOWN state, or one resting on weak evidence
   older than the record; slots read now and newer contrary
   evidence win over it, and say so (``pickup_confirm.py``)
== ============================================================ =============== ===========

**The save.** Seller Center does not date a save; erpsync saw it between two runs, so the review
clock starts at the earlier run when the gap is within the SLA, else at the run that saw it
(``SaveEstimate``; reports call it the best estimate, which it is). A pending review is not
bounded in time: it stays pending until one of the ways out in row 3.

**A declined call.** A save *followed by* the ERP switching from PICK UP to DROP OFF reads as a
cancellation (``docs/domain.md`` says why); a switch seen in the run that saw the save counts,
since no run can tell their order, and a run that found no ERP row bound ("none") is no mode the
ERP said, so its DROP OFF coming back is no switch. A save while pickup was in effect and the ERP
already said DROP OFF is what a ``mode_mismatch``'s cancel steps lead to, so it reads as a
cancellation too, until pickup is seen in effect again. Otherwise an ERP on DROP OFF since before
the save disagrees with the subscription the save asks for: the review drifts say so, and once
pickup is in effect the ERP's DROP OFF is a ``mode_mismatch``. Such a review ends by activation
or an operator's record; a record of a declined call made after the save keeps answering that
save once it expires (``pickup_record``), as a record of ACTIVE does (``pickup_activation``).
The newer of the two wins: a decline recorded after the last run that saw pickup in effect (or
after the package that showed it) outlives that activation, while pickup seen in effect after
the record wins over it. The handover slots offering pickup in any run since the record was made
count as such, so a later run whose slot read fails, with only older PICK UP parcels in the
lookback, does not read the expired decline over them (``pickup_record.py``).

**The newest package** is the latest created; packages of the same second, or undated ones, are
told apart by the greater package id (``recency``), so the answer does not depend on the order a
read listed them in.

**Effective mode:** PICK UP when ACTIVE; DROP OFF for every other known status, pending review
included (until the review completes the seller may self-ship); none for UNKNOWN.

Drift rules (``pickup_drifts.py``; facts in ``docs/domain.md``):

* ``mode_mismatch``: the ERP's mode vs the effective mode; never during a review (the ERP's PICK UP
  is where the review leads) and never when UNKNOWN. Its identity is the pair of values, so a
  mismatch that turns the other way is a new alert. The only drift a policy can fix.
* ``pickup_unconfirmed``: the state is UNKNOWN; critical when the ERP says PICK UP.
* ``review_pending`` (under ``review_sla_hours``: a warning, nothing is planned) and
  ``review_stuck`` (from the first run past it: critical, open while pending). They are two
  stages of one drift (``Drift.stage_of``): a pending review that outlasts the limit escalates
  the open drift, it does not resolve it and open another. With the ERP on
  DROP OFF they say it disagrees with the save; the way out they advise for a declined call
  fits the state that holds (``pickup_advice.py``).
* ``label_mode_mismatch``: on strong or operator evidence only, parcels not yet handed over and
  printed after the state began whose label contradicts it.
* ``pickup_out_of_coverage``: the ERP says PICK UP for a city no provider covers.
* ``waybill_provider_mismatch``: a pickup waybill still to hand over, printed after the region's
  switch date, without the new provider's prefix; regions without a known date get a note.
"""

from __future__ import annotations

from datetime import timedelta

from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext, UnsupportedAction
from erpsync.core.aspects.pickup_drifts import pickup_drifts, pickup_notes
from erpsync.core.aspects.pickup_memory import recall
from erpsync.core.aspects.pickup_observation import PickupObservation
from erpsync.core.aspects.pickup_settings import PickupSettings
from erpsync.core.aspects.pickup_state import infer_pickup_state
from erpsync.core.aspects.warehouse_address import bind_warehouses, connector_type, lacks
from erpsync.core.connector import Connector
from erpsync.core.matching import match_warehouses
from erpsync.core.models import Action, Drift, HandoverMode, PickupSignals, Records, Target, Warehouse
from erpsync.core.pickup_guides import DEFAULT_GUIDES, Guides
from erpsync.core.pickup_regions import coerce_regions
from erpsync.core.ports import PickupReader, PickupWriter, WarehouseReader

__all__ = ["PickupAspect", "PickupObservation", "infer_pickup_state", "pickup_drifts", "pickup_notes"]

SELLER_CENTER_ONLY = (
    "subscribe or cancel pickup in Seller Center: re-save the warehouse address "
    "(我的账号 - 商家资料 - 仓库地址) and accept/decline the provider's call"
)


def _fully_seen(
    ids: list[str],
    erp_items: list[Warehouse],
    *,
    erp_unreadable: bool,
    read: Records[PickupSignals],
) -> set[str]:
    """The seller warehouses whose drifts this run may resolve: those seen in full.

    Unreadable ERP rows leave out the warehouses no readable row is bound to. An error of one
    warehouse's evidence (``PickupSignals.errors``: its handover slots, say) leaves out that
    warehouse; any other error of the read (a package whose warehouse is unknown) leaves the
    evidence incomplete everywhere. Errors are matched by identity, so one a connector did not
    attach to its warehouse counts as the shop's: the safe side.
    """
    own = {id(e) for s in read.items for e in s.errors}
    if any(id(e) not in own for e in read.errors):
        return set()
    incomplete = {s.warehouse_id for s in read.items if s.errors}
    bound = {w.seller_warehouse_id for w in erp_items}
    return {i for i in ids if i not in incomplete and (not erp_unreadable or i in bound)}


class PickupAspect(Aspect):
    name = "pickup"
    description = "Seller Center pickup subscription (inferred) vs the ERP's handover mode per warehouse"
    Settings = PickupSettings
    drift_kinds = frozenset(
        [
            "mode_mismatch",
            "pickup_unconfirmed",
            "label_mode_mismatch",
            "review_pending",
            "review_stuck",
            "pickup_out_of_coverage",
            "waybill_provider_mismatch",
        ]
    )
    policy_keys = drift_kinds | {"handover_mode"}

    def observe(self, ctx: ObserveContext) -> PickupObservation:
        if not isinstance(ctx.seller, WarehouseReader):
            raise lacks(ctx.seller, "seller", "read warehouses")
        if not isinstance(ctx.seller, PickupReader):
            raise lacks(ctx.seller, "seller", "read pickup signals")
        if not isinstance(ctx.erp, WarehouseReader):
            raise lacks(ctx.erp, "ERP", "read warehouses")
        lookback_days = int(ctx.settings.get("lookback_days", 14))
        sla = float(ctx.settings.get("review_sla_hours", 24))
        regions = coerce_regions(ctx.settings.get("regions"))
        guides = ctx.settings.get("guides", DEFAULT_GUIDES)
        seller, erp = ctx.seller.list_warehouses(), ctx.erp.list_warehouses()
        matched = match_warehouses(seller.items, erp.items, ctx.matching)
        erp_items = matched.erp
        ids = [w.id for w in seller.items]
        signals = ctx.seller.read_pickup_signals(ids, since=ctx.now - timedelta(days=lookback_days))
        by_id = {s.warehouse_id: s for s in signals.items}
        erp_for = {s.id: e for s, e in bind_warehouses(list(seller.items), erp_items).pairs}
        history = {
            w.id: recall(
                ctx.memory,
                w,
                by_id.get(w.id),
                erp_for.get(w.id),
                erp_read=not erp.errors,
                now=ctx.now,
                regions=regions,
                review_sla_hours=sla,
                lookback_days=lookback_days,
            )
            for w in seller.items
        }
        obs = PickupObservation(
            shop=ctx.shop,
            now=ctx.now,
            record_errors=[*seller.errors, *erp.errors, *signals.errors],
            seller_warehouses=list(seller.items),
            erp_warehouses=erp_items,
            learned_bindings=matched.learned,
            stale_bindings=matched.stale,
            signals=by_id,
            history=history,
            regions=regions,
            review_sla_hours=sla,
            lookback_days=lookback_days,
            guides=guides if isinstance(guides, Guides) else DEFAULT_GUIDES,
        )
        obs.notes.extend(pickup_notes(obs))
        obs.scope = _fully_seen(ids, erp_items, erp_unreadable=bool(erp.errors), read=signals)
        return obs

    def diff(self, observation: Observation) -> list[Drift]:
        assert isinstance(observation, PickupObservation)
        return pickup_drifts(self.name, observation)

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        """Only ``mode_mismatch`` is fixable; the other rules are alerts.

        Nothing is planned that the next expected transition would revert: ``mode_mismatch`` is
        never raised during a review, whose expected end is the ERP's PICK UP.
        """
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
