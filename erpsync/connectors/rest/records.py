"""ERP items → erpsync records through the mapping: each bad item one RecordError, the rest kept.

An item is read field by field at the mapping's JSON paths. What a mapped path does not reach is
a record error naming the item, the erpsync field and the path (``missing at
'contact.phone'``): a field the mapping names is one the ERP is expected to hold, and reading
it as empty would let a reconcile "correct" Seller Center to a blank. ``null`` is a value (the
ERP holds nothing there) and reads as empty text. A text that arrived in another encoding
(decoded with ``surrogateescape``, see ``fetch.py``) is an error of its item alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from erpsync.core.errors import RecordError
from erpsync.core.json_keys import repeat_reason, repeated_key
from erpsync.core.models import Records

from .paths import MISSING, Path, dig, show

T = TypeVar("T")

__all__ = ["FieldReader", "bad_text", "build_records"]


def bad_text(value: Any, where: str = "") -> tuple[str, str] | None:
    """The first text in ``value`` (keys too) holding bytes that were not UTF-8: (path, reason)."""
    if isinstance(value, str):
        for i, ch in enumerate(value):
            if "\udc80" <= ch <= "\udcff":
                return where, f"not UTF-8: byte 0x{ord(ch) - 0xDC00:02x} at character {i} (GBK perhaps)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = bad_text(key, where) or bad_text(item, f"{where}.{key}" if where else str(key))
            if found:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            found = bad_text(item, f"{where}[{n}]")
            if found:
                return found
    return None


class FieldReader:
    """Reads one item's fields by erpsync name; raises RecordError naming field and path."""

    def __init__(self, item: Any, paths: Mapping[str, Path], record: str) -> None:
        self.item, self.paths, self.record = item, paths, record

    def mapped(self, name: str) -> bool:
        return name in self.paths

    def raw(self, name: str) -> Any:
        path = self.paths[name]
        value = dig(self.item, path)
        if value is MISSING:
            raise RecordError(f"missing at {show(path)!r}", record=self.record, field=name)
        return value

    def error(self, name: str, reason: str) -> RecordError:
        where = f" (at {show(self.paths[name])!r})" if name in self.paths else ""
        return RecordError(f"{reason}{where}", record=self.record, field=name)

    def text(self, name: str, *, required: bool = False) -> str:
        """The field as text: a number is written as JSON writes it; an object, list or bool is an error."""
        if name not in self.paths:
            return ""
        value = self.raw(name)
        if value is None:
            value = ""
        elif isinstance(value, bool | dict | list):
            raise self.error(name, f"expected a text, got {type(value).__name__}")
        value = str(value).strip()
        if required and not value:
            raise self.error(name, "empty")
        return value

    def decimal(self, name: str) -> Decimal:
        value = self.raw(name)
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.error(name, f"not a number: {value!r}") from None
        if not number.is_finite():  # "NaN" and "Infinity" parse, and no ERP value means them
            raise self.error(name, f"not a finite number: {value!r}")
        return number

    def whole(self, name: str) -> int:
        value = self.raw(name)
        whole = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.strip().isdigit()
        )
        if not whole and not (isinstance(value, Decimal) and value == value.to_integral_value()):
            raise self.error(name, f"not a whole number: {value!r}")
        return int(value)

    def texts(self, name: str) -> tuple[str, ...]:
        if name not in self.paths:
            return ()
        value = self.raw(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(name, "expected a list of texts")
        return tuple(value)

    def pairs(self, name: str) -> tuple[tuple[str, str], ...]:
        """An object of name → value, or a list of ``{"name": …, "value": …}``, as pairs in ERP order."""
        if name not in self.paths:
            return ()
        value = self.raw(name)
        if value is None:
            return ()
        if isinstance(value, dict):
            return tuple((str(k), str(v)) for k, v in value.items())
        if isinstance(value, list) and all(isinstance(v, dict) and {"name", "value"} <= set(v) for v in value):
            return tuple((str(v["name"]), str(v["value"])) for v in value)
        raise self.error(name, "expected an object of name → value, or a list of {name, value}")


def build_records(
    items: Iterable[tuple[str, Any]],
    paths: Mapping[str, Path],
    build: Callable[[FieldReader, str], T],
    *,
    kind: str,
    id_field: str = "id",
    package_field: str | None = None,
) -> Records[T]:
    """``build(reader, source)`` each ``(source, item)``; a bad item is a RecordError naming it, the others go on.

    An item's id is read first (an item without one cannot be named by a write, nor told apart):
    the error of an item whose id was read carries it as ``RecordError.record_id``, so a caller
    that asked about some records only can tell the errors of the others apart (``order_statuses``);
    and an id seen twice is an error of the second item (a write names a record by its id; the
    first counts even when it fails), then its text is checked for bytes that were not UTF-8 and
    for a key given twice (``core/json_keys.py``), then ``build`` reads the rest. With
    ``package_field`` (an ERP shipment's Seller Center package), the error of an item that gives
    one as text names it too (``RecordError.package_id``), whatever else is wrong with the item.
    """
    out: list[T] = []
    errors: list[RecordError] = []
    seen: dict[str, str] = {}
    reverse = {show(p): name for name, p in paths.items()}
    for source, item in items:
        record = f"{kind} (no id)"
        rid: str | None = None  # until read: an error before then names no record by id
        package = _package(item, paths, package_field)
        try:
            if not isinstance(item, dict):
                raise RecordError("not an object", record=record)
            reader = FieldReader(item, paths, record)
            rid = reader.text(id_field, required=True)
            record = reader.record = f"{kind} {rid!r}"
            if rid in seen:  # a failed item holds its id too: a later one with it is not read instead
                raise RecordError(f"duplicate id (first at {seen[rid]})", record=record, field=id_field)
            seen[rid] = source
            found = bad_text(item)
            if found:
                where, reason = found
                raise RecordError(f"{reason} (at {where!r})", record=record, field=reverse.get(where, where))
            repeat = repeated_key(item)
            if repeat is not None:
                name, key = repeat
                raise RecordError(repeat_reason(key), record=record, field=reverse.get(name, name))
            out.append(build(reader, source))
        except RecordError as exc:
            errors.append(
                RecordError(
                    exc.reason,
                    record=exc.record or record,
                    field=exc.field,
                    source=source,
                    record_id=exc.record_id or rid,
                    package_id=exc.package_id or package,
                )
            )
        except (ValueError, TypeError, ArithmeticError) as exc:  # one item's value, never the read's
            reason = str(exc) or type(exc).__name__
            errors.append(RecordError(reason, record=record, source=source, record_id=rid, package_id=package))
    return Records(tuple(out), tuple(errors))


def _package(item: Any, paths: Mapping[str, Path], name: str | None) -> str | None:
    """The package id ``item`` gives at ``name``'s path, as text, or None (not mapped, not a text, empty)."""
    if name is None or name not in paths or not isinstance(item, dict):
        return None
    value = dig(item, paths[name])
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # as FieldReader.text reads it
    return (value.strip() or None) if isinstance(value, str) else None
