"""The tracking aspect's carriers: the ERP names a carrier, Seller Center wants a provider id.

Resolved only for a shipment the plan could push (``tracking_plan.may_push``), after what the
aspect remembers (``tracking_memory.py``) is known: a package done, shipped by TikTok, past the
72 h window, whose correction was refused, or whose order's one update is used needs no carrier,
and an ERP carrier name Seller Center does not know is then no record error on every run, nor a
reason to leave the package's drift unreported.

The ``[aspects.tracking] carriers`` table maps names to ids; a name it lacks is looked up by its
exact name among the shipping providers of the package's warehouse (the connector caches them);
a name several of them share is the provider the package's own delivery option offers
(``ProviderNames``). A name found in neither, or shared with no option to settle it, is a record
error naming the shipment's file, line and field, and that shipment alone is left out (its
package out of scope, its drifts as they were). So are the shipments of a package that agree on
the number but name carriers that are not one provider: which one the parcel went with is not
known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from erpsync.core.aspects.tracking_plan import TrackingObservation, may_push
from erpsync.core.errors import RecordError
from erpsync.core.shipping import ErpShipment, PackageShipper, PackageShippingState, ProviderNames

__all__ = ["resolve_carriers"]


def resolve_carriers(
    seller: PackageShipper,
    obs: TrackingObservation,
    carriers: Mapping[str, str],
    named: Mapping[str, Sequence[ErpShipment]],
) -> None:
    """Fill ``obs.providers`` (by package id: one shipment each after ``one_per_package``) for each
    shipment the plan could push; one whose carrier cannot be resolved is a record error, and
    leaves ``obs.shipments`` and ``obs.scope``.

    ``named``: the ERP shipments of each package whose shipments agree on the number but name
    different carriers (``carriers_named``). Unless every name means one provider, which one the
    parcel went with is not known: pushing the first row's would let the file's order decide, so
    each of them is a record error and nothing is pushed for the package.
    """
    lookups: dict[str, Mapping[str, str]] = {}  # warehouse id → name → id, one lookup per run
    kept: list[ErpShipment] = []
    for shipment in obs.shipments:
        state = obs.states[shipment.package_id]
        if may_push(obs, shipment, state):
            rows = named.get(shipment.package_id) or (shipment,)
            found = {carriers.get(s.carrier) or _by_name(seller, state, s, lookups) for s in rows}
            provider = found.pop() if len(found) == 1 else None
            if provider is None:
                if len(rows) > 1:
                    obs.record_errors.extend(_carriers_differ(rows))
                else:
                    obs.record_errors.append(_unknown_carrier(shipment, state, lookups))
                if obs.scope is not None:
                    obs.scope.discard(shipment.package_id)
                continue
            obs.providers[shipment.package_id] = provider
        kept.append(shipment)
    obs.shipments = kept


def _carriers_differ(rows: Sequence[ErpShipment]) -> list[RecordError]:
    """One record error per shipment of a package whose shipments name different carriers."""
    shown = ", ".join(f"{s.carrier} (shipment {s.id!r}" + (f", {s.source})" if s.source else ")") for s in rows)
    reason = (
        f"package {rows[0].package_id} has ERP shipments with tracking number {rows[0].tracking_number} under "
        f"different carriers: {shown}; which one the parcel went with is not known, so none is pushed: keep "
        "one carrier per package"
    )
    return [
        RecordError(reason, source=s.source, record=f"shipment {s.id!r}", field="carrier", package_id=s.package_id)
        for s in rows
    ]


def _by_name(
    seller: PackageShipper, state: PackageShippingState, shipment: ErpShipment, lookups: dict[str, Mapping[str, str]]
) -> str | None:
    """The provider id of the shipment's carrier among its warehouse's providers, by exact name
    (a name several providers share: the one the package's own delivery option offers)."""
    if not state.warehouse_id:
        return None
    if state.warehouse_id not in lookups:
        lookups[state.warehouse_id] = seller.shipping_provider_ids(state.warehouse_id)
    names = lookups[state.warehouse_id]
    if isinstance(names, ProviderNames):
        return names.resolve(shipment.carrier, state.delivery_option_id)
    return names.get(shipment.carrier)


def _unknown_carrier(
    shipment: ErpShipment, state: PackageShippingState, lookups: Mapping[str, Mapping[str, str]]
) -> RecordError:
    where = f" nor among warehouse {state.warehouse_id}'s shipping providers" if state.warehouse_id else ""
    reason = f"unknown carrier {shipment.carrier!r}: not in [aspects.tracking] carriers{where}; not pushed"
    names = lookups.get(state.warehouse_id or "")
    shared = names.ambiguous.get(shipment.carrier) if isinstance(names, ProviderNames) else None
    if shared:
        reason = (
            f"ambiguous carrier {shipment.carrier!r}: warehouse {state.warehouse_id}'s shipping providers"
            f" {', '.join(shared)} all have this name and the package's delivery option does not say which;"
            " set its id in [aspects.tracking] carriers; not pushed"
        )
    return RecordError(
        reason,
        source=shipment.source,
        record=f"shipment {shipment.id!r}",
        field="carrier",
        package_id=shipment.package_id,
    )
