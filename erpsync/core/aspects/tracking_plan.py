"""The tracking aspect's pure half: what differs (diff) and what to push (plan).

Kept apart from ``tracking.py`` (observe, apply) so the rules can be tested with plain data:

- an ERP shipment whose package awaits shipment is ``tracking_not_pushed``: planned as a ``ship``;
- shipped with the same number: done, no drift, nothing planned (a rerun after a push, or a
  package someone shipped by hand with the ERP's number); numbers that differ only in case are
  the same (``same_tracking_number``): a case change is not worth the order's one update;
- shipped with another number: ``tracking_differs``, planned as an ``update_tracking`` when the
  policy says the ERP wins and the 72 h window (``SHIPPING_INFO_WINDOW``) is known to be open;
  known to be closed, it is only reported, with the reason, as is one whose correction to the
  ERP's number Seller Center refused because the package's number may no longer change
  (``TrackingObservation.closed``, ``CLOSED_CODES``: the window is not known before a try);
- the same, for a package of an order one of whose packages erpsync has already seen changed
  once since it shipped (``TrackingObservation.corrected``: by an earlier correction, or by hand
  in Seller Center), or whose correction to the ERP's number Seller Center refused with 21011051
  (``TrackingObservation.refused``: the update was used before erpsync saw the package): only
  reported, with the reason. TikTok allows one delivery-information update per order in every
  market (21011051 "The tracking number can only be updated once."), so a second would be
  refused on every run;
- several packages of one order differing at once: one correction per order a run, the
  smallest package id's (``order_turns``); the others are reported, and once that correction is
  seen made, the rule above covers them;
- cancelled, not shippable or unknown to the shop: reported by package id, never written;
- a package the platform ships (``PackageShippingState.platform_ships``: TikTok's
  ``shipping_type`` TIKTOK) is never shipped nor corrected: its number is the one on the
  platform's label, and the Open API ships with ``self_shipment`` and corrects numbers only for
  packages the seller ships (``docs/tracking.md``). Awaiting shipment, it is ``shipped_by_platform``
  (INFO: nothing to push); shipped under the ERP's number, done; shipped under another,
  ``tracking_differs`` (WARNING) saying the ERP is the side to correct, with nothing planned.
  A package whose shipper is unknown is treated as the seller's, as before.

Every action is ``idempotent=False`` (a push that must happen once). Its subject is the package
id and its value the tracking number, so the ledger key is per (shop, package, tracking
number); ``field`` carries the shipping provider id the number belongs to, which the push needs
and which makes a number re-sent under another carrier a push of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from erpsync.core.aspects.base import Decide, Observation
from erpsync.core.models import Action, Drift, Severity
from erpsync.core.shipping import ErpShipment, PackageShippingState, ShippingStatus
from erpsync.core.tracking_numbers import number_identity, same_tracking_number

__all__ = [
    "CLOSED_CODES",
    "SHIPPING_INFO_WINDOW",
    "UPDATE_USED_CODE",
    "TrackingObservation",
    "diff_tracking",
    "may_push",
    "order_turns",
    "order_update_used",
    "plan_tracking",
]

ASPECT = "tracking"
#: Update Package Shipping Info accepts a new tracking number only this long after shipping:
#: Update Shipping Info's page says 72 h with no market named (the Fulfillment API overview names
#: the US, UK and SEA, and states no hour limit for EMEA except the UK, LATAM and JP); applied in
#: every market, the safe reading (docs/tracking.md)
SHIPPING_INFO_WINDOW = timedelta(hours=72)
FIELD = "tracking_number"
#: Update Package Shipping Info's answer when the order's one update is used: 21011051 "The
#: tracking number can only be updated once." (Partner Center API reference, its error code list)
UPDATE_USED_CODE = "21011051"
#: Update Package Shipping Info's answers that this package's number may no longer be changed at
#: all, whatever erpsync sends (the same reference's error code list; the changelog of the 72 h
#: window says a late update answers 21011049): the meaning each is reported with
CLOSED_CODES = {
    "21011049": "platform rules do not allow updating this tracking number (past the window to change it)",
    "21011050": "the tracking number can only be updated within a limited number of hours after shipping",
    "21011052": "the tracking number can only be updated a limited number of times",
}


@dataclass
class TrackingObservation(Observation):
    """The ERP's shipments (each valid, its carrier resolved) and Seller Center's state of their packages."""

    shipments: list[ErpShipment] = field(default_factory=list)
    states: dict[str, PackageShippingState] = field(default_factory=dict)  # package id → state
    #: package id → the shipping provider id of its one ERP shipment (``one_per_package``); by package,
    #: not shipment id, which a reader may give two shipments of two packages (``distinct_ids``)
    providers: dict[str, str] = field(default_factory=dict)
    #: package id → the number Seller Center had before erpsync saw it change: its order's one update is used
    corrected: dict[str, str] = field(default_factory=dict)
    #: package id → the ERP's number, whose correction Seller Center refused as the order's second
    #: update (``UPDATE_USED_CODE``) while the drift it was sent for stayed open: its order's update is used
    refused: dict[str, str] = field(default_factory=dict)
    #: package id → (the ERP's number, the code): a correction Seller Center refused because this
    #: package's number may no longer change (``CLOSED_CODES``), while its drift stayed open
    closed: dict[str, tuple[str, str]] = field(default_factory=dict)


def _where(shipment: ErpShipment) -> str:
    return f"ERP shipment {shipment.id}" + (f" ({shipment.source})" if shipment.source else "")


def window_closed(state: PackageShippingState, now: datetime) -> bool:
    """True only when the shipping time is known and the correction window has passed."""
    return state.shipped_at is not None and now - state.shipped_at > SHIPPING_INFO_WINDOW


def _drift(
    obs: TrackingObservation,
    shipment: ErpShipment,
    kind: str,
    seller: str | None,
    severity: Severity,
    message: str,
    identity: str | None = None,
) -> Drift:
    pkg, number = shipment.package_id, shipment.tracking_number
    named = number_identity(identity) if identity is not None else None  # a case change is the same drift
    return Drift(obs.shop, ASPECT, kind, pkg, FIELD, seller, number, severity, message, named)


def diff_tracking(obs: TrackingObservation) -> list[Drift]:
    """Every shipment whose package does not carry its tracking number, and why."""
    drifts: list[Drift] = []
    waiting = order_turns(obs)
    for shipment in obs.shipments:
        state = obs.states.get(shipment.package_id)
        if state is not None:  # None: not read (a record error says why)
            found = _diff_one(obs, shipment, state, waiting)
            if found is not None:
                drifts.append(found)
    return drifts


def _seller_shipped(state: PackageShippingState) -> bool:
    return state.status is ShippingStatus.SHIPPED and not state.platform_ships


def order_update_used(obs: TrackingObservation, state: PackageShippingState) -> tuple[str, str | None] | None:
    """The package through which the one update of ``state``'s order is known used, and its number
    before (``corrected``), or None for one whose correction was refused as the order's second
    (``refused``): the package itself first, else another package of one of its orders."""
    if state.id in obs.corrected or state.id in obs.refused:
        return state.id, obs.corrected.get(state.id)
    orders = set(state.order_ids)
    for pkg in sorted(obs.corrected.keys() | obs.refused.keys()):
        other = obs.states.get(pkg)
        if other is not None and orders.intersection(other.order_ids):
            return pkg, obs.corrected.get(pkg)
    return None


def order_turns(obs: TrackingObservation) -> dict[str, str]:
    """Package id → the package of the same order corrected in its place this run.

    TikTok takes one update per order, so of the packages of one order that could be corrected
    now, only the smallest package id is; a package of several orders takes the turn of each.
    """
    taken: dict[str, str] = {}  # order id → the package correcting it this run
    waiting: dict[str, str] = {}
    states = (obs.states.get(s.package_id) for s in obs.shipments if s.package_id in obs.providers)
    by_package = {s.package_id: s.tracking_number for s in obs.shipments}
    for state in sorted((s for s in states if s is not None), key=lambda s: s.id):
        if (
            not _seller_shipped(state)
            or same_tracking_number(state.tracking_number, by_package[state.id])
            or window_closed(state, obs.now)
            or state.id in obs.closed
            or order_update_used(obs, state) is not None
        ):
            continue
        first = next((taken[o] for o in state.order_ids if o in taken), None)
        if first is not None:
            waiting[state.id] = first
        else:
            taken.update(dict.fromkeys(state.order_ids, state.id))
    return waiting


def _one_update_reason(obs: TrackingObservation, state: PackageShippingState, waiting: dict[str, str]) -> str:
    """Why no correction is sent though the window is open: the order's one update, used or taken."""
    used = order_update_used(obs, state)
    if used is not None and used[0] == state.id:
        why = f"its number was changed once already (from {used[1]})" if used[1] is not None else _refusal(obs, used[0])
    elif used is not None:
        if used[1] is not None:
            why = f"package {used[0]} of the same order {_shared(obs, state, used[0])} had its number changed already"
            why += f" (from {used[1]})"
        else:
            why = f"package {used[0]} of the same order {_shared(obs, state, used[0])}: {_refusal(obs, used[0])}"
    elif state.id in waiting:
        first = waiting[state.id]
        why = f"package {first} of the same order {_shared(obs, state, first)} takes the order's update first"
    else:
        return ""
    return f"; {why}, and TikTok allows one update per order: correct it in Seller Center or ask TikTok support"


