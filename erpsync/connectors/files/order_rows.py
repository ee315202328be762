"""The rows of the files ERP's orders file that give one order: one status, or none to trust.

An ERP may list an order twice (an import run twice). Rows that agree on the status and the
update time are one record given again: the first stands for them. Rows that differ, or a row
of the order that could not be read (it may differ), leave the status the ERP holds unknown:
keeping the first would let the file's order decide, and a status written into one row would
leave the other saying what it said, as the shipments reader refuses an id naming several
shipments (the core's ``distinct_ids``: both go by ``erpsync.core.repeated_ids``). So such an
order counts as having no status, and a write sets every row of it (``orders._rewritten``),
after which they agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from erpsync.core.errors import RecordError
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.repeated_ids import one_per_id

__all__ = ["one_status"]


def one_status(
    items: Sequence[ErpOrderStatus], errors: list[RecordError], unread: Mapping[str, Sequence[str]]
) -> list[ErpOrderStatus]:
    """One row per order whose rows agree; each row of an order whose rows differ, or one of
    whose rows could not be read (``unread``: order id -> where), a record error appended to
    ``errors``, naming all of them and its order (``record_id``), and the order left out."""
    found = one_per_id(items, lambda r: r.order_id, lambda r: (r.status, r.updated_at), unread)
    for doubt in found.in_doubt:
        said = [_said(r) for r in doubt.rows] + [f"a row erpsync could not read ({where})" for where in doubt.unread]
        shown = ", ".join(said)
        reason = (
            f"rows of this order differ: {shown}; which status the ERP holds is not known, so none is "
            "taken (a status written goes into every row of the order): keep one row per order"
        )
        errors.extend(
            RecordError(reason, source=r.source, record=f"order {doubt.id!r}", field="order_id", record_id=doubt.id)
            for r in doubt.rows
        )
    return list(found.kept)


def _said(row: ErpOrderStatus) -> str:
    """What one row of an order says, and where."""
    status = row.status or "no status"
    when = f" as of {row.updated_at.isoformat()}" if row.updated_at is not None else ""
    return f"{status}{when} ({row.source})"
