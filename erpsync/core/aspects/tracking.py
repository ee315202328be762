"""The tracking aspect: the ERP's tracking numbers reach Seller Center once, never twice.

The ERP prints the labels and knows which parcel left under which number; the buyer and the
platform see only what Seller Center has. This aspect ships each package the ERP shipped, with
the ERP's number and carrier, and corrects a number that differs while the platform still allows
it (the rules: ``tracking_plan.py``; the Open API facts: ``docs/tracking.md``).

Exactly once: a push is planned only for a package Seller Center shows unshipped (or shipped
under another number), so a push that happened (even one whose answer was lost, or whose ledger
row a crash left pending) is seen as done on the next observation and never planned again; the
ledger key (shop, package, tracking number) covers the window between the write and that
observation.

One package, one number: the ERP's shipments of a package that carry the same number are one;
a package whose shipments disagree, or one of whose shipments was refused (by the reader, whose
record error names the package, or by the number rule here), is pushed nothing, each of its
shipments a record error (``tracking_input.py``), since the file's order must not decide what
Seller Center takes once; so is one that could be pushed whose shipments name carriers that are
not one provider (``tracking_carriers.py``).

Carriers: the ERP names a carrier; Seller Center wants a ``shipping_provider_id``. It is resolved
(``tracking_carriers.py``) only for a shipment the plan could push (``may_push``: its package
awaits shipment, or is shipped under another number that may still change), once what the
aspect remembers is known: one already done, or one only the platform's support can change now,
needs none, and its drift is reported. A name found nowhere is a record error naming the
shipment's file, line and field, and that shipment alone is left out.

A shipping time a seller backend gives without a time zone is a record error for its package,
which is then left out (``tracking_input.py``): the correction window is counted from it.

One update per order: TikTok lets an order's tracking number be changed once (21011051), through
any one of its packages. Seller Center does not say whether that update was used, so ``observe``
remembers (``ctx.memory``, key ``tracking_number:<package>``) the number Seller Center shows for
each package whose number differs from the ERP's, and for the other packages of its order; one
seen to change since is marked ``corrected``, and a difference of any package of its order is
reported, never sent. Only orders with a differing package are recorded: a handful, not every
shipment. An update made before erpsync remembered the package shows only as the refusal of the
correction erpsync sends; the ledger keeps that refusal, and the package is marked ``refused``
while the ERP's number is the one refused (``tracking_memory.py``).

A shop whose ERP keeps no shipments (no ``shipments`` file configured, or an ERP connector without
``ShipmentReader``) has nothing to push: the aspect reads nothing and is reported as not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from marshmallow import RAISE, Schema, fields
from marshmallow.validate import Length

from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext, UnsupportedAction
from erpsync.core.aspects.tracking_carriers import resolve_carriers
from erpsync.core.aspects.tracking_input import carriers_named, dated_states, distinct_ids, one_per_package
from erpsync.core.aspects.tracking_memory import note_refusals, remember_numbers
from erpsync.core.aspects.tracking_plan import TrackingObservation, diff_tracking, plan_tracking
from erpsync.core.aspects.warehouse_address import connector_type, lacks
from erpsync.core.connector import Connector
from erpsync.core.errors import ConnectorError
from erpsync.core.models import Action, Drift
from erpsync.core.shipping import (
    ErpShipment,
    PackageShipper,
    PackageShippingState,
    ShipmentReader,
    ShipRequest,
)
from erpsync.core.tracking_numbers import valid_shipments

__all__ = ["TrackingAspect", "TrackingSettings"]


class TrackingSettings(Schema):
    """The ``[aspects.tracking]`` table: ``carriers = {"SF Express" = "7208…"}`` (name → provider id)."""

    class Meta:
        unknown = RAISE

    carriers = fields.Dict(
        keys=fields.String(validate=Length(min=1)),
        values=fields.String(validate=Length(min=1)),
        load_default=dict,
    )


class TrackingAspect(Aspect):
    name = "tracking"
    description = "ERP shipments' tracking numbers pushed to Seller Center once (ship, or correct once within 72 h)"
    Settings = TrackingSettings
    #: ships go out many a call (``apply_many``), each package with its own outcome; a correction
    #: (Update Package Shipping Info) has no batch form and goes one at a time
    bulk_kinds = frozenset(["ship"])
    #: one host call per Batch Ship Packages call, so a stop is seen between API calls
    #: (docs/tracking.md: erpsync sends at most 50 packages a call)
    bulk_size = 50
    drift_kinds = frozenset(
        [
            "tracking_not_pushed",
            "tracking_differs",
            "package_cancelled",
            "package_unknown",
            "package_not_shippable",
            "shipped_by_platform",
        ]
    )
    policy_keys = drift_kinds | {"tracking_number"}
    #: a number waiting to be pushed is the run's own work: alerted only if it stays unpushed
    routine_kinds = frozenset(["tracking_not_pushed"])

    def observe(self, ctx: ObserveContext) -> TrackingObservation:
        obs = TrackingObservation(shop=ctx.shop, now=ctx.now, scope=set())
        found = ctx.erp.list_shipments() if isinstance(ctx.erp, ShipmentReader) else None
        if found is None:  # this ERP keeps no shipments: nothing to push
            obs.not_run = f"ERP {connector_type(ctx.erp)!r} keeps no shipments"
            return obs
        obs.record_errors.extend(found.errors)
        # every reader's shipments have ids of their own and numbers that pass the one rule
        # (core/tracking_numbers.py), a plugin's too; then a package with a refused shipment (the
        # reader's errors and these checks name it) is held back
        checked = valid_shipments(distinct_ids(found.items, obs.record_errors), obs.record_errors)
        shipments = one_per_package(checked, obs.record_errors)
        if not shipments:
            return obs
        if not isinstance(ctx.seller, PackageShipper):
            raise lacks(ctx.seller, "seller", "read or ship packages")
        states = ctx.seller.read_shipping_states([s.package_id for s in shipments])
        obs.record_errors.extend(states.errors)
        obs.states = _with_orders(dated_states(states.items, obs.record_errors), shipments)
        # a package not read is left out: its record error says why; its drifts stay as they were
        obs.shipments = [s for s in shipments if s.package_id in obs.states]
        obs.scope = {s.package_id for s in obs.shipments}
        remember_numbers(ctx, obs)
        note_refusals(ctx, obs)
        # only now is it known which shipments the plan could push: the others need no carrier
        resolve_carriers(ctx.seller, obs, ctx.settings.get("carriers") or {}, carriers_named(checked))
        return obs

    def diff(self, observation: Observation) -> list[Drift]:
        assert isinstance(observation, TrackingObservation)
        return diff_tracking(observation)

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        return plan_tracking(drifts, decide, observation)

    def _shipper(self, action: Action, seller: Connector) -> PackageShipper:
        if action.kind not in ("ship", "update_tracking") or action.target != "seller":
            raise ValueError(f"{self.name} cannot apply {action.kind!r} to {action.target}")
        if not isinstance(seller, PackageShipper):
            raise UnsupportedAction(
                f"seller {connector_type(seller)!r} cannot ship packages: drift reported, not pushed"
            )
        return seller

    def check_apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        self._shipper(action, seller)

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        """One package per action, so each push has its own ledger row and its own outcome (the
        host sends ships in bulk through ``apply_many``; this is for a lone one and corrections).

        "Already shipped" counts as done: it is what a push whose answer was lost finds when
        it is retried. The re-read after the writes tells a package someone else shipped under
        another number apart (``tracking_differs``).
        """
        shipper = self._shipper(action, seller)
        number, provider = action.value or "", action.field or ""
        if action.kind == "ship":
            error = self.apply_many([action], seller, erp)[0]
            if error is not None:
                raise error
            return
        # the plan left out a package known to be past the window; one whose shipping time is
        # unknown is sent, and the seller side refuses it if the window has closed
        shipper.update_tracking(action.subject, number, provider, shipped_at=None)

    def apply_many(self, actions: Sequence[Action], seller: Connector, erp: Connector) -> list[Exception | None]:
        """Ship the packages of ``ship`` actions in one ``ship_packages`` call, each with its outcome.

        The connector groups them into the API's batches (Batch Ship Packages, 50 a call); a
        package refused fails alone, and one found "already shipped" counts as done, which is
        what retrying a batch whose answer was lost finds. A package the connector does not
        answer for is a failure: it was perhaps not shipped, and the next run reads it again.
        """
        shipper: PackageShipper | None = None
        requests: dict[str, ShipRequest] = {}  # one request per package, however often planned
        for action in actions:
            shipper = self._shipper(action, seller)
            if action.kind != "ship":
                raise ValueError(f"{self.name} makes only 'ship' in bulk, not {action.kind!r}")
            requests.setdefault(action.subject, ShipRequest(action.subject, action.value or "", action.field or ""))
        if shipper is None:
            return []
        outcome = shipper.ship_packages(list(requests.values()))
        done = set(outcome.shipped) | set(outcome.already_shipped)
        outcomes: list[Exception | None] = []
        for action in actions:
            package, sent = action.subject, requests[action.subject]
            if (sent.tracking_number, sent.shipping_provider_id) != (action.value or "", action.field or ""):
                other = f"package {package} was planned twice; shipped with {sent.tracking_number}, not {action.value}"
                outcomes.append(ConnectorError(other, operation="ship packages"))
            elif package in done:
                outcomes.append(None)
            else:
                unknown = ConnectorError(
                    f"package {package}: the seller backend gave no outcome for it", operation="ship packages"
                )
                outcomes.append(outcome.failed.get(package) or unknown)
        return outcomes


def _with_orders(
    states: dict[str, PackageShippingState], shipments: Sequence[ErpShipment]
) -> dict[str, PackageShippingState]:
    """The states, each without order ids given its ERP shipment's order id.

    A seller may answer a package that has not moved from what it kept of it, without its orders
    (the TikTok connector's package rows keep none): the one-update-per-order rule still needs to
    know which packages share an order, and the ERP's shipment names it.
    """
    for shipment in shipments:
        state = states.get(shipment.package_id)
        if state is not None and not state.order_ids and shipment.order_id:
            states[shipment.package_id] = replace(state, order_ids=(shipment.order_id,))
    return states