def _refusal(obs: TrackingObservation, pkg: str) -> str:
    """Why a package's correction is not sent again: Seller Center refused it as the order's second."""
    return (
        f"Seller Center refused erpsync's change to {obs.refused[pkg]} with {UPDATE_USED_CODE} (\"The tracking "
        "number can only be updated once.\"): the order's update was used before erpsync saw it, by hand in "
        "Seller Center or through a package the ERP has no shipment for"
    )


def _shared(obs: TrackingObservation, state: PackageShippingState, other: str) -> str:
    """The orders ``state``'s package shares with package ``other``."""
    return ", ".join(o for o in state.order_ids if o in obs.states[other].order_ids)


def _diff_one(
    obs: TrackingObservation, shipment: ErpShipment, state: PackageShippingState, waiting: dict[str, str]
) -> Drift | None:
    pkg, number, where = shipment.package_id, shipment.tracking_number, _where(shipment)
    if state.platform_ships and state.status in (ShippingStatus.AWAITING_SHIPMENT, ShippingStatus.SHIPPED):
        return _by_platform(obs, shipment, state)
    if state.status is ShippingStatus.AWAITING_SHIPMENT:
        message = (
            f"package {pkg}: tracking number {number} ({shipment.carrier}) from {where} is not in Seller Center "
            "yet: the package awaits shipment"
        )
        return _drift(obs, shipment, "tracking_not_pushed", None, Severity.INFO, message, identity=number)
    if state.status is ShippingStatus.SHIPPED:
        if same_tracking_number(state.tracking_number, number):
            return None  # done: pushed before, or shipped by hand with the ERP's number (case aside)
        late = ""
        if window_closed(state, obs.now) and state.shipped_at is not None:
            hours = (obs.now - state.shipped_at).total_seconds() / 3600
            late = (
                f"; shipped {hours:.0f} h ago, past the {SHIPPING_INFO_WINDOW.total_seconds() / 3600:.0f} h in "
                "which the API may change it: correct it in Seller Center or ask TikTok support"
            )
        if not late and state.id in obs.closed:
            refused, code = obs.closed[state.id]
            late = (
                f"; Seller Center refused erpsync's change to {refused} with {code} ({CLOSED_CODES[code]}): "
                "correct it in Seller Center or ask TikTok support"
            )
        if not late:
            late = _one_update_reason(obs, state, waiting)
        message = (
            f"package {pkg}: Seller Center has tracking number {state.tracking_number or '(none)'}, {where} has "
            f"{number} ({shipment.carrier}){late}"
        )
        # the ERP's number (case aside) is the drift's identity: a number that comes back after
        # another was pushed is a new occurrence, so its correction is a new ledger row, not one
        # found done; the same number in another case is the same drift, its refusals still read
        return _drift(obs, shipment, "tracking_differs", state.tracking_number, Severity.WARNING, message, number)
    if state.status is ShippingStatus.CANCELLED:
        message = f"package {pkg} is cancelled in Seller Center, but {where} ships it as {number}"
        return _drift(obs, shipment, "package_cancelled", None, Severity.WARNING, message)
    if state.status is ShippingStatus.UNKNOWN:
        message = f"package {pkg} of {where} is not a package of this shop (a wrong id, or another shop's)"
        return _drift(obs, shipment, "package_unknown", None, Severity.WARNING, message)
    why = f": {state.detail}" if state.detail else ""
    message = f"package {pkg} cannot be shipped now{why}; {where} has {number}"
    return _drift(obs, shipment, "package_not_shippable", None, Severity.WARNING, message)


