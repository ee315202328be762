"""The typed base for ERP connectors: declare capabilities, and a missing method is an error at once.

An aspect asks a connector for a capability by its methods (``core/ports.py``), so a misspelt
method (``set_handover_mod``) would make a connector silently "not fixable" at ``--apply``. An
:class:`ErpConnector` names its capabilities instead (``capabilities = ("warehouses",
"addresses")``): each declared capability's methods are abstract until the class defines them,
so the plugin manager refuses the class when the plugin registers it, naming what is missing
(``erpsync/plugins/registration.py``), and Python refuses to build an instance of it.

:data:`CAPABILITIES` is the one table of capability names: what ``erpsync plugins`` shows, what
registration checks, and what a contract suite can be parameterised by.
"""

from __future__ import annotations

import inspect
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal, TypeVar

from erpsync.core.connector import Connector
from erpsync.core.errors import RecordError
from erpsync.core.listing_ports import ProductReader
from erpsync.core.models import Records
from erpsync.core.orders import OrderStatusBook
from erpsync.core.ports import BatchWriter, PickupReader, PickupWriter, WarehouseReader, WarehouseWriter
from erpsync.core.shipping import ShipmentReader

T = TypeVar("T")

#: capability name → the protocol whose methods it needs
CAPABILITIES: Mapping[str, type] = {
    "warehouses": WarehouseReader,  # list_warehouses(): every warehouse, address and handover mode
    "addresses": WarehouseWriter,  # set_warehouse_address(warehouse_id, changes)
    "handover": PickupWriter,  # set_handover_mode(warehouse_id, mode)
    "pickup_signals": PickupReader,  # read_pickup_signals(warehouse_ids, *, since)
    "batch": BatchWriter,  # batch(): a context in which the writes above are made all at once
    "products": ProductReader,  # read_products(): the catalogue the listings aspect pushes
    "shipments": ShipmentReader,  # list_shipments(): the parcels whose tracking numbers are pushed
    "order_statuses": OrderStatusBook,  # order_statuses(ids), set_order_status(id, status, updated_at)
}


def protocol_methods(protocol: type) -> tuple[str, ...]:
    """The public methods a capability protocol asks for, in the order it declares them."""
    return tuple(m for m, v in vars(protocol).items() if not m.startswith("_") and callable(v))


def implements(cls: type, method: str) -> bool:
    """Whether ``cls`` has ``method`` as a concrete callable (an abstract stub does not count)."""
    value = getattr(cls, method, None)
    return callable(value) and not getattr(value, "__isabstractmethod__", False)


def declared_capabilities(cls: type) -> tuple[str, ...] | None:
    """The capabilities ``cls`` names, or None for a connector that names none (a plain ``Connector``)."""
    declared = getattr(cls, "capabilities", None)
    if isinstance(declared, str):
        return (declared,)
    return tuple(declared) if isinstance(declared, Iterable) else None


def capabilities_of(cls: type) -> tuple[str, ...]:
    """What ``cls`` can do, by capability name: as it declares, else as its methods show."""
    declared = declared_capabilities(cls)
    if declared is not None:
        return declared
    return tuple(
        name for name, protocol in CAPABILITIES.items() if all(implements(cls, m) for m in protocol_methods(protocol))
    )


