"""A shop's failure stands for the aspects it did not get through, until each has run again.

Through real runs (a ``Syncer`` per run, the real store and the status page's overview): a seller
that fails while an aspect reads it stops the shop; the run's summary names that aspect, so the
shop shows in error until a later run of it goes well, and no longer for ever.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from test_ship_by_escalation import Orders

from erpsync.core.errors import TemporaryError
from erpsync.core.models import Records
from erpsync.core.orders import SellerOrder
from erpsync.core.store import Store
from erpsync.core.store.overview import Overview
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer
from erpsync.ui import views

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class FlakyOrders(Orders):
    """``test_ship_by_escalation``'s orders (shipped here: none awaits shipment); the search fails while ``down``."""

    type = "flaky-orders-seller"
    down: ClassVar[bool] = False

    def read_orders(
        self,
        *,
        statuses: Sequence[str] = (),
        updated_since: datetime | None = None,
        updated_before: datetime | None = None,
    ) -> Records[SellerOrder]:
        if FlakyOrders.down:
            raise TemporaryError("Seller Center did not answer", connector=self.type, operation="search orders")
        return super().read_orders(statuses=statuses, updated_since=updated_since, updated_before=updated_before)


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(FlakyOrders)


@pytest.fixture(autouse=True)
def shipped() -> Iterator[None]:
    Orders.shipped = True
    yield
    Orders.shipped, FlakyOrders.down = False, False


def test_a_shop_that_failed_in_an_aspect_is_in_error_until_that_aspect_runs_well_again(tmp_path: Path) -> None:
    (tmp_path / "erp").mkdir()
    config = tmp_path / "erpsync.toml"
    config.write_text(
        '[[shops]]\nname = "s"\naspects = ["ship_by"]\n'
        '[shops.seller]\ntype = "flaky-orders-seller"\n[shops.erp]\ntype = "files"\npath = "erp"\n',
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)

    def run(at: datetime, *, down: bool) -> None:
        FlakyOrders.down = down
        syncer = Syncer(load_settings(config, registry), pm=pm, registry=registry, clock=lambda: at)
        try:
            syncer.run()
        finally:
            syncer.close()
            FlakyOrders.down = False

    def state() -> tuple[str, dict]:
        with Store.open(f"sqlite:///{tmp_path / '.erpsync' / 'state.db'}") as store:
            facts = Overview(store.engine).facts(["s"])["s"]
            (last,) = store.runs.list_recent(limit=1)
        return views.shop_state(facts), last.summary

    run(T0, down=True)
    now, summary = state()
    assert now == "error" and summary["shops_with_errors"] == ["s"]
    assert summary["aspects"] == {"s": ["ship_by"]}  # the aspect it did not get through
    run(T0 + timedelta(hours=1), down=False)
    assert state()[0] == "in_sync"  # ship_by ran well since: the failure is behind it
