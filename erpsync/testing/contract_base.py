"""The contract's base: what the author supplies, the plumbing, and the cases for every connector.

``system`` is what the ``erp_system`` fixture returns: a fresh ``tmp_path`` unless the subclass
overrides it (with a loopback server, say). Every case builds its connectors through ``erp``
(a ``Harness``), which closes them when the case ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar

import pytest

from erpsync.core.connector import Connector
from erpsync.core.listings import ErpProduct
from erpsync.core.models import Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment

from .harness import Harness, Kind, Operation, harness, not_overridden
from .samples import SAMPLE_WAREHOUSES


class ContractBase:
    """What a subclass supplies, the plumbing, and the cases every connector passes."""

    #: what the system does not store: Address field names, or ``name``, ``handover_mode``,
    #: ``seller_warehouse_id``; reads are compared without them, writes of them must be refused.
    #: Product fields too (``description``, ``images``, ``attributes``): products compare without them
    lacking_fields: ClassVar[tuple[str, ...]] = ()
    #: secrets the options do not name in ``secret_options`` that must still never show in errors
    extra_secrets: ClassVar[tuple[str, ...]] = ()
    #: case name (without parameters) → why it does not apply to this connector: skipped, saying so
    skip_cases: ClassVar[Mapping[str, str]] = {}
    #: the warehouses the cases seed; keep ``SAMPLE_WAREHOUSES`` unless the system cannot hold them
    samples: ClassVar[Sequence[Warehouse]] = SAMPLE_WAREHOUSES

    # -- what the author supplies ------------------------------------------------------------

    @pytest.fixture
    def erp_system(self, tmp_path: Any) -> Any:
        """The system the connector talks to, fresh per case: a folder unless overridden."""
        return tmp_path

    def build_connector(self, system: Any) -> Connector:
        """The connector under test, configured for ``system`` (called afresh for each read-back)."""
        not_overridden(self, "build_connector(self, system)", "return your connector built on the system")
        raise AssertionError  # not reached: pytest.fail raises

    def seed(self, system: Any, warehouses: Sequence[Warehouse]) -> None:
        """Make the system hold exactly ``warehouses``, written in the system's own terms."""
        not_overridden(self, "seed(self, system, warehouses)", "write the warehouses into the system")

    def seed_malformed(self, system: Any, warehouses: Sequence[Warehouse]) -> None:
        """Like ``seed``, plus one record the connector cannot read (a bad phone, a missing id)."""
        not_overridden(self, "seed_malformed(self, system, warehouses)", "seed them plus one malformed record")

    def read_back(self, system: Any) -> Sequence[Warehouse] | None:
        """The system's warehouses read without the connector; None (default): a fresh connector reads."""
        return None

    def seed_products(self, system: Any, products: Sequence[ErpProduct]) -> None:
        """Make the system's catalogue exactly ``products`` (capability ``products``); ``[]``: empty."""
        not_overridden(
            self, "seed_products(self, system, products)", "write the products and their SKUs into the system"
        )

    def seed_shipments(self, system: Any, shipments: Sequence[ErpShipment]) -> None:
        """Make the system hold exactly ``shipments`` (capability ``shipments``), with what they need."""
        not_overridden(
            self, "seed_shipments(self, system, shipments)", "write the shipments (and their orders) into the system"
        )

    def seed_order_statuses(self, system: Any, statuses: Sequence[ErpOrderStatus]) -> None:
        """Make the system record exactly ``statuses`` (capability ``order_statuses``)."""
        not_overridden(
            self, "seed_order_statuses(self, system, statuses)", "write the orders and their statuses into the system"
        )

    def fail(self, system: Any, kind: Kind, operation: Operation) -> AbstractContextManager[object] | None:
        """A context in which ``operation`` on the system fails the ``kind`` way; None: it cannot.

        ``operation`` is ``read`` or ``write`` (warehouses), or ``read_products``,
        ``read_shipments``, ``read_order_statuses``, ``write_order_status``.

        Temporary: a 503, a dropped connection, a lock held by another program. Permanent:
        credentials refused, a 400, a file made read-only. ``erpsync.testing.failures`` has
        helpers for HTTP connectors.
        """
        not_overridden(
            self, "fail(self, system, kind, operation)", "return a context manager in which the system fails so"
        )
        return None

    # -- plumbing ----------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _contract_skip(self, request: pytest.FixtureRequest) -> None:
        reason = self.skip_cases.get(getattr(request.node, "originalname", request.node.name))
        if reason:
            pytest.skip(reason)

    @pytest.fixture
    def erp(self, erp_system: Any) -> Iterator[Harness]:
        """Builds connectors on ``erp_system`` and closes each one when the case ends."""
        yield from harness(self, erp_system)

    # -- every connector ---------------------------------------------------------------------

    def test_declares_type_and_erp_role(self, erp: Harness) -> None:
        cls = type(erp.connect())
        assert isinstance(getattr(cls, "type", None), str) and cls.type, f"{cls.__name__}.type must be a name"
        assert getattr(cls, "role", None) == "erp", f"{cls.__name__}.role must be 'erp'"

    def test_check_returns_one_line(self, erp: Harness) -> None:
        summary = erp.seeded(self.samples).check()
        assert isinstance(summary, str) and summary.strip(), "check() must return a summary"
        assert "\n" not in summary.strip(), f"check() must return one line, got {summary!r}"

    def test_close_is_safe_twice(self, erp: Harness) -> None:
        untouched = erp.connect()
        untouched.close()
        untouched.close()
        used = erp.seeded(self.samples)
        _ = getattr(used, "list_warehouses", lambda: None)()
        used.close()
        used.close()
