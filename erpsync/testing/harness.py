"""What the contract cases share: building connectors, reading the system back, checking errors.

A case never reuses the connector that wrote to read the result: it builds a fresh one (or asks
the author's ``read_back``), so a write that only changed a cache, or a read served from one,
does not pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

import pytest

from erpsync.core.connector import Connector
from erpsync.core.listing_ports import ProductReader
from erpsync.core.listings import ErpProduct
from erpsync.core.models import Warehouse
from erpsync.core.orders import ErpOrderStatus, OrderStatusBook
from erpsync.core.ports import BatchWriter, PickupReader, PickupWriter, WarehouseReader, WarehouseWriter
from erpsync.core.shipping import ErpShipment, ShipmentReader

Kind = Literal["temporary", "permanent"]
#: what ``fail()`` is asked to make fail: the warehouses read or write, or one of the other records'
Operation = Literal["read", "write", "read_products", "read_shipments", "read_order_statuses", "write_order_status"]

#: each capability with the method that makes a connector have it, for skip reasons
CAPABILITY_METHODS: dict[type, str] = {
    WarehouseReader: "list_warehouses",
    WarehouseWriter: "set_warehouse_address",
    PickupReader: "read_pickup_signals",
    PickupWriter: "set_handover_mode",
    BatchWriter: "batch",
    ProductReader: "read_products",
    ShipmentReader: "list_shipments",
    OrderStatusBook: "order_statuses",
}


class Author(Protocol):
    """What a contract subclass supplies (see ``ContractBase``)."""

    def build_connector(self, system: Any) -> Connector: ...

    def seed(self, system: Any, warehouses: Sequence[Warehouse]) -> None: ...

    def seed_malformed(self, system: Any, warehouses: Sequence[Warehouse]) -> None: ...

    def read_back(self, system: Any) -> Sequence[Warehouse] | None: ...

    def seed_products(self, system: Any, products: Sequence[ErpProduct]) -> None: ...

    def seed_shipments(self, system: Any, shipments: Sequence[ErpShipment]) -> None: ...

    def seed_order_statuses(self, system: Any, statuses: Sequence[ErpOrderStatus]) -> None: ...

    def fail(self, system: Any, kind: Kind, operation: Operation) -> AbstractContextManager[object] | None: ...


def need(connector: object, capability: type) -> None:
    """Skip the case, naming the capability, unless the connector has it."""
    if not isinstance(connector, capability):
        method = CAPABILITY_METHODS[capability]
        pytest.skip(f"{type(connector).__name__} is no {capability.__name__} (it has no {method}())")


def not_overridden(owner: object, method: str, how: str) -> None:
    """Fail the case with what the author must add: a clear message beats a bare NotImplementedError."""
    cls = type(owner).__name__
    pytest.fail(
        f"{cls} does not override {method}: {how}; or skip the case with "
        f"skip_cases = {{'<case name>': '<reason>'}} on {cls}",
        pytrace=False,
    )


class Harness:
    """One case's connectors: each built fresh, every one closed when the case ends."""

    def __init__(self, author: Author, system: Any) -> None:
        self.author = author
        self.system = system
        self._open: list[Connector] = []

    def connect(self) -> Connector:
        connector = self.author.build_connector(self.system)
        self._open.append(connector)
        return connector

    def seeded(self, warehouses: Sequence[Warehouse]) -> Connector:
        """Seed the system, then build the connector (one that reads at start sees the seed)."""
        self.author.seed(self.system, list(warehouses))
        return self.connect()

    def state(self) -> dict[str, Warehouse]:
        """The system's warehouses by id, as the author's ``read_back`` or a fresh connector sees them."""
        items = self.author.read_back(self.system)
        if items is None:
            reader = self.connect()
            if not isinstance(reader, WarehouseReader):
                not_overridden(self.author, "read_back", "the connector cannot list warehouses, so the case reads none")
            assert isinstance(reader, WarehouseReader)
            items = reader.list_warehouses().items
        return {w.id: w for w in items}

    def close(self) -> None:
        for connector in self._open:
            connector.close()


def harness(author: Author, system: Any) -> Iterator[Harness]:
    h = Harness(author, system)
    yield h
    h.close()


def error_texts(exc: BaseException) -> Iterator[str]:
    """Every text an error carries to a log or a screen: str, repr, args, notes, and its causes'."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (repr(a) for a in current.args)
        yield from getattr(current, "__notes__", ())
        yield from (repr(v) for v in vars(current).values())
        current = current.__cause__ or current.__context__


def raised(call: Callable[[], object]) -> BaseException | None:
    """The exception ``call`` raised, or None."""
    try:
        call()
    except Exception as exc:
        return exc
    return None
