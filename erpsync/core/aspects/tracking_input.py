"""The tracking aspect's inputs, checked before they are compared: one shipment per package, and
shipping times that are instants.

Both sides may hand in what cannot be pushed as it is: an ERP export with two numbers for one
package, a seller plugin with a shipping time without a zone. Each is a record error naming the
rows or the package, and only that package is left out; the run goes on with the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from erpsync.core.errors import RecordError
from erpsync.core.repeated_ids import Doubt, one_per_id
from erpsync.core.shipping import ErpShipment, PackageShippingState

__all__ = ["carriers_named", "dated_states", "distinct_ids", "one_per_package", "shipment_identity"]


def distinct_ids(
    items: Iterable[ErpShipment], errors: list[RecordError], unread: Mapping[str, Sequence[str]] | None = None
) -> list[ErpShipment]:
    """The shipments whose id names one shipment, copies of it given again left out; each
    shipment whose id names several a record error appended to ``errors``, naming every shipment
    of that id and its package (``RecordError.package_id``, so ``one_per_package`` holds those
    packages back). ``unread`` is, per id, where the reader met rows of it that it could not read
    (the files reader): they may differ, so that id names no one shipment either.

    A reader may give two shipments one id: Tryton numbers shipments per company, a plugin may
    too. An id that names two shipments names neither (records, messages and drifts go by it), so
    neither is pushed, whichever reader let them through; the readers that refuse such ids
    themselves (the files reader by this rule, Odoo a repeated id) give none here. Rows that agree
    on the package, the number (case aside, as ``same_tracking_number`` compares) and the carrier
    (as ``carriers_named`` compares: the same name) are one shipment given again, as a plugin's
    SQL join over order lines gives it: the id is not in doubt, so the first stands for them
    (``erpsync.core.repeated_ids``, the rule the files ERP's orders go by too). The errors come in
    the order of the shipments, one for each.
    """
    shipments = list(items)
    found = one_per_id(shipments, lambda s: s.id, shipment_identity, unread or {})
    reasons = {doubt.id: _differ(doubt) for doubt in found.in_doubt}
    errors.extend(
        RecordError(
            reasons[shipment.id],
            source=shipment.source,
            record=f"shipment {shipment.id!r}",
            field="id",
            record_id=shipment.id,
            package_id=shipment.package_id,
        )
        for shipment in shipments
        if shipment.id in reasons
    )
    return list(found.kept)


def _differ(doubt: Doubt[ErpShipment]) -> str:
    """Why an id in doubt names no shipment: every shipment giving it, and its unread rows."""
    shown = ", ".join(
        [f"package {s.package_id}, {s.tracking_number} by {s.carrier} ({s.source or 'no source'})" for s in doubt.rows]
        + [f"a row erpsync could not read ({where})" for where in doubt.unread]
    )
    return (
        f"ERP shipments giving this id differ: {shown}; which shipment it names is not known, so "
        "none of them is pushed: give each shipment its own id"
    )


def shipment_identity(shipment: ErpShipment) -> tuple[str, str, str]:
    """What tells two shipments apart: their package, number (case aside, as
    ``same_tracking_number``) and carrier (the name, as ``carriers_named``). A plugin may hand in
    a number that is no string (a float: ``valid_shipments`` refuses it next); its text stands in.
    Rows of one id with one identity are one shipment given again (``distinct_ids``)."""
    number = shipment.tracking_number
    folded = number.casefold() if isinstance(number, str) else repr(number)
    return repr(shipment.package_id), folded, repr(shipment.carrier)


def one_per_package(items: Iterable[ErpShipment], errors: list[RecordError]) -> list[ErpShipment]:
    """One shipment per package: the ERP's shipments of a package that agree on the number (case
    aside, as ``same_tracking_number`` compares) are one (the first stands for them); a package
    whose shipments disagree is left out, each of them a record error naming them all, and so is
    a package one of whose shipments was refused (a record error in ``errors`` naming the package:
    ``RecordError.package_id``), each of its other shipments a record error naming the refused ones.

    Which of two numbers the parcel carries cannot be told from the ERP, and Seller Center takes a
    package's number once and lets its order change it once: pushing the first row's would let the
    file's order decide, and a later export in another order would spend the order's one update on
    a correction. A refused shipment (a number with a space inside, an invisible character) may
    carry another number than the rows that read well, so pushing theirs would be the same guess.
    The package's drifts stay as they were (it is not in scope) until the ERP agrees.
    """
    refused: dict[str, list[RecordError]] = {}
    for error in errors:
        if error.package_id:
            refused.setdefault(error.package_id, []).append(error)
    by_package: dict[str, list[ErpShipment]] = {}
    for shipment in items:
        by_package.setdefault(shipment.package_id, []).append(shipment)
    kept: list[ErpShipment] = []
    for package, shipments in by_package.items():
        if package in refused:
            where = "; ".join(_refused(e) for e in refused[package])
            reason = (
                f"package {package} has an ERP shipment erpsync could not read ({where}); it may carry another "
                "number, so none of the package's shipments is pushed: fix that shipment"
            )
            errors.extend(_each(shipments, reason))
        elif len({(s.tracking_number or "").casefold() for s in shipments}) == 1:  # as same_tracking_number
            kept.append(shipments[0])
        else:
            rows = ", ".join(f"{s.tracking_number} ({_named(s)})" for s in shipments)
            reason = (
                f"package {package} has ERP shipments with different tracking numbers: {rows}; which one the "
                "parcel carries is not known, so none is pushed: keep one number per package"
            )
            errors.extend(_each(shipments, reason))
    return kept


def carriers_named(items: Iterable[ErpShipment]) -> dict[str, list[ErpShipment]]:
    """Package id → its ERP shipments, for each package whose shipments name more than one carrier.

    ``one_per_package`` keeps the first of shipments that agree on the number; when they name
    different carriers, which one the parcel went with is as unknown as a number would be, so the
    carriers step (``tracking_carriers.py``) pushes nothing for such a package unless the names all
    mean one shipping provider.
    """
    by_package: dict[str, list[ErpShipment]] = {}
    for shipment in items:
        by_package.setdefault(shipment.package_id, []).append(shipment)
    return {p: rows for p, rows in by_package.items() if len({s.carrier for s in rows}) > 1}


def _each(shipments: Iterable[ErpShipment], reason: str) -> list[RecordError]:
    """One record error per shipment, on its tracking number, naming its package."""
    return [
        RecordError(
            reason, source=s.source, record=f"shipment {s.id!r}", field="tracking_number", package_id=s.package_id
        )
        for s in shipments
    ]


def _refused(error: RecordError) -> str:
    """Where a refused shipment is, and why, in a few words: its source and record, and its field."""
    named = ", ".join(p for p in (error.source, error.record) if p) or "a shipment"
    return f"{named}: {error.field}" if error.field else named


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
