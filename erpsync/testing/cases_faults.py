"""Contract cases for failures: transport errors keep their meaning, and no error carries a secret.

The host decides what to do from an error's type alone: a ``TemporaryError`` is tried again
next run, a ``PermanentError`` needs the operator. A read that swallows a failure and returns
fewer warehouses is worse than either: the diff would report every missing warehouse as drift.
Errors reach logs, reports and alert channels, so a secret in one is a leak.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.core.listing_ports import ProductReader
from erpsync.core.models import HandoverMode
from erpsync.core.orders import OrderStatusBook
from erpsync.core.ports import PickupWriter, WarehouseReader, WarehouseWriter
from erpsync.core.shipping import ShipmentReader

from .contract_base import ContractBase
from .harness import Harness, Kind, Operation, error_texts, raised
from .samples import NEW_VALUES, NOT_A_FIELD, UNKNOWN_ID
from .samples_commerce import NEW_ORDER_STATUS, SAMPLE_ORDER_STATUSES, SAMPLE_PRODUCTS, SAMPLE_SHIPMENTS

#: the operations on products, shipments and order statuses, each seeded by its own hook first
RECORD_OPERATIONS: tuple[Operation, ...] = (
    "read_products",
    "read_shipments",
    "read_order_statuses",
    "write_order_status",
)
FAILURES: tuple[tuple[Kind, Operation], ...] = (
    ("temporary", "read"),
    ("permanent", "read"),
    ("temporary", "write"),
    ("permanent", "write"),
    *((kind, operation) for operation in RECORD_OPERATIONS for kind in ("temporary", "permanent")),
)


def record_call(connector: Connector, operation: Operation) -> Callable[[], object] | None:
    """The call that performs one of ``RECORD_OPERATIONS``, or None if the connector cannot."""
    order = SAMPLE_ORDER_STATUSES[0].order_id
    if operation == "read_products":
        return connector.read_products if isinstance(connector, ProductReader) else None
    if operation == "read_shipments":
        return connector.list_shipments if isinstance(connector, ShipmentReader) else None
    if not isinstance(connector, OrderStatusBook):
        return None
    if operation == "read_order_statuses":
        return lambda: connector.order_statuses([s.order_id for s in SAMPLE_ORDER_STATUSES])
    return lambda: connector.set_order_status(order, *NEW_ORDER_STATUS)


def operation_of(connector: Connector, operation: Operation, target: str) -> Callable[[], object] | None:
    """The call that performs ``operation`` on the connector, or None if it has no such capability."""
    if operation in RECORD_OPERATIONS:
        return record_call(connector, operation)
    if operation == "read":
        return connector.list_warehouses if isinstance(connector, WarehouseReader) else None
    if isinstance(connector, WarehouseWriter):
        return lambda: connector.set_warehouse_address(target, {"phone": NEW_VALUES["phone"]})
    if isinstance(connector, PickupWriter):
        return lambda: connector.set_handover_mode(target, HandoverMode.DROP_OFF)
    return None


class FaultCases(ContractBase):
    @pytest.mark.parametrize(("kind", "operation"), FAILURES, ids=[f"{k}-{o}" for k, o in FAILURES])
    def test_transport_failure_maps_to_its_error(self, erp: Harness, kind: Kind, operation: Operation) -> None:
        connector = erp.connect() if operation in RECORD_OPERATIONS else erp.seeded(self.samples)
        call = operation_of(connector, operation, self.samples[0].id)
        if call is None:
            pytest.skip(f"{type(connector).__name__} has no {operation} capability")
        if operation in RECORD_OPERATIONS:
            self._seed_records(erp, operation)
            connector = erp.connect()
            call = operation_of(connector, operation, self.samples[0].id)
            assert call is not None
        failing = self.fail(erp.system, kind, operation)
        if failing is None:
            pytest.skip(f"the system cannot fail a {operation} the {kind} way (fail() returned None)")
        with failing:
            exc = raised(call)
        assert exc is not None, f"a {kind} failure of the {operation} must raise, not return"
        if kind == "temporary":
            assert isinstance(exc, TemporaryError), f"a temporary failure raised {exc!r}: expected a TemporaryError"
        else:
            assert isinstance(exc, PermanentError), f"a permanent failure raised {exc!r}: expected a PermanentError"

    def _seeds(self, operation: Operation) -> bool:
        """Whether the subclass overrides the hook that seeds what ``operation`` needs."""
        hook = {"read_products": "seed_products", "read_shipments": "seed_shipments"}.get(
            operation, "seed_order_statuses"
        )
        return getattr(type(self), hook) is not getattr(ContractBase, hook)

    def _seed_records(self, erp: Harness, operation: Operation) -> None:
        """Seed what ``operation`` reads or writes, so that only the staged failure can fail it."""
        if operation == "read_products":
            self.seed_products(erp.system, list(SAMPLE_PRODUCTS))
        elif operation == "read_shipments":
            self.seed_shipments(erp.system, list(SAMPLE_SHIPMENTS))
        else:
            self.seed_order_statuses(erp.system, list(SAMPLE_ORDER_STATUSES))

    def test_no_secret_in_any_error(self, erp: Harness) -> None:
        """Every error the other cases provoke, searched for each secret option's value."""
        probe = erp.connect()
        names = getattr(type(probe), "secret_options", ())
        secrets = [str(probe.options[n]) for n in names if probe.options.get(n)]
        secrets += [s for s in self.extra_secrets if s]
        if not secrets:
            pytest.skip(f"{type(probe).__name__} declares no secret_options and the suite was given no extra_secrets")
        errors: list[BaseException] = []
        connector = erp.seeded(self.samples)
        for call in (
            operation_of(connector, "write", UNKNOWN_ID),
            (lambda: connector.set_warehouse_address(UNKNOWN_ID, {NOT_A_FIELD: "x"}))
            if isinstance(connector, WarehouseWriter)
            else None,
        ):
            if call is not None and (exc := raised(call)) is not None:
                errors.append(exc)
        seeded: dict[Operation, Connector] = {}
        for kind, operation in FAILURES:
            call = operation_of(connector, operation, self.samples[0].id)
            if call is not None and operation in RECORD_OPERATIONS:
                if not self._seeds(operation):
                    continue  # the author seeds no such records: the cases needing them say so
                if operation not in seeded:
                    self._seed_records(erp, operation)
                    seeded[operation] = erp.connect()
                call = operation_of(seeded[operation], operation, self.samples[0].id)
            failing = self.fail(erp.system, kind, operation) if call is not None else None
            if call is not None and failing is not None:
                with failing:
                    if (exc := raised(call)) is not None:
                        errors.append(exc)
        if isinstance(connector, WarehouseReader) and "test_malformed_record_is_a_record_error" not in self.skip_cases:
            self.seed_malformed(erp.system, list(self.samples))
            reader = erp.connect()
            assert isinstance(reader, WarehouseReader)
            if (exc := raised(lambda: errors.extend(reader.list_warehouses().errors))) is not None:
                errors.append(exc)
        assert errors, "no case provoked an error to search"
        leaks = [
            (type(exc).__name__, text)
            for exc in errors
            for text in error_texts(exc)
            if any(secret in text for secret in secrets)
        ]
        assert leaks == [], "a secret appears in an error"
