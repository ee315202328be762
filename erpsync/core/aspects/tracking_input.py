"""The tracking aspect's inputs, checked before they are compared: one shipment per package, and
shipping times that are instants.

Both sides may hand in what cannot be pushed as it is: an ERP export with two numbers for one
package, a seller plugin with a shipping time without a zone. Each is a record error naming the
rows or the package, and only that package is left out; the run goes on with the others.
"""

from __future__ import annotations

from collections.abc import Iterable

from erpsync.core.errors import RecordError
from erpsync.core.shipping import ErpShipment, PackageShippingState

__all__ = ["dated_states", "one_per_package"]


def one_per_package(items: Iterable[ErpShipment], errors: list[RecordError]) -> list[ErpShipment]:
    """One shipment per package: the ERP's shipments of a package that agree on the number (case
    aside, as ``same_tracking_number`` compares) are one (the first stands for them); a package
    whose shipments disagree is left out, each of them a record error naming them all.

    Which of two numbers the parcel carries cannot be told from the ERP, and Seller Center takes a
    package's number once and lets its order change it once: pushing the first row's would let the
    file's order decide, and a later export in another order would spend the order's one update on
    a correction. The package's drifts stay as they were (it is not in scope) until the ERP agrees.
    """
    by_package: dict[str, list[ErpShipment]] = {}
    for shipment in items:
        by_package.setdefault(shipment.package_id, []).append(shipment)
    kept: list[ErpShipment] = []
    for package, shipments in by_package.items():
        if len({(s.tracking_number or "").casefold() for s in shipments}) == 1:  # as same_tracking_number
            kept.append(shipments[0])
            continue
        rows = ", ".join(f"{s.tracking_number} ({_named(s)})" for s in shipments)
        reason = (
            f"package {package} has ERP shipments with different tracking numbers: {rows}; which one the "
            "parcel carries is not known, so none is pushed: keep one number per package"
        )
        for s in shipments:
            errors.append(RecordError(reason, source=s.source, record=f"shipment {s.id!r}", field="tracking_number"))
    return kept


def _named(shipment: ErpShipment) -> str:
    return f"shipment {shipment.id!r}" + (f", {shipment.source}" if shipment.source else "")


def dated_states(states: Iterable[PackageShippingState], errors: list[RecordError]) -> dict[str, PackageShippingState]:
    """The states by package id, those whose ``shipped_at`` is naive left out, each a record error.

    The correction window is counted from ``shipped_at``; a time without a zone (a seller plugin's
    ``datetime.fromtimestamp``) is no instant, and guessing its zone could send a correction past
    the window or hold one within it. The package is then not read: its drifts stay as they were.
    """
    dated: dict[str, PackageShippingState] = {}
    for state in states:
        when = state.shipped_at
        if when is not None and (when.tzinfo is None or when.utcoffset() is None):
            reason = f"{when.isoformat()} has no time zone: the seller backend must give an aware time"
            errors.append(RecordError(reason, record=f"package {state.id!r}", field="shipped_at", record_id=state.id))
            continue
        dated[state.id] = state
    return dated
