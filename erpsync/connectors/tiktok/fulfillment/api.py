"""Fulfilment for one shop: read packages, ship them, fix tracking (``docs/open-api-full.md`` §4).

Built on :class:`TikTokClient` (signing, envelope, retries) and bound to one shop's cipher, so
callers never handle ciphers. Answers are typed (``models.py``); the fulfilment error
codes become specific ``PermanentError`` subclasses (``errors.py``), because a caller that pushes shipments must
act on them differently: "already shipped" means done, "not found" means the binding is stale,
"72 h window closed" needs a human. The ``tracking`` aspect pushes through it
(``connectors/tiktok/shipping.py``).

Delivery options and shipping providers rarely change and every ship needs them, so they are
cached per warehouse for ``cache_ttl`` seconds (one hour by default) for the life of the object.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.fulfillment import schemas
from erpsync.connectors.tiktok.fulfillment.errors import (
    SHIPPING_INFO_WINDOW_HOURS,
    AlreadyShippedError,
    ShippingInfoWindowClosedError,
    refine,
    sort_batch_outcomes,
)
from erpsync.connectors.tiktok.fulfillment.models import (
    BatchResult,
    DeliveryOption,
    HandoverMethod,
    HandoverSlots,
    Package,
    PackageSummary,
    PickupSlot,
    Shipment,
    ShippingProvider,
    TrackingEvent,
)
from erpsync.connectors.tiktok.loading import load_list, load_page, load_typed
from erpsync.connectors.tiktok.paging import check_page_size, paginate
from erpsync.connectors.tiktok.versions import ENDPOINTS
from erpsync.core.errors import ConnectorError, PermanentError
from erpsync.core.models import Records

#: the operations of this module (``versions.py``); each template is also the call's rate-limit key
SEARCH = ENDPOINTS["search_package"]
DETAIL = ENDPOINTS["get_package_detail"]
SLOTS = ENDPOINTS["get_package_handover_time_slots"]
TRACKING = ENDPOINTS["get_tracking"]
SHIP = ENDPOINTS["ship_package"]
BATCH_SHIP = ENDPOINTS["batch_ship_packages"]
PACKAGE_SHIPPING_INFO = ENDPOINTS["update_package_shipping_info"]
ORDER_SHIPPING_INFO = ENDPOINTS["update_shipping_info"]
DELIVERY_OPTIONS = ENDPOINTS["get_warehouse_delivery_options"]
SHIPPING_PROVIDERS = ENDPOINTS["get_shipping_providers"]
#: Get Shipping Providers: "The delivery of the specified delivery_option_id is fulfilled by
#: TikTok. No shipping provider will be returned" (docs/open-api-errors.md)
FULFILLED_BY_TIKTOK = "21008117"
#: Batch Ship Packages documents no maximum; 50 matches the other id-list limits (a guess)
SHIP_BATCH_SIZE = 50
#: packages/search takes at most 50 per page (36009004 above that)
PACKAGES_PAGE_SIZE = 50
DEFAULT_CACHE_TTL = 3600.0


class FulfillmentApi:
    """The fulfilment and logistics calls of one shop (``cipher``)."""

    def __init__(
        self,
        client: TikTokClient,
        cipher: str,
        *,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.cipher = cipher
        self.cache_ttl = cache_ttl
        self.clock = clock
        self._cache: dict[tuple[str, ...], tuple[float, tuple[Any, ...]]] = {}

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, operation: str, rate_key: str, **kwargs: Any) -> dict[str, Any]:
        """``client.call`` with the shop's cipher; known fulfilment codes re-typed."""
        try:
            return self.client.call(method, path, cipher=self.cipher, operation=operation, rate_key=rate_key, **kwargs)
        except PermanentError as exc:
            raise refine(exc) from exc

    def _cached(self, key: tuple[str, ...], fetch: Callable[[], tuple[Any, ...]]) -> list[Any]:
        now = self.clock()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.cache_ttl:
            return list(hit[1])
        value = fetch()
        self._cache[key] = (now, value)
        return list(value)

    def clear_cache(self) -> None:
        """Forget cached delivery options and providers (e.g. after a warehouse change)."""
        self._cache.clear()

    # -- reading packages --------------------------------------------------------------------

    def search_packages(
        self,
        create_time_ge: int | None = None,
        *,
        create_time_lt: int | None = None,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        package_status: str | None = None,
        page_size: int = PACKAGES_PAGE_SIZE,
    ) -> Iterator[Records[PackageSummary]]:
        """Yield one typed page at a time, following ``next_page_token`` (``paging.paginate``).

        The bounds are Unix seconds, ``_ge`` inclusive and ``_lt`` exclusive; the update bounds
        let a caller ask only for packages changed since it last looked [REF Search Package].
        A record that is not a valid package (no id, an unknown status) is a RecordError; the
        rest of the page goes on.
        """
        window = (
            ("create_time_ge", create_time_ge),
            ("create_time_lt", create_time_lt),
            ("update_time_ge", update_time_ge),
            ("update_time_lt", update_time_lt),
        )
        body: dict[str, Any] = {k: int(v) for k, v in window if v is not None}
        if package_status is not None:
            body["package_status"] = str(package_status)
        query = {"page_size": check_page_size(page_size, PACKAGES_PAGE_SIZE)}
        path = SEARCH.path()
        source, name = f"TikTok {path}", self.client.name
        load = partial(load_page, schemas.PackageSummarySchema(), key="packages", kind="package", source=source)
        load = partial(load, operation="search packages", connector=name)
        return paginate(
            self.client, path, cipher=self.cipher, query=query, body=body, operation="search packages", load=load
        )

    def get_package(self, package_id: str) -> Package:
        """One package's detail; NotFoundError when unknown, RecordError when malformed."""
        path = DETAIL.path(package_id=package_id)
        data = self._call("GET", path, operation="get package", rate_key=DETAIL.template)
        schema = schemas.PackageSchema(str(package_id))
        return load_typed(schema, data, kind="package", source=f"TikTok {path}", record=f"package {package_id}")

    def handover_time_slots(self, package_id: str) -> HandoverSlots:
        """Whether pickup / drop-off is offered for the package, and the pickup windows."""
        path = SLOTS.path(package_id=package_id)
        data = self._call("GET", path, operation="get handover time slots", rate_key=SLOTS.template)
        record = f"package {package_id} handover slots"
        return load_typed(
            schemas.HandoverSlotsSchema(), data, kind="handover slots", source=f"TikTok {path}", record=record
        )

    def order_tracking(self, order_id: str) -> list[TrackingEvent]:
        """The carrier's tracking events of an order, in the API's order."""
        path = TRACKING.path(order_id=order_id)
        data = self._call("GET", path, operation="get order tracking", rate_key=TRACKING.template)
        return load_list(
            schemas.TrackingEventSchema(),
            data,
            "tracking",
            kind=f"order {order_id} tracking event",
            source=f"TikTok {path}",
        )

    # -- shipping ----------------------------------------------------------------------------

    def ship_package(
        self,
        package_id: str,
        *,
        handover_method: HandoverMethod | str,
        pickup_slot: PickupSlot | None = None,
        tracking_number: str | None = None,
        shipping_provider_id: str | None = None,
    ) -> None:
        """Ship one package. With a tracking number it is a self-shipment (both ids required).

        Raises AlreadyShippedError (21011040 and the other "already shipped" codes of
        ``error_codes.csv``) when it was shipped before: callers that only want
        "is it shipped?" catch that one and carry on. ValueError for inconsistent arguments.
        """
        shipment = Shipment(
            str(package_id), HandoverMethod(handover_method), pickup_slot, tracking_number, shipping_provider_id
        )
        self._call(
            "POST",
            SHIP.path(package_id=shipment.package_id),
            body=shipment.body(),
            operation="ship package",
            rate_key=SHIP.template,
            # safe to resend: a second ship of a shipped package answers "already shipped" (21011040,
            # 11006021, 21008099), reported as AlreadyShippedError ("done"), so a lost answer is retried
            idempotent=True,
        )

    def ship_packages(self, shipments: Sequence[Shipment]) -> BatchResult:
        """Ship many packages in calls of at most 50; report each package's outcome.

        A failing call (after the client's retries) fails the packages of that chunk only; the
        other chunks still go. An error entry that names no package of the chunk makes the
        outcome of the chunk's unnamed packages unknown: they are reported as TemporaryError
        (shipping again is safe, it answers "already shipped").
        """
        ids = [s.package_id for s in shipments]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"packages listed twice: {', '.join(dupes)}")
        result = BatchResult()
        path = BATCH_SHIP.path()
        for start in range(0, len(shipments), SHIP_BATCH_SIZE):
            chunk = list(shipments[start : start + SHIP_BATCH_SIZE])
            body = {"packages": [{"id": s.package_id, **s.body()} for s in chunk]}
            try:
                # resent after a lost answer, the packages shipped the first time come back as
                # "already shipped" entries (21011040, 21011020), i.e. already_shipped: safe to retry
                data = self._call("POST", path, body=body, operation="ship packages", rate_key=path, idempotent=True)
            except ConnectorError as exc:
                if isinstance(exc, AlreadyShippedError) and len(chunk) == 1:
                    result.already_shipped.append(chunk[0].package_id)
                    continue
                for s in chunk:
                    result.failed[s.package_id] = exc
                continue
            sort_batch_outcomes(chunk, data, result, connector=self.client.name, source=f"TikTok {path}")
        return result

    def update_shipping_info(
        self,
        *,
        package_id: str | None = None,
        order_id: str | None = None,
        tracking_number: str,
        shipping_provider_id: str,
        shipped_at: datetime | None = None,
        now: datetime | None = None,
    ) -> None:
        """Correct the tracking number of a shipped package (or order).

        TikTok allows this only within 72 h of shipping. When ``shipped_at`` is known and older,
        this refuses without calling (ShippingInfoWindowClosedError), so an ERP correction that
        can no longer be applied is reported once, clearly, instead of as a server rejection.
        """
        if (package_id is None) == (order_id is None):
            raise ValueError("give exactly one of package_id and order_id")
        if not tracking_number or not shipping_provider_id:
            raise ValueError("tracking_number and shipping_provider_id are both required")
        kind, target = ("packages", package_id) if package_id is not None else ("orders", order_id)
        where = PACKAGE_SHIPPING_INFO if package_id is not None else ORDER_SHIPPING_INFO
        operation = f"update shipping info of {kind[:-1]} {target}"
        if shipped_at is not None:
            current = now or datetime.fromtimestamp(self.clock(), UTC)
            if shipped_at.tzinfo is None or current.tzinfo is None:
                raise ValueError("shipped_at and now must be timezone-aware")
            if current - shipped_at > timedelta(hours=SHIPPING_INFO_WINDOW_HOURS):
                raise ShippingInfoWindowClosedError(
                    f"shipping info can only be changed within {SHIPPING_INFO_WINDOW_HOURS} h of shipping; "
                    f"{kind[:-1]} {target} shipped at {shipped_at.isoformat()}, "
                    f"{(current - shipped_at).total_seconds() / 3600:.0f} h ago: not sent. Correct the "
                    "tracking number in Seller Center or contact TikTok support",
                    connector=self.client.name,
                    operation=operation,
                    # the changelog that set 72 h says a late update answers 21011049
                    code=21011049,
                )
        self._call(
            "POST",
            where.path(**{f"{kind[:-1]}_id": target}),
            body={"tracking_number": tracking_number, "shipping_provider_id": str(shipping_provider_id)},
            operation=operation,
            rate_key=where.template,
            # not resent after a lost answer: the platform allows a package's number to change once or
            # a few times (21011051, 21011052), so a resend of a change that was made can be refused
            # or use one up; the next run reads the package and sees whether it was made
            idempotent=False,
        )

    # -- logistics (cached) ------------------------------------------------------------------

    def delivery_options(self, warehouse_id: str) -> list[DeliveryOption]:
        """The warehouse's delivery options (cached). A malformed record raises RecordError: a
        partial list cached for an hour would silently hide an option."""
        path = DELIVERY_OPTIONS.path(warehouse_id=warehouse_id)

        def fetch() -> tuple[DeliveryOption, ...]:
            data = self._call("GET", path, operation="list delivery options", rate_key=DELIVERY_OPTIONS.template)
            schema = schemas.DeliveryOptionSchema()
            return tuple(load_list(schema, data, "delivery_options", kind="delivery option", source=f"TikTok {path}"))

        return self._cached(("delivery_options", str(warehouse_id)), fetch)

    def shipping_providers(self, warehouse_id: str, delivery_option_id: str | None = None) -> list[ShippingProvider]:
        """Providers of one delivery option of the warehouse, or of all of them (deduplicated by
        provider and option) when ``delivery_option_id`` is None. Cached like the options."""
        if delivery_option_id is None:
            out: list[ShippingProvider] = []
            for option in self.delivery_options(warehouse_id):
                out.extend(self.shipping_providers(warehouse_id, option.id))
            return list(dict.fromkeys(out))
        option_id = str(delivery_option_id)
        path = SHIPPING_PROVIDERS.path(delivery_option_id=option_id)

        def fetch() -> tuple[ShippingProvider, ...]:
            try:
                data = self._call(
                    "GET", path, operation="list shipping providers", rate_key=SHIPPING_PROVIDERS.template
                )
            except ConnectorError as exc:
                if str(exc.code) == FULFILLED_BY_TIKTOK:  # documented: such an option has no providers
                    return ()
                raise
            schema = schemas.ShippingProviderSchema(option_id)
            return tuple(
                load_list(schema, data, "shipping_providers", kind="shipping provider", source=f"TikTok {path}")
            )

        return self._cached(("shipping_providers", str(warehouse_id), option_id), fetch)
