"""What the tracking aspect carries from one run to the next: numbers seen, corrections refused.

Seller Center does not say whether an order's one tracking-number update was used (21011051 "The
tracking number can only be updated once."), so the aspect learns it two ways:

- ``remember_numbers``: the number Seller Center shows for each package whose number differs
  from the ERP's, and for the other packages of its order (``ctx.memory``, key
  ``tracking_number:<package>``); one seen to change since is ``corrected``;
- ``note_refusals``: a correction erpsync sent that Seller Center refused with 21011051 is in the
  ledger as a failed write while its drift stays open (``ctx.failed_writes``); the package is
  ``refused`` while the ERP still has the number refused. That is what tells an update made
  before erpsync remembered the package (by hand in Seller Center, or through a package of the
  order the ERP has no shipment for), which the first cannot see. A correction refused because
  the package's number may no longer change at all (``CLOSED_CODES``: past the window, a limited
  number of times) is kept the same way, for that package only (``closed``): the package detail
  gives no shipping time, so the window cannot be told before the first try.

Either way a difference of that order is reported, never sent again (``tracking_plan.py``).
"""

from __future__ import annotations

import hashlib

from erpsync.core.aspects.base import ObserveContext
from erpsync.core.aspects.tracking_plan import CLOSED_CODES, UPDATE_USED_CODE, TrackingObservation
from erpsync.core.shipping import ErpShipment, PackageShippingState, ShippingStatus
from erpsync.core.tracking_numbers import same_tracking_number

__all__ = ["MAX_REMEMBERED", "note_refusals", "remember_numbers"]

#: the longest tracking number remembered as it is (the observations' value column holds 128)
MAX_REMEMBERED = 120


def _seller_shipped(obs: TrackingObservation) -> list[tuple[ErpShipment, PackageShippingState, str]]:
    """The shipments whose package the seller shipped, with Seller Center's number for it."""
    shipped: list[tuple[ErpShipment, PackageShippingState, str]] = []
    for shipment in obs.shipments:
        state = obs.states[shipment.package_id]
        if state.status is ShippingStatus.SHIPPED and not state.platform_ships and state.tracking_number:
            shipped.append((shipment, state, state.tracking_number))
    return shipped


def remember_numbers(ctx: ObserveContext, obs: TrackingObservation) -> None:
    """Record Seller Center's number of each package the seller shipped under another number than
    the ERP's, and of the other packages of its order; mark one ``corrected`` when its number
    changed since erpsync last saw it.

    TikTok's one update is the order's, so a package that now agrees with the ERP (erpsync's own
    correction went through) still tells that its order's update is used when another package of
    that order differs later. Packages of orders where nothing differs are not recorded.
    """
    shipped = _seller_shipped(obs)
    differing = {
        o
        for s, state, number in shipped
        if not same_tracking_number(number, s.tracking_number)
        for o in state.order_ids
    }
    for shipment, state, number in shipped:
        if same_tracking_number(number, shipment.tracking_number) and differing.isdisjoint(state.order_ids):
            continue
        if len(number) > MAX_REMEMBERED:  # the memory keeps short values: a digest stands for it
            number = "sha256:" + hashlib.sha256(number.encode()).hexdigest()
        sighting = ctx.memory.observe(f"tracking_number:{shipment.package_id}", number, ctx.now)
        if sighting.changed_at is not None and sighting.previous:
            obs.corrected[shipment.package_id] = sighting.previous


def note_refusals(ctx: ObserveContext, obs: TrackingObservation) -> None:
    """Mark ``refused`` each package whose correction to the ERP's current number Seller Center
    refused with 21011051, and ``closed`` each refused with a code of ``CLOSED_CODES``, while its
    drift is open (the ledger reads only then).

    A refusal is the platform's answer for that package and number: the same correction sent
    again gets it again, in another case too (``same_tracking_number``). A new ERP number, or a
    shipment naming another package, is a new drift and is tried once; Seller Center's number
    changing since is ``corrected`` already. The ledger is read only when a package differs, so a
    shop in agreement makes no read.
    """
    differing = {}  # a package shipped with no number is corrected too, so it counts here
    for shipment in obs.shipments:
        state = obs.states[shipment.package_id]
        shipped = state.status is ShippingStatus.SHIPPED and not state.platform_ships
        if shipped and not same_tracking_number(state.tracking_number, shipment.tracking_number):
            differing[shipment.package_id] = shipment.tracking_number
    if not differing:
        return
    for write in ctx.failed_writes():
        if write.kind != "update_tracking" or write.value is None:
            continue
        if not same_tracking_number(differing.get(write.subject), write.value):
            continue  # case aside: the ERP writing the refused number in another case is no new number
        if write.code == UPDATE_USED_CODE:
            obs.refused[write.subject] = write.value
        elif write.code in CLOSED_CODES:
            obs.closed[write.subject] = (write.value, write.code)
