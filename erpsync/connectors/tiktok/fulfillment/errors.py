"""The errors of the fulfilment calls, narrower than the client's, and the outcome of a batch ship.

The error classes are ``PermanentError`` subclasses (``AlreadyShippedError`` an
``AlreadyDoneError``), so code that only knows the error tree still does the right thing (do not
retry), while a caller can tell "already shipped" (done) from "not shipped yet" from "72 h window
closed" (tell the operator). A package that is not this shop's is core's ``NotFoundError``,
chosen by ``envelope.py`` from the code's kind in ``error_codes.csv``.

A batch ship answers one envelope for many packages, with a ``data.errors`` entry per package that
failed; :func:`sort_batch_outcomes` classifies each entry like a whole answer (``envelope.error_for``)
and narrows it here (:func:`refine`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpsync.connectors.tiktok import error_codes
from erpsync.connectors.tiktok.envelope import code_number, error_for
from erpsync.connectors.tiktok.error_codes import Kind
from erpsync.connectors.tiktok.fulfillment.models import BatchResult, Shipment
from erpsync.connectors.tiktok.fulfillment.schemas import BatchErrorSchema
from erpsync.connectors.tiktok.loading import load_typed
from erpsync.core.errors import AlreadyDoneError, ConnectorError, PermanentError, RecordError, TemporaryError

SHIPPING_INFO_WINDOW_HOURS = 72
#: "the package has not been shipped yet" (Partner Center API reference, Update Package Shipping
#: Info and Update Shipping Info (202309), error code list)
NOT_SHIPPED = 21011043
#: the tracking number may be updated only within some hours of shipping, once, or a limited
#: number of times, or not at all by platform rule (same pages, error code list)
SHIPPING_INFO_LIMIT_CODES = frozenset({21011049, 21011050, 21011051, 21011052})


class AlreadyShippedError(AlreadyDoneError):
    """The package was shipped (or even delivered) before: a caller pushing shipments can count it as done.

    The codes are the table's ``already_done`` kind (``error_codes.csv``): 21011040, 21011020,
    11006021, 21008099, 21011027.
    """


class NotShippedError(PermanentError):
    """21011043: shipping info can only be updated after the package shipped."""


class ShippingInfoWindowClosedError(PermanentError):
    """21011049-21011052: the tracking number can no longer be changed through the API.

    TikTok allows a change only within some hours of shipping and a limited number of times.
    """


def _errors() -> dict[int, type[PermanentError]]:
    out: dict[int, type[PermanentError]] = dict.fromkeys(error_codes.codes_of(Kind.ALREADY_DONE), AlreadyShippedError)
    out[NOT_SHIPPED] = NotShippedError
    out.update(dict.fromkeys(SHIPPING_INFO_LIMIT_CODES, ShippingInfoWindowClosedError))
    return out


#: code -> the fulfilment class, narrower than the class ``envelope.py`` chose from the code's
#: kind (every "already done" code of the fulfilment calls is a ship, so: AlreadyShippedError).
#: The hint text lives in the table: the client already wrote it into the message, so re-typing
#: keeps the message as it is.
ERRORS: dict[int, type[PermanentError]] = _errors()


def error_class(code: int | str | None) -> type[PermanentError] | None:
    """The fulfilment class of ``code``, or None when the class the client chose stays (the
    client's errors carry the envelope's integer code; any other value is no code of the table)."""
    return ERRORS.get(code) if isinstance(code, int) and not isinstance(code, bool) else None


def refine(exc: ConnectorError) -> ConnectorError:
    """Re-type a client error more narrowly by its code (an AlreadyDoneError for 21011040 →
    AlreadyShippedError, a PermanentError for 21011043 → NotShippedError).

    Only narrows: the new class must be a subclass of the error's class, so a TemporaryError or
    an AuthError is never turned into something else. The message is kept as the client made it:
    it already says what the code means.
    """
    cls = error_class(exc.code)
    if cls is None or type(exc) is cls or not issubclass(cls, type(exc)):
        return exc
    return cls(exc.message, **exc.context)


def specific_error(
    code: object, server: str, *, connector: str | None = None, operation: str | None = None
) -> ConnectorError:
    """The error of one ``data.errors`` entry, classified like a whole answer (``envelope.error_for``:
    the code's kind in ``error_codes.csv``), then narrowed by ``refine`` (already shipped, ...).

    A code written as digits in a string is that number (the entry's ``code`` is read as any JSON
    value); any other code that is no integer (``code_number``: a boolean, a fraction) is read as
    no code at all: the entry is still that package's failure, judged by its message, never by a
    code it does not carry (``true`` is not 1, ``false`` is not success).
    """
    number = int(code) if isinstance(code, str) and code.isascii() and code.isdigit() else code_number(code)
    return refine(error_for(number, server.strip(), connector=connector, operation=operation))


def sort_batch_outcomes(
    chunk: list[Shipment], data: Mapping[str, Any], result: BatchResult, *, connector: str, source: str
) -> None:
    """Add each package of one ``POST /packages/ship`` call to ``result`` by ``data.errors``.

    An error entry that cannot be tied to a package of the call makes the outcome of the other
    packages unknown: they are failed with a TemporaryError (shipping again answers "already
    shipped", e.g. 21011040, for the packages that went).
    """
    wanted = {s.package_id for s in chunk}
    named: dict[str, ConnectorError] = {}
    unattributed: list[str] = []
    raw_errors = data.get("errors") or []
    if not isinstance(raw_errors, list):
        raw_errors = [raw_errors]
    for index, raw in enumerate(raw_errors):
        try:
            entry = load_typed(BatchErrorSchema(), raw, kind="ship error", source=source, record=f"ship error #{index}")
        except RecordError as err:
            unattributed.append(str(err))
            continue
        package_id = entry["detail"]["package_id"]
        if package_id not in wanted:
            unattributed.append(f"error for package {package_id}, which was not in this call")
            continue
        named[package_id] = specific_error(
            entry["code"],
            str(entry["message"] or ""),
            connector=connector,
            operation=f"ship package {package_id}",
        )
    for s in chunk:
        error = named.get(s.package_id)
        if isinstance(error, AlreadyShippedError):
            result.already_shipped.append(s.package_id)
        elif error is not None:
            result.failed[s.package_id] = error
        elif unattributed:
            result.failed[s.package_id] = TemporaryError(
                f"outcome unknown, ship again to find out: the batch answered {'; '.join(unattributed)[:300]}",
                connector=connector,
                operation=f"ship package {s.package_id}",
            )
        else:
            result.shipped.append(s.package_id)