def _by_platform(obs: TrackingObservation, shipment: ErpShipment, state: PackageShippingState) -> Drift | None:
    """A package TikTok ships: erpsync writes nothing for it, and says what the ERP should hold."""
    pkg, number, where = shipment.package_id, shipment.tracking_number, _where(shipment)
    if state.status is ShippingStatus.AWAITING_SHIPMENT:
        message = (
            f"package {pkg} is shipped by TikTok, not by the seller: its tracking number comes from the "
            f"platform's shipping label, so erpsync pushes nothing for it ({where} has {number}, "
            f"{shipment.carrier})"
        )
        return _drift(obs, shipment, "shipped_by_platform", None, Severity.INFO, message, identity=number)
    if same_tracking_number(state.tracking_number, number):
        return None  # the ERP recorded the platform's number
    message = (
        f"package {pkg} is shipped by TikTok: the platform's label carries tracking number "
        f"{state.tracking_number or '(none)'}, {where} has {number} ({shipment.carrier}); correct the ERP "
        "(erpsync does not change the number of a package TikTok ships)"
    )
    return _drift(obs, shipment, "tracking_differs", state.tracking_number, Severity.WARNING, message, number)


def may_push(obs: TrackingObservation, shipment: ErpShipment, state: PackageShippingState) -> bool:
    """Whether the plan could push ``shipment``, this run or when its order's turn comes, so its
    carrier must be resolved: the seller ships the package and it awaits shipment, or is shipped
    under another number that may still change (the window not known closed, no refusal saying
    the number may no longer change, the order's one update not known used).

    Observe resolves carriers only for these, after ``remember_numbers`` and ``note_refusals``: a
    package that is done, or that only the platform's support can change now, needs no carrier,
    so an ERP carrier name Seller Center does not know is no record error there, and its drift is
    reported. The policy is not known to observe: a shop where the seller wins still needs them.
    """
    if state.platform_ships:
        return False
    if state.status is ShippingStatus.AWAITING_SHIPMENT:
        return True
    return (
        state.status is ShippingStatus.SHIPPED
        and not same_tracking_number(state.tracking_number, shipment.tracking_number)
        and not window_closed(state, obs.now)
        and state.id not in obs.closed
        and order_update_used(obs, state) is None
    )


