"""A carrier name two delivery options of a warehouse each offer, under their own provider ids.

Resolved by the package's own delivery option when its state carries one; otherwise left out of
the names, and the ERP shipment that uses it is a record error naming the ids, for the operator
to set in ``[aspects.tracking] carriers``. The TikTok connector over `responses`; the aspect's
observe over the real files ERP and a seller double of plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import responses
from open_api_fakes import ok

from erpsync.connectors.files import FilesErp
from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.fulfillment.models import Package, PackageStatus
from erpsync.connectors.tiktok.orders.models import Order, OrderStatus
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.connectors.tiktok.shipping import shipping_state
from erpsync.core.aspects.base import ObserveContext
from erpsync.core.aspects.tracking import TrackingAspect, TrackingSettings
from erpsync.core.connector import Connector, ShopContext
from erpsync.core.http import HttpPolicy
from erpsync.core.models import Records
from erpsync.core.shipping import (
    PackageShippingState,
    ProviderNames,
    ShipOutcomes,
    ShippingStatus,
    ShipRequest,
)

BASE = "https://open-api.test"
LOG = f"{BASE}/logistics/202309"
SHOP_ID = "7495000000000000001"
SF, JT_STD, JT_ECO = "7208000000000000001", "7208000000000000002", "7208000000000000009"
PROVIDERS = [("SF Express", SF, "OPT-STD"), ("J&T Express", JT_STD, "OPT-STD"), ("J&T Express", JT_ECO, "OPT-ECO")]


def seller() -> TikTokSellerConnector:
    client = TikTokClient(BASE, "key", "app-secret", "token", policy=HttpPolicy(max_attempts=1), clock=lambda: 1)
    client._ciphers[SHOP_ID] = "ROW_cipher"  # the cipher lookup is the client's own, tested elsewhere
    options = {"app_key": "key", "app_secret": "s", "access_token": "t", "shop_id": SHOP_ID, "base_url": BASE}
    return TikTokSellerConnector(options, shop=ShopContext(name="demo", base_dir=Path(".")), client=client)


@responses.activate
def test_the_tiktok_connector_leaves_out_a_name_two_options_give_distinct_ids():
    options = [
        {"id": "OPT-STD", "name": "Standard", "type": "STANDARD"},
        {"id": "OPT-ECO", "name": "Eco", "type": "ECONOMY"},
    ]
    responses.get(f"{LOG}/warehouses/WH1/delivery_options", json=ok({"delivery_options": options}))
    for option in ("OPT-STD", "OPT-ECO"):
        offered = [{"id": i, "name": n} for n, i, o in PROVIDERS if o == option]
        responses.get(f"{LOG}/delivery_options/{option}/shipping_providers", json=ok({"shipping_providers": offered}))
    names = seller().shipping_provider_ids("WH1")
    assert dict(names) == {"SF Express": SF}  # "J&T Express" would be a guess: the first id found
    assert isinstance(names, ProviderNames)
    assert names.ambiguous == {"J&T Express": (JT_STD, JT_ECO)}
    assert names.resolve("J&T Express", "OPT-ECO") == JT_ECO  # the package's own option settles it
    assert names.resolve("J&T Express", None) is None
    assert names.resolve("SF Express", "OPT-ECO") == SF  # one id: whatever the option


def test_the_same_provider_in_two_options_is_one_name_not_an_ambiguity():
    names = ProviderNames([("SF Express", SF, "OPT-STD"), ("SF Express", SF, "OPT-ECO")])
    assert (dict(names), names.ambiguous) == ({"SF Express": SF}, {})


def test_two_providers_of_one_name_in_the_same_option_are_not_resolved_to_the_first():
    names = ProviderNames([("J&T Express", JT_STD, "OPT-STD"), ("J&T Express", JT_ECO, "OPT-STD")])
    assert names.resolve("J&T Express", "OPT-STD") is None  # the option does not settle it
    assert names.ambiguous == {"J&T Express": (JT_STD, JT_ECO)}  # the error names both ids


def test_the_package_state_carries_its_delivery_option():
    status = OrderStatus.AWAITING_SHIPMENT
    order = Order("O1", status, 1, 1, None, "WH1", "SELLER", None, "", None, None, None, (), ("P1",))
    package = Package("P1", PackageStatus.PROCESSING, order_ids=("O1",), delivery_option_id="OPT-ECO")
    assert shipping_state(package, [order]).delivery_option_id == "OPT-ECO"


class Shop(Connector):
    """Seller Center as plain data: P1 goes by the economy option, P2's option is not known."""

    type = "plain-seller"
    role = "seller"

    def __init__(self) -> None:
        super().__init__({}, shop=ShopContext("shop", Path(".")))

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        option = {"P1": "OPT-ECO"}
        return Records(
            tuple(
                PackageShippingState(
                    p, ShippingStatus.AWAITING_SHIPMENT, warehouse_id="WH1", delivery_option_id=option.get(p)
                )
                for p in package_ids
            )
        )

    def shipping_provider_ids(self, warehouse_id: str) -> Mapping[str, str]:
        return ProviderNames(PROVIDERS)

    def ship_packages(self, requests: Sequence[ShipRequest]) -> ShipOutcomes:
        raise AssertionError("observe never ships")

    def update_tracking(self, package_id: str, tracking_number: str, shipping_provider_id: str, *, shipped_at):
        raise AssertionError("observe never writes")


def observe(tmp_path: Path, carriers: dict[str, str] | None = None):
    (tmp_path / "erp").mkdir(exist_ok=True)
    rows = "id,package_id,order_id,tracking_number,carrier\nS1,P1,O1,JT1001,J&T Express\nS2,P2,O2,JT1002,J&T Express\n"
    (tmp_path / "erp" / "shipments.csv").write_text(rows, encoding="utf-8")
    options = {"path": "erp", "format": "auto", "shipments": "shipments.csv"}
    files = FilesErp(FilesErp.Options().load(options), shop=ShopContext("shop", tmp_path))
    settings = TrackingSettings().load({"carriers": carriers} if carriers else {})
    ctx = ObserveContext("shop", Shop(), files, datetime(2026, 3, 2, tzinfo=UTC), memory=None, settings=settings)  # type: ignore[arg-type]
    return TrackingAspect().observe(ctx)


def test_an_ambiguous_name_is_the_package_s_option_s_provider_or_a_record_error_naming_the_ids(tmp_path):
    obs = observe(tmp_path)
    assert obs.providers == {"P1": JT_ECO}  # P1's own delivery option offers J&T Express as JT_ECO
    assert [s.id for s in obs.shipments] == ["S1"]  # S2 alone is left out
    (error,) = obs.record_errors
    assert (error.record, error.field) == ("shipment 'S2'", "carrier")
    assert str(error).endswith(
        "shipments.csv:3: shipment 'S2': carrier: ambiguous carrier 'J&T Express': warehouse WH1's shipping"
        f" providers {JT_STD}, {JT_ECO} all have this name and the package's delivery option does not say which;"
        " set its id in [aspects.tracking] carriers; not pushed"
    )


def test_the_carriers_table_settles_an_ambiguous_name(tmp_path):
    obs = observe(tmp_path, {"J&T Express": JT_STD})
    assert (obs.providers, obs.record_errors) == ({"P1": JT_STD, "P2": JT_STD}, [])
