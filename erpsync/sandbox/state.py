"""The sandbox's world: scenario data, the virtual clock and Seller Center's pickup subscription.

One :class:`SandboxState` is shared by every request thread; all reads and writes happen under
``state.lock`` (an RLock), which is cheap because every operation is in-memory.

Clocks
------
*Virtual now* = ``time.time() + offset``. It drives business time: address saves and subscription
reviews (admin_pickup.py), default create times of added packages, collections, pickup slots.
``POST /_sandbox/clock`` grows the offset. Authentication (the timestamp window, token expiry)
uses the *real* clock, because the client signs with its real clock.

Scenario format (JSON object)
-----------------------------
Times accept Unix seconds (int), ISO-8601 with an offset (``"2023-09-19T00:00:00+08:00"``),
``"now"``, or a relative span ``"-2d"``, ``"+7d"``, ``"-3h30m"`` (units d/h/m/s), resolved once
against virtual now when the scenario is loaded (or reset), so packages stay recent.

.. code-block:: text

    name                  str, shown by /_sandbox/state
    rate_limit_qps        int >= 1, per (app_key, shop_cipher, API path template); default 50
    review_delay_hours    number >= 0, or null = reviews never complete (a stuck review); default 4
    seller_carrier_prefix prefix of the seller's own carrier for derived DROP_OFF waybills; default "SF"
    clock_start           optional time: virtual now at load (default: the wall clock)
    faults                optional {error_rate, latency_ms, burst_429, seed, fail_after_commit,
                          fail_after_commit_rate, drop_after_commit, commit_fault_paths} (see faults.py)
    errors_as_http_200    bool (false): emulated-API errors answer HTTP 200 with the nonzero code in
                          the envelope, as the real API often does; 429 and 5xx keep their status
    rotate_refresh_tokens bool (false): a refresh issues a new refresh token and the old one stops
                          working (36004005); false keeps the refresh token across refreshes
    omit_retry_after      bool (false): 429 answers carry no ``Retry-After`` header
    webhook_omit_notification_id
                          bool (false): webhooks are sent without ``tts_notification_id``, as older
                          payloads are, to test a receiver's fallback dedupe
    apps[]                {app_key, app_secret,
                           tokens[]{access_token, expires_at (time; "+7d" default), shops[] (shop ids)}}
    carriers[]            {prefix, id, name}: maps a waybill prefix ("WS", "JT", "SF") to the
                           shipping_provider_id/name the API reports
    regions[]             pickup coverage: {state, city, providers[]{prefix, since (time | null)}};
                           the provider in charge is the latest one whose ``since`` has passed.
                           An address whose (state, city) is not listed is outside coverage.
    shops[]               {id, name, region, seller_type CROSS_BORDER|LOCAL, cipher, code,
                           warehouses[]{id, name, is_default, effect_status, type, sub_type,
                             address{region_code, state, city, distict, town, postal_code,
                                     full_address, address_line1..4, contact_person, phone_number},
                             subscription{status not_subscribed|pending_review|active|
                                          out_of_coverage|cancelled, requested_at?, reviewed_at?,
                                          cancelled_at?, review_delay_hours? (per-warehouse override)}}}
    orders[]              {id, warehouse_id, status (default AWAITING_SHIPMENT), create_time, update_time?}
    packages[]            {id, order_ids[], handover_method PICKUP|DROP_OFF, tracking_number, status
                           (default PROCESSING), create_time, update_time?, shipping_type TIKTOK|SELLER
                           (default: SELLER if its delivery_option_id is SEND_BY_SELLER, else its
                           first order's, TIKTOK unless the order says)}

The commerce keys (tokens, audit rules, delivery options, webhook_url, products, order line items)
are documented in :mod:`scenario`; orders also take ``line_items[]`` (each with the ``package_id`` of
its package, else the order's first), ``recipient_address``, ``paid_time``, ``shipping_type``, and
packages ``shipped_at`` and ``delivery_option_id``. Tokens take ``refresh_token``,
``refresh_expires_at`` and ``scopes``.

Side effects and webhooks
-------------------------
``state.effects`` counts successful writes (see effects.py); ``state.notify`` queues a signed
webhook for the app authorised on the shop (see webhooks.py). Both are reset with the scenario.

A package's shop and warehouse come from its orders (the order carries ``warehouse_id``), just
as the Open API links them. Packages in the scenario keep the handover method and tracking
number written there (so drift such as a JT pickup waybill after the Wanse switch can be staged);
packages added later through the admin API derive them from the subscription (see add_packages).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from erpsync.sandbox import subscription as lifecycle
from erpsync.sandbox.effects import EffectCounter
from erpsync.sandbox.model import ADDRESS_FIELDS, SHIPPING_TYPES, App, Order, Package, Subscription, Warehouse
from erpsync.sandbox.scenario import build_world, resolve_source
from erpsync.sandbox.scenario_values import parse_time
from erpsync.sandbox.webhooks import WebhookDispatcher
from erpsync.sandbox.world import World


class StateError(ValueError):
    """An admin request that cannot be applied (unknown id, bad field); ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class SandboxState:
    """The mutable world behind the emulated API and the admin API."""

    def __init__(self, source: str | Path | dict[str, Any]) -> None:
        self.source = source
        self.lock = threading.RLock()
        self.effects = EffectCounter()
        self.webhooks = WebhookDispatcher()
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        """Reload the scenario from its source: clock offset, subscriptions and packages start over."""
        world = build_world(resolve_source(self.source), time.time())
        with self.lock:
            self.world: World = world
            self.offset = world.clock_offset
            self._serial = 0
            self.effects.reset()
            self.webhooks.reset(world.webhook_url)

    def now(self) -> int:
        """Virtual now (Unix seconds)."""
        return int(time.time() + self.offset)

    def advance(self, seconds: float) -> int:
        """Move the virtual clock forward; returns the new virtual now."""
        if seconds < 0:
            raise StateError("advance_seconds must be >= 0: the virtual clock never goes back")
        with self.lock:
            self.offset += seconds
            return self.now()

    def new_id(self, prefix: str) -> str:
        """A fresh numeric-looking id (``prefix`` + virtual-time digits + serial), unique per state."""
        with self.lock:
            self._serial += 1
            return f"{prefix}{self.now() % 10**8:08d}{self._serial:06d}"

    # -- webhooks --------------------------------------------------------------------------
    def app_for_shop(self, shop_id: str) -> App | None:
        """The app authorised on the shop (the first with a token for it), else the first app."""
        apps = list(self.world.apps.values())
        for app in apps:
            if any(shop_id in t.shop_ids for t in app.tokens.values()):
                return app
        return apps[0] if apps else None

    def notify(self, type_: int, shop_id: str, data: dict[str, Any]) -> None:
        """Queue a webhook of ``type_`` for the shop, signed with its app's secret."""
        app = self.app_for_shop(shop_id)
        if app is not None:
            omit = self.world.webhook_omit_notification_id
            self.webhooks.emit(type_, shop_id, data, self.now(), app.app_key, app.app_secret, omit_notification_id=omit)

    # -- subscription ----------------------------------------------------------------------
    def warehouse(self, warehouse_id: str) -> Warehouse:
        try:
            return self.world.warehouses[warehouse_id]
        except KeyError:
            raise StateError(f"unknown warehouse {warehouse_id}", status=404) from None

    def subscription(self, warehouse: Warehouse) -> Subscription:
        """The warehouse's subscription with any due review completed (lazy evaluation)."""
        with self.lock:
            return lifecycle.evaluate(warehouse.subscription, self.now(), self.world.review_delay_hours)

    def provider(self, warehouse: Warehouse, when: int | None = None) -> str | None:
        """Prefix of the pickup provider covering the warehouse at ``when``; None outside coverage."""
        region = lifecycle.find_region(self.world.regions, warehouse.address)
        return region.provider_at(self.now() if when is None else when) if region else None

    def can_pickup(self, warehouse_id: str) -> bool:
        """True iff the warehouse's pickup subscription is active right now (virtual clock)."""
        with self.lock:
            warehouse = self.world.warehouses.get(warehouse_id)
            return warehouse is not None and self.subscription(warehouse).status == "active"

    def save_address(self, warehouse_id: str, fields: dict[str, Any]) -> Warehouse:
        """Emulate Seller Center's address save: apply ``fields``, then request a subscription.

        Any save counts, an identical or punctuation-only one included (the seller's own way to
        re-subscribe); the text is kept exactly as given, so the Open API shows the comma.
        """
        with self.lock:
            warehouse = self.warehouse(warehouse_id)
            self._apply_address(warehouse, fields)
            self.subscription(warehouse)  # a review due before this save completed then
            in_coverage = lifecycle.find_region(self.world.regions, warehouse.address) is not None
            warehouse.saved_at = self.now()
            lifecycle.request(warehouse.subscription, warehouse.saved_at, in_coverage)
            return warehouse

    def cancel_pickup(self, warehouse_id: str, fields: dict[str, Any] | None = None) -> Warehouse:
        """Emulate "re-save the address and decline the provider's call" in one step: DROP OFF."""
        with self.lock:
            warehouse = self.warehouse(warehouse_id)
            self._apply_address(warehouse, fields or {})
            self.subscription(warehouse)
            warehouse.saved_at = self.now()
            lifecycle.cancel(warehouse.subscription, warehouse.saved_at)
            return warehouse

    @staticmethod
    def _apply_address(warehouse: Warehouse, fields: dict[str, Any]) -> None:
        unknown = set(fields) - set(ADDRESS_FIELDS)
        if unknown:
            raise StateError(f"unknown address fields {sorted(unknown)}; allowed: {', '.join(ADDRESS_FIELDS)}")
        bad = [k for k, v in fields.items() if not isinstance(v, str)]
        if bad:
            raise StateError(f"address fields must be strings: {sorted(bad)}")
        warehouse.address.update(fields)
        if "full_address" not in fields and set(fields) & {
            "state",
            "city",
            "distict",
            "town",
            "address_line1",
            "address_line2",
        }:
            a = warehouse.address
            parts = [a["state"], a["city"], a["distict"], a["town"], a["address_line1"], a["address_line2"]]
            a["full_address"] = " ".join(p for p in parts if p)

    # -- packages --------------------------------------------------------------------------
    def package_warehouse(self, package: Package) -> Warehouse | None:
        """The package's warehouse, through its first order's ``warehouse_id`` (as the API links them)."""
        order = self.world.orders.get(package.order_ids[0])
        return self.world.warehouses.get(order.warehouse_id) if order else None

    def add_packages(self, body: dict[str, Any]) -> list[Package]:
        """Add ``count`` (default 1) packages, each with its own order, to a warehouse.

        Without explicit ``handover_method``/``tracking_number`` they follow the subscription now:
        active → PICKUP with the region provider's prefix; otherwise DROP_OFF with the seller's
        own carrier. That is what Seller Center would print on a new label.
        """
        count = body.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10000:
            raise StateError("count must be an integer from 1 to 10000")
        if count > 1 and ("package_id" in body or "order_id" in body):
            raise StateError("package_id/order_id can only be given with count 1")
        method = body.get("handover_method")
        if method not in (None, "PICKUP", "DROP_OFF"):
            raise StateError("handover_method must be PICKUP or DROP_OFF")
        shipping_type = body.get("shipping_type", "TIKTOK")
        if shipping_type not in SHIPPING_TYPES:
            raise StateError(f"shipping_type must be one of {', '.join(SHIPPING_TYPES)}")
        with self.lock:
            warehouse = self.warehouse(str(body.get("warehouse_id", "")))
            now = self.now()
            try:
                created = parse_time(body.get("create_time", now), now, "create_time")
            except ValueError as exc:
                raise StateError(str(exc)) from None
            added = []
            for _ in range(count):
                self._serial += 1
                order_id = str(body.get("order_id") or f"5769{now % 10**8:08d}{self._serial:06d}")
                package_id = str(body.get("package_id") or f"1154{now % 10**8:08d}{self._serial:06d}")
                if order_id in self.world.orders or package_id in self.world.packages:
                    raise StateError(f"order {order_id} or package {package_id} already exists", status=409)
                handover, tracking = self._derive_label(warehouse, method, body.get("tracking_number"))
                self.world.orders[order_id] = Order(
                    order_id,
                    warehouse.shop_id,
                    str(body.get("order_status", "AWAITING_SHIPMENT")),
                    warehouse.id,
                    created,
                    created,
                    shipping_type=shipping_type,
                )
                package = Package(
                    package_id,
                    warehouse.shop_id,
                    [order_id],
                    handover,
                    tracking,
                    str(body.get("status", "PROCESSING")),
                    created,
                    created,
                    shipping_type=shipping_type,
                )
                self.world.packages[package_id] = package
                added.append(package)
            return added

    def _derive_label(self, warehouse: Warehouse, method: str | None, tracking: Any) -> tuple[str, str]:
        active = self.subscription(warehouse).status == "active"
        if method is None:
            method = "PICKUP" if active else "DROP_OFF"
        if tracking is None:
            prefix = (self.provider(warehouse) if method == "PICKUP" else None) or self.world.seller_carrier_prefix
            tracking = f"{prefix}{(self.now() * 1000 + self._serial) % 10**12:012d}"
        return method, str(tracking)
