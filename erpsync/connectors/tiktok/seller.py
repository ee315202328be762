"""The TikTok Shop seller backend as an erpsync connector: warehouses and pickup evidence.

Registered through ``register_connectors`` (see ``__init__.py``) and built by the host from a
shop's ``[shops.seller]`` table. It is a ``WarehouseReader`` and a ``PickupReader`` only: the Open
API cannot write a warehouse address or a handover mode (Seller Center's UI does), so those drifts
are reported, not fixed. Warehouses come from ``client.py``; packages, slots and orders from the
typed ``FulfillmentApi`` and ``OrdersApi``, which are usable on their own too.

Tokens: a static ``access_token`` option is used as given (older configs keep working).
Without one, the shop's tokens come from the state store (``ShopContext.tokens``, written by
``erpsync auth exchange``) through a ``TokenManager`` that refreshes them; other API modules
(products, orders, fulfilment) share the same client through :attr:`tiktok_client`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from marshmallow import Schema, ValidationError, fields, post_load, validates
from marshmallow.validate import Length, Range
from requests.adapters import DEFAULT_POOLSIZE, HTTPAdapter

from erpsync.connectors.tiktok.auth import DEFAULT_AUTH_BASE_URL, TokenClient, TokenManager, token_policy
from erpsync.connectors.tiktok.client import DEFAULT_BASE_URL, DEFAULT_RATE_LIMIT_QPS, RATE_BURST, TikTokClient
from erpsync.connectors.tiktok.fields import Id
from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.listing_push import ListingPush
from erpsync.connectors.tiktok.order_reads import OrderReads
from erpsync.connectors.tiktok.orders.api import OrdersApi
from erpsync.connectors.tiktok.pickup_reads import POOLED_PATHS, PickupReads, wall_clock
from erpsync.connectors.tiktok.shipping import ShippingMixin
from erpsync.connectors.tiktok.shop_directory import AUTHORISED_SHOPS
from erpsync.connectors.tiktok.versions import ENDPOINTS
from erpsync.core.connector import Connector, ShopContext
from erpsync.core.credentials import Credential
from erpsync.core.errors import ConfigError, PermanentError
from erpsync.core.http import HttpPolicy
from erpsync.core.models import Address, PickupSignals, Records, Warehouse

ACCESS_TOKEN_LIFE_MINUTES = 7 * 24 * 60
WAREHOUSES_SOURCE = f"TikTok {ENDPOINTS['get_warehouse_list'].template}"
DEFAULT_CONCURRENCY = 8


class TikTokSellerOptions(Schema):
    """The ``[shops.seller]`` table for ``type = "tiktok"``."""

    base_url = fields.Url(load_default=DEFAULT_BASE_URL, require_tld=False, schemes={"http", "https"})
    #: credentials: surrounding whitespace (a pasted newline) is stripped, inner whitespace refused
    app_key = Credential(required=True)
    app_secret = Credential(required=True)
    #: a static token; leave it out to use the tokens `erpsync auth exchange` stored
    access_token = Credential(load_default=None)
    #: the token endpoints' host; unset: production's, or base_url's for any other backend (auth_base_url_for)
    auth_base_url = fields.Url(load_default=None, require_tld=False, schemes={"http", "https"})
    #: the app's service id in Partner Center, for `erpsync auth url`
    service_id = fields.String(load_default=None, validate=Length(min=1))
    #: refresh this long before the access token expires; a margin as long as the token's life
    #: would refresh on every call. The life is 7 days by default (Partner Center authorization
    #: guide 202309, public scrape 2025-12: access_token_expire_in "default expiration ... seven days")
    refresh_margin_minutes = fields.Integer(
        load_default=60,
        validate=Range(
            min=0,
            max=ACCESS_TOKEN_LIFE_MINUTES,
            max_inclusive=False,
            error=f"must be from 0 to under {ACCESS_TOKEN_LIFE_MINUTES} (an access token lives 7 days; a longer "
            "margin would refresh the token on every call)",
        ),
    )
    shop_id = Id(required=True)
    #: client-side pace per API path; the documented limit is 50/s, and 45 (90 %) leaves a margin
    #: for latency jitter, which bunches paced requests up and would still draw 429s at exactly 50
    rate_limit_qps = fields.Float(load_default=DEFAULT_RATE_LIMIT_QPS, validate=Range(min=0, min_inclusive=False))
    timeout_seconds = fields.Float(load_default=30.0, validate=Range(min=0, min_inclusive=False))
    max_attempts = fields.Integer(load_default=5, validate=Range(min=1))
    #: calls of one shop in flight at once (package details, orders, handover slots); each API path
    #: still keeps to rate_limit_qps, so more only helps while calls wait on the network
    concurrency = fields.Integer(load_default=DEFAULT_CONCURRENCY, strict=True, validate=Range(min=1, max=64))
    #: not a seller option: refused, so a value set here is never silently ignored (below)
    pickup_lookback_days = fields.Raw(load_default=None)

    @validates("pickup_lookback_days")
    def _one_lookback(self, value: Any, **_: Any) -> None:
        """How far back packages are read is ``[aspects.pickup] lookback_days``: one value, which the
        pickup aspect passes as ``since`` and quotes in its texts ("no packages in N days"). A second
        value here could only contradict it."""
        if value is not None:
            raise ValidationError(
                "is not a seller option: set lookback_days in [aspects.pickup] (how far back packages are read)"
            )

    @post_load(pass_original=True)
    def _auth_host(self, data: dict[str, Any], original: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["auth_base_url"] = auth_base_url_for(data["base_url"], original.get("auth_base_url"))
        return data


def auth_base_url_for(base_url: str, auth_base_url: str | None) -> str:
    """Where the token calls go: ``auth_base_url`` if set, else the production auth host, unless
    ``base_url`` is not the production API host, in which case ``base_url`` itself.

    Why not always the production auth host: the token calls carry the app secret and an
    authorisation code, and a code issued by another backend (the sandbox, a test environment)
    is meaningless to production; sending them there hands the secret to a host the config
    never named and fails with a confusing "invalid code". Why not refuse instead: the sandbox
    (``erpsync sandbox serve``) serves ``/api/v2/token/get`` and ``/refresh`` on its own host,
    so a config that names only its ``base_url`` works as written; a backend that splits the two
    hosts like production does (API on open-api.tiktokglobalshop.com, tokens on
    auth.tiktok-shops.com: Partner Center, authorization overview, 202407) sets ``auth_base_url``.
    """
    if auth_base_url:
        return auth_base_url
    if urlsplit(base_url).hostname == urlsplit(DEFAULT_BASE_URL).hostname:
        return DEFAULT_AUTH_BASE_URL
    return base_url


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


class TikTokSellerConnector(ListingPush, ShippingMixin, OrderReads, Connector):
    """A TikTok Shop seen through the Open API (versions per endpoint: ``versions.py``)."""

    type = "tiktok"
    role = "seller"
    description = "TikTok Shop Seller Center through the Open API: warehouses, pickup signals"
    Options = TikTokSellerOptions
    secret_options = ("app_secret", "access_token")
    #: the client is built under a lock, its session and rate limits are shared by threads already
    #: (the pickup read's pools), and the cipher comes from a directory shared by shops' threads
    reads_side_by_side = True

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
        self._building = threading.Lock()  # a read ahead may ask for the client as the shop's thread does

    @property
    def client(self) -> TikTokClient:
        """Created on first use, so building a connector does no I/O; once, whichever thread asks first."""
        if self._client is None:
            with self._building:
                if self._client is None:
                    self._client = self._new_client()
        return self._client

    def _new_client(self) -> TikTokClient:
        o = self.options
        policy = HttpPolicy(
            connect_timeout=min(10.0, o["timeout_seconds"]),
            read_timeout=o["timeout_seconds"],
            max_attempts=o["max_attempts"],
            rate_limit_qps=o["rate_limit_qps"],
            rate_limit_burst=RATE_BURST,
        )
        # the shops of one app and token share one authorised-shops answer per run (their ciphers)
        shared: dict[str, Any] = {
            "policy": policy,
            "session": shared_session(o["concurrency"]),
            "shop_lists": AUTHORISED_SHOPS,
        }
        if o["access_token"]:
            return TikTokClient(o["base_url"], o["app_key"], o["app_secret"], o["access_token"], **shared)
        tokens = self.token_manager(policy)
        return TikTokClient(o["base_url"], o["app_key"], o["app_secret"], tokens=tokens, **shared)

    @property
    def tiktok_client(self) -> TikTokClient:
        """The shared signed client, for API modules built on this shop (products, orders, ...)."""
        return self.client

    def cipher(self) -> str:
        """This shop's ``shop_cipher`` (looked up once, in the list its app's shops share), which most
        API modules need."""
        return self.client.shop_cipher(self.shop_id)

    def token_client(self, policy: HttpPolicy | None = None) -> TokenClient:
        """The token endpoints for this app, created once (``erpsync auth exchange`` uses it too)."""
        if self._token_client is None:
            o = self.options
            self._token_client = TokenClient(
                o["auth_base_url"], o["app_key"], o["app_secret"], policy=token_policy(policy), shop=self.shop.name
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

        Only packages changed since the last run are read again when the host passed the shop's
        package cache; calls go side by side up to ``concurrency`` (``pickup_reads.py``).
        """
        if not warehouse_ids:
            return Records()
        cipher = self.cipher()
        reads = PickupReads(
            FulfillmentApi(self.client, cipher),
            OrdersApi(self.client, cipher),
            scope=self.shop_id,
            cache=self.shop.packages,
            concurrency=self.options["concurrency"],
            clock=self.shop.clock or wall_clock,
        )
        return reads.read(warehouse_ids, since=since)


def shared_session(concurrency: int) -> requests.Session:
    """One session for every thread of a shop's reads, kept alive, holding no per-call state.

    requests does not promise that a ``Session`` is thread-safe (psf/requests issue 2766: its
    threading contract is undocumented); what it shares between calls is urllib3's connection
    pool, which is ("Thread-safe connection pool for one host": urllib3, ``HTTPConnectionPool``),
    and the cookie jar. The Open API is stateless (each call signed, the token in a header), so
    the jar is told to accept no cookie: nothing a call leaves behind is read by another. The pool
    keeps as many connections as calls can be in flight (``concurrency`` for each of the paths
    the pickup read calls side by side: details, orders, slots; and one for a later aspect's read
    ahead beside them, ``erpsync.shop_reads``), so none is opened and thrown away (urllib3
    discards a connection returned to a full pool).
    """
    session = requests.Session()
    adapter = HTTPAdapter(pool_maxsize=max(DEFAULT_POOLSIZE, len(POOLED_PATHS) * concurrency + 1))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session
