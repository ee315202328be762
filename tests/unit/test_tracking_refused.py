"""A correction Seller Center refused because the order's one update is used is not sent again.

An order's tracking number may be changed once (21011051 "The tracking number can only be updated
once."). An update made by hand in Seller Center before erpsync remembered the package cannot be
known in advance: the first correction is sent and refused. These run the real Syncer, tracking
aspect, SQLite ledger and files ERP against an in-memory seller, and check that the refusal is
carried into the next runs: the drift stays open and says why, and nothing is sent again until
the ERP's number (or the package) changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from marshmallow import Schema

from erpsync.connectors.tiktok.fulfillment.errors import ShippingInfoWindowClosedError
from erpsync.core.connector import Connector
from erpsync.core.errors import ConnectorError, PermanentError, TemporaryError
from erpsync.core.models import Records, Warehouse
from erpsync.core.shipping import PackageShippingState, ShipOutcomes, ShippingStatus, ShipRequest
from erpsync.core.store import Store
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

HEADER = "id,package_id,order_id,tracking_number,carrier\n"
USED = ShippingInfoWindowClosedError(
    'The tracking number can only be updated once. (server: "The tracking number can only be updated once.")',
    connector="tiktok",
    operation="update shipping info of package PKG1",
    request_id="202603020000",
    code=21011051,
)


class HandShipped(Connector):
    """Seller Center where each package was shipped by hand under ``numbers`` (one order each), and
    every correction is answered ``refusal`` (None: made)."""

    type = "hand-shipped"
    role = "seller"

    numbers: ClassVar[dict[str, str]] = {}
    refusal: ClassVar[ConnectorError | None] = None
    updates: ClassVar[list[tuple[str, str]]] = []

    class Options(Schema):
        pass

    def check(self) -> str:
        return "hand-shipped"

    def list_warehouses(self) -> Records[Warehouse]:
        return Records()

    def shipping_provider_ids(self, warehouse_id: str) -> dict[str, str]:
        return {}

    def read_shipping_states(self, ids: Sequence[str]) -> Records[PackageShippingState]:
        return Records(
            tuple(
                PackageShippingState(i, ShippingStatus.SHIPPED, (f"O-{i}",), HandShipped.numbers[i], warehouse_id="W")
                for i in ids
            )
        )

    def ship_packages(self, requests: Sequence[ShipRequest]) -> ShipOutcomes:
        raise AssertionError("every package is shipped already")

    def update_tracking(self, package_id: str, tracking_number: str, shipping_provider_id: str, **_: Any) -> None:
        HandShipped.updates.append((package_id, tracking_number))
        if HandShipped.refusal is not None:
            raise HandShipped.refusal
        HandShipped.numbers[package_id] = tracking_number


class Plugin:
    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(HandShipped)


@pytest.fixture(autouse=True)
def _fresh_seller() -> Iterator[None]:
    HandShipped.numbers, HandShipped.refusal, HandShipped.updates = {"PKG1": "JT999", "PKG2": "JT777"}, USED, []
    yield


class Shop:
    """One shop's config, ERP folder and state store; ``run`` is one ``reconcile --apply``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "erp").mkdir()
        (root / "erpsync.toml").write_text(
            f'[state]\nurl = "sqlite:///{root}/state.db"\n[[shops]]\nname = "s"\naspects = ["tracking"]\n'
            '[shops.seller]\ntype = "hand-shipped"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
            'shipments = "shipments.csv"\n[aspects.tracking]\ncarriers = { "SF Express" = "7208502187360519003" }\n',
            encoding="utf-8",
        )
        self.pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
        self.registry = build_registry(self.pm)

    def ship(self, package: str, number: str) -> None:
        """The ERP's shipments file: one shipment, of ``package`` under ``number``."""
        (self.root / "erp" / "shipments.csv").write_text(
            HEADER + f"S1,{package},O-{package},{number},SF Express\n", encoding="utf-8"
        )

    def run(self) -> Any:
        settings = load_settings(self.root / "erpsync.toml", self.registry)
        syncer = Syncer(settings, pm=self.pm, registry=self.registry)
        try:
            return syncer.run(apply=True, aspects=["tracking"])
        finally:
            syncer.close()

    def open_drifts(self) -> list[Any]:
        store = Store.open(f"sqlite:///{self.root}/state.db")
        try:
            return store.drifts.list_open("s", aspect="tracking")
        finally:
            store.close()


def actions(report: Any) -> list[tuple[str, str, str]]:
    (aspect,) = report.shops[0].aspects
    return [(r.action.subject, r.action.value, r.status) for r in aspect.actions]