def plan_tracking(drifts: list[Drift], decide: Decide, obs: Observation) -> list[Action]:
    """A ``ship`` per unpushed shipment and an ``update_tracking`` per correctable difference, at
    most one per order (``order_turns``)."""
    assert isinstance(obs, TrackingObservation)
    by_package = {s.package_id: s for s in obs.shipments}
    waiting = order_turns(obs)
    actions: list[Action] = []
    for d in drifts:
        if d.aspect != ASPECT or d.kind not in ("tracking_not_pushed", "tracking_differs"):
            continue
        shipment, state = by_package.get(d.subject), obs.states.get(d.subject)
        provider = obs.providers.get(d.subject)
        if shipment is None or state is None or provider is None or decide(d) != "erp":
            continue
        if not may_push(obs, shipment, state):
            continue  # TikTok ships it, or only the platform's support can change it now: the drift says so
        if d.kind == "tracking_not_pushed":
            kind, what = "ship", f"ship package {d.subject} with tracking number {shipment.tracking_number}"
        elif d.subject in waiting:
            continue  # another package of its order takes the order's one update this run
        else:
            kind = "update_tracking"
            what = f"change package {d.subject}'s tracking number to {shipment.tracking_number}"
        actions.append(
            Action(
                shop=obs.shop,
                aspect=ASPECT,
                kind=kind,
                target="seller",
                subject=d.subject,
                field=provider,
                value=shipment.tracking_number,
                description=f"{what} ({shipment.carrier}, from {_where(shipment)})",
                drifts=(d.fingerprint,),
                idempotent=False,
            )
        )
    return actions
