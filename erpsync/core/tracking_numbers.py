"""What erpsync takes for a tracking number, and when two are the same: one rule for every ERP reader.

A tracking number goes from the ERP to Seller Center, and from there to the buyer and the
carrier's tracking page, exactly as erpsync sends it, and TikTok allows it to be changed once per
order. So a value that only looks like a number is refused here, as a record error naming the
shipment and the field, rather than pushed:

- a number with a fraction or an exponent (a JSON float, or the ``Decimal`` the REST reader
  parses one into): ``9.400111899223345e+21`` is how a JavaScript ERP writes a 22-digit
  tracking number it keeps as a number, and the digits past a double's precision are gone. A
  JSON integer is taken as written (Python reads its digits exactly; it has no leading zero,
  which JSON forbids, so one the ERP had is already lost in the ERP, where no reader can see
  it; ``docs/tracking.md`` says what else no reader can see);
- anything else that is not a text (a bool, a list, an object);
- a text with whitespace inside (two numbers, or one split by a typing slip), or with a character
  that does not show: a control or format character (a zero-width space U+200B, a BOM, a soft
  hyphen), any other separator (a no-break or ideographic space), a combining mark, or a blank
  letter (the Hangul fillers). Pasted from a web page or a spreadsheet, such a number looks right
  on screen and is one no carrier knows. The reason shows the value with ``repr``, so the
  character is visible in the message (``'SF1001\\u200b'``).

Whitespace around the number is dropped: a cell or field padded with spaces holds the same number.

Case: carriers' tracking numbers are upper-case letters and digits, and an ERP or a person may
write them in lower case; ``same_tracking_number`` compares without case, so a number that differs
from Seller Center's only in case is the same number and does not spend the order's one update
(``docs/tracking.md``, "Tracking numbers": a guess, nothing documents how Seller Center compares);
``number_identity`` is the one text a drift about a number is told apart by.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from erpsync.core.errors import RecordError
from erpsync.core.shipping import ErpShipment

__all__ = [
    "FIELD",
    "check_tracking_number",
    "number_identity",
    "same_tracking_number",
    "tracking_number",
    "valid_shipments",
]

FIELD = "tracking_number"
#: letters that draw nothing (Unicode's default-ignorable Hangul fillers, and the blank Braille
#: pattern): not in the categories below, and as invisible in a number as a zero-width space
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
#: the Unicode categories of characters no tracking number holds: other (control, format,
#: surrogate, private use, unassigned), separator (spaces, line and paragraph separators) and mark
#: (combining: they draw on the character before them)
_HIDDEN = ("C", "Z", "M")


def check_tracking_number(value: object) -> str:
    """The tracking number ``value`` holds, whitespace around it dropped; a ValueError saying why
    it is none (the module docstring gives the rules)."""
    if isinstance(value, bool) or value is None:
        raise ValueError("missing" if value is None else f"expected a text, got {type(value).__name__}")
    if isinstance(value, float | Decimal):
        raise ValueError(
            f"given as the number {value}, with a fraction or an exponent: the digits past a float's "
            "precision are lost; the ERP must give the tracking number as a text"
        )
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"given as the negative number {value}: not a tracking number")
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a text, got {type(value).__name__}")
    number = value.strip()
    if not number:
        raise ValueError("empty")
    if number.isascii() and number.isprintable() and " " not in number:
        return number  # the common case: nothing below can apply
    for at, ch in enumerate(number, start=1):
        if ch.isspace():
            raise ValueError(
                f"{number!r} contains spaces ({_name(ch)} at character {at}): a tracking number is one word"
            )
        if unicodedata.category(ch)[0] in _HIDDEN or ch in _BLANK_LETTERS:
            raise ValueError(f"{number!r} contains an invisible character ({_name(ch)} at character {at}): retype it")
    return number


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, unicodedata.category(ch))}"


def tracking_number(
    value: object,
    *,
    record: str | None,
    field: str = FIELD,
    source: str | None = None,
    record_id: str | None = None,
    package_id: str | None = None,
) -> str:
    """``check_tracking_number``, its refusal a RecordError naming the record, the field and the package."""
    try:
        return check_tracking_number(value)
    except ValueError as exc:
        raise RecordError(
            str(exc), record=record, field=field, source=source, record_id=record_id, package_id=package_id
        ) from None


def valid_shipments(items: Iterable[ErpShipment], errors: list[RecordError]) -> list[ErpShipment]:
    """The shipments whose number is a tracking number, each as ``check_tracking_number`` gives it;
    each other one a record error appended to ``errors``, naming its package (``one_per_package``
    then holds that package back).

    The tracking aspect passes every ERP reader's shipments through this, so a reader (a plugin's
    too) that lets a bad number through still has it refused before anything is pushed.
    """
    kept: list[ErpShipment] = []
    for shipment in items:
        try:
            number = tracking_number(
                shipment.tracking_number,
                record=f"shipment {shipment.id!r}",
                source=shipment.source,
                record_id=shipment.id,
                package_id=shipment.package_id,
            )
        except RecordError as exc:
            errors.append(exc)
            continue
        kept.append(shipment if number == shipment.tracking_number else replace(shipment, tracking_number=number))
    return kept


def same_tracking_number(a: str | None, b: str | None) -> bool:
    """True when ``a`` and ``b`` are one tracking number: equal but for case (None is no number)."""
    return a is not None and b is not None and (a == b or a.casefold() == b.casefold())


def number_identity(number: str) -> str:
    """What a drift about ``number`` is told apart by: one text for all the spellings
    ``same_tracking_number`` calls one number, so a case change in the ERP is the same drift (its
    alert stays, and the ledger's refusal of a correction to that number is still read).

    Upper case, after folding (so that what ``casefold`` makes equal stays equal): carriers'
    numbers are upper-case letters and digits, so such a number is its own identity, as it was
    before numbers were compared without case, and a drift opened then keeps its fingerprint;
    ``casefold`` alone would have given every open drift a new one, resolving it and opening
    another, and forgetting the refusals the ledger keeps for it.
    """
    return number.casefold().upper()