def test_a_correction_refused_as_the_orders_second_update_is_sent_once_and_reported_after(tmp_path: Path) -> None:
    shop = Shop(tmp_path)
    shop.ship("PKG1", "SF100")
    first = shop.run()
    assert actions(first) == [("PKG1", "SF100", "failed")] and first.exit_code == 1
    assert "21011051" in first.errors[0]
    for _run in range(2):  # nothing changed: not sent again, and no failure, only the open drift
        later = shop.run()
        assert actions(later) == [] and later.errors == [] and later.exit_code == 2
        (drift,) = shop.open_drifts()
        assert drift.kind == "tracking_differs" and drift.subject == "PKG1"
        assert "refused" in drift.message and "21011051" in drift.message
        assert "correct it in Seller Center or ask TikTok support" in drift.message
    assert HandShipped.updates == [("PKG1", "SF100")]


def test_a_new_erp_number_or_another_package_is_tried_again(tmp_path: Path) -> None:
    shop = Shop(tmp_path)
    shop.ship("PKG1", "SF100")
    shop.run()
    shop.ship("PKG1", "SF200")  # the ERP's number changed: a new correction, sent once
    assert actions(shop.run()) == [("PKG1", "SF200", "failed")]
    assert actions(shop.run()) == []
    shop.ship("PKG2", "SF200")  # the shipment names another package
    assert actions(shop.run()) == [("PKG2", "SF200", "failed")]
    assert actions(shop.run()) == []
    shop.ship("PKG1", "SF200")  # back to the first package and number: its refusal still holds
    assert actions(shop.run()) == []
    assert HandShipped.updates == [("PKG1", "SF100"), ("PKG1", "SF200"), ("PKG2", "SF200")]


def test_a_refusal_that_does_not_say_the_update_is_used_is_retried(tmp_path: Path) -> None:
    """Only 21011051 stops the retries: another refusal (a timeout, an invalid carrier) is sent
    again on the next run, as before."""
    shop = Shop(tmp_path)
    shop.ship("PKG1", "SF100")
    for refusal in (
        TemporaryError("system timeout", connector="tiktok", code=36009003),
        PermanentError("invalid shipping provider", connector="tiktok", code=21011001),
    ):
        HandShipped.refusal = refusal
        assert actions(shop.run()) == [("PKG1", "SF100", "failed")]
    HandShipped.refusal = None  # the platform takes it now
    assert actions(shop.run()) == [("PKG1", "SF100", "applied")]
    assert HandShipped.numbers["PKG1"] == "SF100" and shop.open_drifts() == []


@pytest.mark.parametrize("code", [21011049, 21011050, 21011052])
def test_a_correction_refused_as_no_longer_possible_is_sent_once_for_that_package_only(
    tmp_path: Path, code: int
) -> None:
    """Past the window (or a limited number of changes used): the package's number may no longer
    change, so the same correction is not sent again and the drift says why; that refusal is the
    package's, so another package of another order is still corrected, and a new ERP number is
    tried once."""
    HandShipped.refusal = PermanentError("cannot update", connector="tiktok", code=code)
    shop = Shop(tmp_path)
    shop.ship("PKG1", "SF100")
    assert actions(shop.run()) == [("PKG1", "SF100", "failed")]
    later = shop.run()
    assert actions(later) == [] and later.errors == [] and later.exit_code == 2
    (drift,) = shop.open_drifts()
    assert f"refused erpsync's change to SF100 with {code}" in drift.message
    assert "correct it in Seller Center or ask TikTok support" in drift.message
    shop.ship("PKG1", "SF200")  # a new number: tried once
    assert actions(shop.run()) == [("PKG1", "SF200", "failed")]
    assert actions(shop.run()) == []
    HandShipped.refusal = None
    shop.ship("PKG2", "SF300")  # another package: its own correction goes
    assert actions(shop.run()) == [("PKG2", "SF300", "applied")]
    assert HandShipped.updates == [("PKG1", "SF100"), ("PKG1", "SF200"), ("PKG2", "SF300")]


def test_a_refused_correction_of_a_package_shipped_with_no_number_is_not_sent_again(tmp_path: Path) -> None:
    """Seller Center shows the package shipped with no number: the correction is planned like any
    other, and its refusal is kept like any other."""
    HandShipped.numbers["PKG1"] = ""
    shop = Shop(tmp_path)
    shop.ship("PKG1", "SF100")
    assert actions(shop.run()) == [("PKG1", "SF100", "failed")]
    assert actions(shop.run()) == []
    assert HandShipped.updates == [("PKG1", "SF100")]
