"""The TikTok Shop seller backend as an erpsync connector: warehouses and pickup evidence.

Registered through ``register_connectors`` (see ``__init__.py``) and built by the host from a
shop's ``[shops.seller]`` table. It is a ``WarehouseReader`` and a ``PickupReader`` only: the Open
API cannot write a warehouse address or a handover mode (Seller Center's UI does), so those drifts
are reported, not fixed. Everything it reads goes through ``client.py``.

Tokens: a static ``access_token`` option is used as given (issue 2 configs keep working).
Without one, the shop's tokens come from the state store (``ShopContext.tokens``, written by
``erpsync auth exchange``) through a ``TokenManager`` that refreshes them; other API modules
(products, orders, fulfilment) share the same client through :attr:`tiktok_client`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, Range

from erpsync.connectors.tiktok.auth import DEFAULT_AUTH_BASE_URL, TokenClient, TokenManager
from erpsync.connectors.tiktok.client import DEFAULT_BASE_URL, TikTokClient
from erpsync.connectors.tiktok.schemas import Id
from erpsync.core.connector import Connector, ShopContext
from erpsync.core.errors import ConfigError, PermanentError, RecordError
from erpsync.core.http import HttpPolicy
from erpsync.core.models import (
    Address,
    HandoverMode,
    PackageSignal,
    PickupSignals,
    Records,
    SlotSignal,
    Warehouse,
)

WAREHOUSES_SOURCE = "TikTok /logistics/202309/warehouses"


class TikTokSellerOptions(Schema):
    """The ``[shops.seller]`` table for ``type = "tiktok"``."""

    base_url = fields.Url(load_default=DEFAULT_BASE_URL, require_tld=False, schemes={"http", "https"})
    app_key = fields.String(required=True, validate=Length(min=1))
    app_secret = fields.String(required=True, validate=Length(min=1))
    #: static token (as in issue 2); leave it out to use the tokens `erpsync auth exchange` stored
    access_token = fields.String(load_default=None, validate=Length(min=1))
    auth_base_url = fields.Url(load_default=DEFAULT_AUTH_BASE_URL, require_tld=False, schemes={"http", "https"})
    #: the app's service id in Partner Center, for `erpsync auth url`
    service_id = fields.String(load_default=None, validate=Length(min=1))
    refresh_margin_minutes = fields.Integer(load_default=60, validate=Range(min=0))
    shop_id = Id(required=True)
    rate_limit_qps = fields.Float(load_default=50.0, validate=Range(min=0, min_inclusive=False))
    timeout_seconds = fields.Float(load_default=30.0, validate=Range(min=0, min_inclusive=False))
    max_attempts = fields.Integer(load_default=5, validate=Range(min=1))
    pickup_lookback_days = fields.Integer(load_default=14, validate=Range(min=1))


def _address(raw: dict[str, Any]) -> Address:
    lines = [raw.get(f"address_line{i}", "") for i in range(1, 5)]
    street = " ".join(line.strip() for line in lines if line and line.strip()) or raw.get("full_address", "")
    return Address(
        contact_person=raw.get("contact_person", ""),
        phone=raw.get("phone_number", ""),
        region_code=raw.get("region_code", ""),
        state=raw.get("state", ""),
        city=raw.get("city", ""),
        district=raw.get("distict", ""),
        street=street,
        postal_code=raw.get("postal_code", ""),
    )


def _when(ts: int | None) -> datetime | None:
    return datetime.fromtimestamp(ts, tz=UTC) if ts is not None else None


class TikTokSellerConnector(Connector):
    """A TikTok Shop seen through the Open API (v202309)."""

    type = "tiktok"
    role = "seller"
    description = "TikTok Shop Seller Center through the Open API: warehouses, pickup signals"
    Options = TikTokSellerOptions
    secret_options = ("app_secret", "access_token")

    def __init__(self, options: dict[str, Any], *, shop: ShopContext, client: TikTokClient | None = None) -> None:
        try:
            # loading twice is harmless, and it fills defaults when the host passed a raw table
            loaded = TikTokSellerOptions().load(dict(options))
        except ValidationError as exc:
            raise ConfigError(f"invalid TikTok options: {exc.messages}", key="seller") from None
        super().__init__(loaded, shop=shop)
        self.shop_id: str = loaded["shop_id"]
        self._client = client
        self._token_client: TokenClient | None = None

    @property
    def client(self) -> TikTokClient:
        """Created on first use, so building a connector does no I/O."""
        if self._client is None:
            o = self.options
            policy = HttpPolicy(
                connect_timeout=min(10.0, o["timeout_seconds"]),
                read_timeout=o["timeout_seconds"],
                max_attempts=o["max_attempts"],
                rate_limit_qps=o["rate_limit_qps"],
            )
            if o["access_token"]:
                self._client = TikTokClient(
                    o["base_url"], o["app_key"], o["app_secret"], o["access_token"], policy=policy
                )
            else:
                self._client = TikTokClient(
                    o["base_url"], o["app_key"], o["app_secret"], tokens=self.token_manager(policy), policy=policy
                )
        return self._client

    @property
    def tiktok_client(self) -> TikTokClient:
        """The shared signed client, for API modules built on this shop (products, orders, ...)."""
        return self.client

    def cipher(self) -> str:
        """This shop's ``shop_cipher`` (looked up once), which most API modules need."""
        return self.client.shop_cipher(self.shop_id)

    def token_client(self, policy: HttpPolicy | None = None) -> TokenClient:
        """The token endpoints for this app, created once (``erpsync auth exchange`` uses it too)."""
        if self._token_client is None:
            o = self.options
            self._token_client = TokenClient(
                o["auth_base_url"], o["app_key"], o["app_secret"], policy=policy, shop=self.shop.name
            )
        return self._token_client

    def token_manager(self, policy: HttpPolicy | None = None) -> TokenManager:
        """Stored, self-refreshing tokens for this shop; PermanentError if there is no store."""
        if self.shop.tokens is None:
            name = self.shop.name
            raise PermanentError(
                f"no access token for shop {name}: run `erpsync auth url --shop {name}`, "
                f"then `erpsync auth exchange CODE --shop {name}`",
                connector="tiktok",
                operation="get access token",
            )
        margin = timedelta(minutes=self.options["refresh_margin_minutes"])
        return TokenManager(self.shop.name, self.shop.tokens, self.token_client(policy), refresh_margin=margin)

    def check(self) -> str:
        shop = self.client.shop(self.shop_id)
        warehouses = self.client.warehouses(shop["cipher"])
        n = len(warehouses.items)
        return (
            f"TikTok Shop: shop {shop['id']} {shop['name']!r} ({shop['region']}, {shop['seller_type']}) "
            f"reachable, {n} warehouse{'s' if n != 1 else ''}"
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._token_client is not None:
            self._token_client.close()

    # -- WarehouseReader ---------------------------------------------------------------------

    def list_warehouses(self) -> Records[Warehouse]:
        """Every warehouse of the shop (sales and return alike); the address as Seller Center has it."""
        found = self.client.warehouses(self.client.shop_cipher(self.shop_id))
        items = tuple(
            Warehouse(
                id=raw["id"],
                name=raw["name"],
                address=_address(raw["address"]),
                handover_mode=None,  # the Open API does not expose it per warehouse
                seller_warehouse_id=raw["id"],
                source=f"{WAREHOUSES_SOURCE}: {raw['id']}",
            )
            for raw in found.items
        )
        return Records(items=items, errors=found.errors)

    # -- PickupReader ------------------------------------------------------------------------

    def read_pickup_signals(self, warehouse_ids: Sequence[str], *, since: datetime) -> Records[PickupSignals]:
        """Packages created since ``since`` per warehouse, and the newest one's handover slots.

        Packages link to a warehouse only through their orders' ``warehouse_id``, so this reads
        package search → each package's detail → its orders (≤50 per call). Page by page, so
        memory holds the signals, never the whole search.
        """
        wanted: dict[str, list[PackageSignal]] = {str(w): [] for w in warehouse_ids}
        if not wanted:
            return Records()
        client = self.client
        cipher = client.shop_cipher(self.shop_id)
        errors: list[RecordError] = []
        for page in client.search_packages(cipher, int(since.timestamp())):
            errors.extend(page.errors)
            details: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for summary in page.items:
                detail = self._guard(errors, client.package, cipher, summary["id"])
                if detail is not None:
                    details.append((summary, detail))
            order_ids = [o["id"] for s, d in details for o in (d["orders"] or s["orders"])]
            orders = client.orders(cipher, order_ids) if order_ids else Records()
            errors.extend(orders.errors)
            warehouse_of = {o["id"]: o["warehouse_id"] for o in orders.items if o["warehouse_id"]}
            for summary, detail in details:
                refs = detail["orders"] or summary["orders"]
                wid = next((warehouse_of[o["id"]] for o in refs if o["id"] in warehouse_of), None)
                if wid in wanted:
                    wanted[wid].append(self._package_signal(summary, detail, wid))
        out = []
        for wid, packages in wanted.items():
            packages.sort(key=lambda p: (p.created_at or datetime.min.replace(tzinfo=UTC), p.id), reverse=True)
            slots = self._slots(errors, cipher, packages[0].id) if packages else None
            out.append(PickupSignals(warehouse_id=wid, slots=slots, packages=tuple(packages)))
        return Records(items=tuple(out), errors=tuple(errors))

    def _slots(self, errors: list[RecordError], cipher: str, package_id: str) -> SlotSignal | None:
        raw = self._guard(errors, self.client.handover_time_slots, cipher, package_id)
        if raw is None:
            return None
        return SlotSignal(package_id=package_id, can_pickup=raw["can_pickup"], can_drop_off=raw["can_drop_off"])

    @staticmethod
    def _package_signal(summary: dict[str, Any], detail: dict[str, Any], wid: str) -> PackageSignal:
        method = detail.get("handover_method")
        return PackageSignal(
            id=summary["id"],
            warehouse_id=wid,
            handover_method=HandoverMode(method) if method else None,
            tracking_number=detail["tracking_number"] or summary["tracking_number"] or None,
            created_at=_when(detail.get("create_time") or summary.get("create_time")),
            status=detail["package_status"] or summary["status"] or None,
        )

    def _guard(
        self,
        errors: list[RecordError],
        fn: Callable[[str, str], dict[str, Any]],
        cipher: str,
        package_id: str,
    ) -> dict[str, Any] | None:
        """Run one per-package call; a malformed or vanished package is a RecordError, not the end."""
        try:
            return fn(cipher, package_id)
        except RecordError as err:
            errors.append(err)
        except PermanentError as err:
            if err.status != 404:
                raise  # credentials, signature, scope: every call would fail the same way
            errors.append(RecordError(err.message, record=f"package {package_id}", source="TikTok"))
        return None