def _missing(protocol: type, method: str) -> Callable[..., Any]:
    """An abstract stand-in with the protocol's signature, so messages can show what to write."""
    spec = getattr(protocol, method)

    def stub(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.{method}")

    stub.__name__ = stub.__qualname__ = method
    stub.__doc__ = spec.__doc__
    stub.__signature__ = inspect.signature(spec)  # type: ignore[attr-defined]
    return abstractmethod(stub)


class ErpConnector(Connector, metaclass=ABCMeta):
    """Subclass for an ERP: set ``type``, ``Options``, ``capabilities``, and write their methods.

    Capability names (:data:`CAPABILITIES`): ``"warehouses"`` (``list_warehouses``),
    ``"addresses"`` (``set_warehouse_address``), ``"handover"`` (``set_handover_mode``). A write
    receives the ERP's own warehouse id (``Warehouse.id`` of what ``list_warehouses`` returned).
    ``self.options`` is the connector's table as its ``Options`` schema loaded it (defaults filled
    in, values converted), and ``self.shop`` the :class:`~erpsync.core.connector.ShopContext`.
    """

    role: ClassVar[Literal["seller", "erp"]] = "erp"
    #: what this ERP can do; each name's methods are abstract until the class defines them
    capabilities: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in declared_capabilities(cls) or ():
            protocol = CAPABILITIES.get(name)
            for method in protocol_methods(protocol) if protocol is not None else ():
                if getattr(cls, method, None) is None:
                    setattr(cls, method, _missing(protocol, method))  # type: ignore[arg-type]

    def check(self) -> str:
        """Read the warehouses once: a summary line, or the ConnectorError that reading raised."""
        reader = getattr(self, "list_warehouses", None)
        if reader is None:
            return f"{self.type}: loaded (it cannot list warehouses, so nothing was read)"
        records: Records[Any] = reader()
        bad = f", {len(records.errors)} malformed" if records.errors else ""
        count = len(records.items)
        return f"{self.type}: {count} warehouse{'' if count == 1 else 's'}{bad}"


def collect_records(
    rows: Iterable[Any],
    build: Callable[[Mapping[str, Any]], T],
    *,
    source: str,
    kind: str = "warehouse",
    id_key: str = "id",
    package_key: str | None = None,
) -> Records[T]:
    """``build`` each row; a row it cannot build becomes a RecordError and the other rows go on.

    ``build`` may raise ``RecordError`` (kept as it is, its ``record_id`` too, with ``source`` and
    the record filled in where missing), ``KeyError`` (a missing field), ``ValueError`` or
    ``TypeError`` (a bad value).
    Anything else is a bug in ``build`` and propagates. A row that is not an object, has no
    ``id_key`` or repeats an earlier row's is an error too: writes name a record by its id, so an
    id must name one record. The error of a row whose id was read names it (``record_id``), and
    with ``package_key`` (an ERP shipment's Seller Center package) the package the row gives, if
    it gives one as text (``package_id``).
    """
    items: list[T] = []
    errors: list[RecordError] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors.append(RecordError("not an object", record=f"{kind} #{index + 1}", source=source))
            continue
        rid = row.get(id_key)
        if rid in (None, ""):
            record = f"{kind} #{index + 1} (no {id_key})"
            errors.append(RecordError("missing", record=record, field=id_key, source=source))
            continue
        record, named = f"{kind} {str(rid)!r}", str(rid)
        package = _package(row, package_key)
        if named in seen:
            reason = f"duplicate id (first as {kind} #{seen[named]})"
            errors.append(
                RecordError(reason, record=record, field=id_key, source=source, record_id=named, package_id=package)
            )
            continue
        seen[named] = index + 1
        try:
            items.append(build(row))
        except RecordError as exc:
            reason, field, where = exc.reason, exc.field, exc.source or source
            rid, package = exc.record_id or named, exc.package_id or package
            errors.append(
                RecordError(
                    reason, record=exc.record or record, field=field, source=where, record_id=rid, package_id=package
                )
            )
        except KeyError as exc:
            missing = str(exc.args[0])
            errors.append(
                RecordError("missing", record=record, field=missing, source=source, record_id=named, package_id=package)
            )
        except (ValueError, TypeError) as exc:
            reason = str(exc) or type(exc).__name__
            errors.append(RecordError(reason, record=record, source=source, record_id=named, package_id=package))
    return Records(tuple(items), tuple(errors))


def _package(row: Mapping[str, Any], key: str | None) -> str | None:
    """The package id ``row`` gives under ``key``, stripped, or None (no key, not a text, empty)."""
    value = row.get(key) if key is not None else None
    return (value.strip() or None) if isinstance(value, str) else None
