"""The TikTok seller connector as a ``PackageShipper`` (``core/shipping.py``): read, ship, correct.

Built on the typed ``FulfillmentApi`` and ``OrdersApi`` (the facts they rely on, with their Partner
Center pages: ``docs/tracking.md``):

- **State.** Get Package Detail gives the package's status, tracking number and provider, its
  ``shipping_type`` (TIKTOK: the platform ships it, so it is never self-shipped nor corrected),
  and its orders; whether it has shipped is the orders' status (a package stays PROCESSING from
  before shipping until the carrier collects it, while its orders move from AWAITING_SHIPMENT
  to AWAITING_COLLECTION). An order PARTIALLY_SHIPPING has shipped some of its packages, not
  all: its line items of this package say which (``package_status`` TO_FULFILL, not shipped;
  PROCESSING or later, shipped), and line items that do not say leave the package not
  shippable, reported, rather than shipped on a guess. Orders are read 50 ids a call; they
  also name the warehouse, whose shipping providers map carrier names to ids. Package details
  go side by side up to the seller option ``concurrency``, each still within its API's rate
  limit. A package not of this shop (21011028, a not-found code) is ``UNKNOWN``, for the aspect
  to report by id.
- **Ship.** A self-shipment (tracking number and provider id) with ``handover_method`` DROP_OFF:
  the parcel travels with the seller's carrier, so TikTok's pickup does not apply (the
  method is a guess where the platform ignores it: docs/tracking.md). One package goes through
  Ship Package; several through Batch Ship Packages in calls of 50, each package with its own
  outcome. "Already shipped" is its own outcome, not a failure.
- **Correct.** Update Package Shipping Info, which the platform accepts within 72 h of shipping
  and once per order (the tracking aspect sends one correction per order).
  The Open API's package detail carries no shipping time, so the window is the platform's to
  enforce: its refusal (21011049-21011052) is the package's error.
- **Read only what moved.** A package whose last read the shop's package cache keeps, and that
  one Search Package since the cache's cursor shows unmoved, is answered from the cache when its
  package status settles its state (collected, delivered or cancelled: ``shipping_reads.py``),
  or, in the tracking read's own rows, when its orders said it shipped and it waits for the
  carrier; the others are read as above. A second run over shipments long shipped, or shipped
  and not yet collected, makes one search, not a detail call per shipment.
- **Read again only what was written.** The connector lives one shop run. A package read once
  in it is not read again unless it was shipped or corrected through it since: the re-read that
  verifies a run's pushes costs a detail call per package pushed, not per shipment in the ERP.
  A package written through it is read from its detail for the rest of the run, never from the
  cache, whatever a search says. A change someone else makes mid-run is seen by the next run, as
  one made a moment later would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, cast

from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.fulfillment.errors import AlreadyShippedError
from erpsync.connectors.tiktok.fulfillment.models import HandoverMethod, Package, Shipment
from erpsync.connectors.tiktok.orders.api import OrdersApi
from erpsync.connectors.tiktok.orders.models import Order, OrderStatus
from erpsync.connectors.tiktok.pickup_reads import in_order, wall_clock
from erpsync.connectors.tiktok.shipping_reads import (
    SETTLED,
    TrackedCheck,
    platform_ships,
    settled_detail,
    to_remember,
    tracked_states,
    unknown,
    unmoved_states,
)
from erpsync.core.errors import ConnectorError, NotFoundError, RecordError
from erpsync.core.models import Records
from erpsync.core.shipping import (
    PackageShippingState,
    ProviderNames,
    ShipOutcomes,
    ShippingStatus,
    ShipRequest,
)

__all__ = ["ShippingMixin", "shipping_state"]

_SHIPPED_ORDERS = frozenset(
    {OrderStatus.AWAITING_COLLECTION, OrderStatus.IN_TRANSIT, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)
#: Get Order Detail's ``line_items[].package_status``: TO_FULFILL, "waiting seller to arrange the
#: shipment"; PROCESSING, FULFILLING and COMPLETED come after the seller shipped it
_ITEM_UNSHIPPED = "TO_FULFILL"
_ITEM_SHIPPED = frozenset({"PROCESSING", "FULFILLING", "COMPLETED"})


def _order_says(order: Order, package_id: str) -> ShippingStatus:
    """What one of its orders says of the package: SHIPPED, AWAITING_SHIPMENT, or NOT_SHIPPABLE.

    AWAITING_SHIPMENT and the statuses after AWAITING_COLLECTION speak for every package of the
    order. PARTIALLY_SHIPPING ("one or more (but not all) items in the order have been shipped")
    does not: the line items whose ``package_id`` is this package do. None of them naming it is
    what an unshipped package looks like where the API leaves both fields out until it ships
    (local sellers in the US and UK); any other value than TO_FULFILL and the shipped ones (none,
    CANCELLED on a package whose detail is not, a new one) is no answer (docs/tracking.md).
    """
    if order.status in _SHIPPED_ORDERS:
        return ShippingStatus.SHIPPED
    if order.status is OrderStatus.AWAITING_SHIPMENT:
        return ShippingStatus.AWAITING_SHIPMENT
    if order.status is not OrderStatus.PARTIALLY_SHIPPING:
        return ShippingStatus.NOT_SHIPPABLE
    items = {item.package_status for item in order.line_items if item.package_id == package_id}
    if items & _ITEM_SHIPPED:
        return ShippingStatus.SHIPPED
    if items <= {_ITEM_UNSHIPPED}:
        return ShippingStatus.AWAITING_SHIPMENT
    return ShippingStatus.NOT_SHIPPABLE


def _blocked_by(order: Order, package_id: str) -> str:
    if order.status is not OrderStatus.PARTIALLY_SHIPPING:
        return f"order {order.id} is {order.status}"
    said = sorted({i.package_status or "none" for i in order.line_items if i.package_id == package_id})
    return (
        f"order {order.id} is PARTIALLY_SHIPPING and its line items do not say whether package {package_id}"
        f" has shipped (package_status {', '.join(said)})"
    )


def shipping_state(package: Package, orders: Sequence[Order]) -> PackageShippingState:
    """Where one package stands, from its detail and its orders (pure)."""

    def state(status: ShippingStatus, detail: str = "") -> PackageShippingState:
        warehouse = next((o.warehouse_id for o in orders if o.warehouse_id), None)
        return PackageShippingState(
            package.id,
            status,
            package.order_ids,
            package.tracking_number,
            package.shipping_provider_id,
            None,  # the Open API's package detail does not say when it shipped
            warehouse,
            detail,
            platform_ships(package.shipping_type),
            package.delivery_option_id,
        )

    settled = SETTLED.get(package.status)
    if settled is not None:
        return state(settled, settled_detail(settled))
    says = [(o, _order_says(o, package.id)) for o in orders]
    if any(said is ShippingStatus.SHIPPED for _, said in says):
        return state(ShippingStatus.SHIPPED)
    cancelled = [o for o in orders if o.status is OrderStatus.CANCELLED]
    if cancelled and len(cancelled) == len(orders):
        return state(ShippingStatus.CANCELLED, f"order {cancelled[0].id} is CANCELLED")
    blocked = [o for o, said in says if said is not ShippingStatus.AWAITING_SHIPMENT]
    if orders and not blocked:
        return state(ShippingStatus.AWAITING_SHIPMENT)
    why = _blocked_by(blocked[0], package.id) if blocked else "none of its orders could be read"
    return state(ShippingStatus.NOT_SHIPPABLE, why)


class ShippingMixin:
    """``PackageShipper`` for ``TikTokSellerConnector`` (which provides ``client``, ``cipher`` and ``options``)."""

    options: Any
    _shipping: tuple[FulfillmentApi, OrdersApi] | None = None
    #: package id → its state as read in this shop run; a write through this connector drops it
    _shipping_states: dict[str, PackageShippingState] | None = None
    #: packages written through this connector: their detail is read, never the cache's row
    _shipping_written: set[str] | None = None

    def _apis(self) -> tuple[FulfillmentApi, OrdersApi]:
        """One pair per connector, so the providers cache lasts the shop's run."""
        if self._shipping is None:
            connector = cast(Any, self)  # the TikTok seller connector this is mixed into
            client, cipher = connector.client, connector.cipher()
            self._shipping = (FulfillmentApi(client, cipher), OrdersApi(client, cipher))
        return self._shipping

    def _read_states(self) -> dict[str, PackageShippingState]:
        if self._shipping_states is None:
            self._shipping_states = {}
        return self._shipping_states

    def _written(self, package_ids: Sequence[str]) -> None:
        """Forget what was read of packages about to be written: the next read asks again, and
        the tracking read's rows of them say nothing until a read after the write."""
        known = self._read_states()
        if self._shipping_written is None:
            self._shipping_written = set()
        for package_id in package_ids:
            known.pop(package_id, None)
            self._shipping_written.add(package_id)
        tracked = cast(Any, self).shop.tracked
        if tracked is not None:
            tracked.put(unknown(package_ids))

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        known = self._read_states()
        ids = list(dict.fromkeys(package_ids))
        todo = [i for i in ids if i not in known]
        unwritten = [i for i in todo if i not in (self._shipping_written or ())]
        settled = self._unmoved(unwritten)
        tracked = self._tracked([i for i in unwritten if i not in settled])
        settled.update(tracked.answered if tracked else {})
        fresh, details = self._read_shipping_states([i for i in todo if i not in settled])
        if tracked is not None:
            self._remember(details, fresh, tracked)
        read = {**settled, **{state.id: state for state in fresh.items}}
        if not fresh.errors:  # after an error a state may rest on part of its orders: not kept
            known.update(read)
        found = {**known, **read}
        return Records(tuple(found[i] for i in ids if i in found), fresh.errors)

    def _unmoved(self, ids: list[str]) -> dict[str, PackageShippingState]:
        """The states the shop's package cache answers for ``ids`` (none without a cache)."""
        connector = cast(Any, self)  # the TikTok seller connector this is mixed into
        cache = connector.shop.packages
        if cache is None or not ids:
            return {}
        return unmoved_states(self._apis()[0], cache, scope=connector.shop_id, package_ids=ids)

    def _tracked(self, ids: list[str]) -> TrackedCheck | None:
        """What the tracking read's own rows answer for ``ids`` (None: no store to keep rows in)."""
        connector = cast(Any, self)  # the TikTok seller connector this is mixed into
        tracked = connector.shop.tracked
        if tracked is None:
            return None
        now = (connector.shop.clock or wall_clock)()
        return tracked_states(self._apis()[0], tracked, scope=connector.shop_id, package_ids=ids, now=now)

    def _remember(self, details: Sequence[Package], states: Records[PackageShippingState], check: TrackedCheck) -> None:
        """Keep the settled packages just read, then the cursor the check said to store.

        A package its orders said shipped is kept as such even when some records failed: one
        order read shipped is enough for ``shipping_state`` to say shipped, so a missing order
        can only take that answer away, never give it."""
        connector = cast(Any, self)
        tracked, clock = connector.shop.tracked, connector.shop.clock or wall_clock
        warehouses = {state.id: state.warehouse_id for state in states.items}
        shipped = {s.id for s in states.items if s.status is ShippingStatus.SHIPPED}
        tracked.put(to_remember(details, warehouses, shipped), wanted_at=clock())
        if check.cursor is not None:
            tracked.advance(check.cursor, now=clock())

    def _read_shipping_states(self, ids: list[str]) -> tuple[Records[PackageShippingState], list[Package]]:
        """Each package's detail (side by side), then its orders (50 a call); errors per package.
        Also the details read, for the tracking read's rows."""
        if not ids:
            return Records(), []
        fulfillment, orders_api = self._apis()

        def detail(package_id: str) -> Package | RecordError | None:
            try:
                return fulfillment.get_package(package_id)
            except RecordError as err:
                return err
            except NotFoundError:
                return None  # not this shop's package: UNKNOWN, reported by the aspect

        workers = max(1, min(int(self.options.get("concurrency") or 1), len(ids) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="erpsync-ship") as pool:
            details = in_order(pool, detail, ids)
        packages = [d for d in details if isinstance(d, Package)]
        errors: list[RecordError] = [d for d in details if isinstance(d, RecordError)]
        found = orders_api.get_orders(o for p in packages for o in p.order_ids)
        errors.extend(found.errors)
        by_id = {o.id: o for o in found.items}
        items: list[PackageShippingState] = []
        for package_id, result in zip(ids, details, strict=True):
            if result is None:
                items.append(PackageShippingState(package_id, ShippingStatus.UNKNOWN))
            elif isinstance(result, Package):
                items.append(shipping_state(result, [by_id[o] for o in result.order_ids if o in by_id]))
        return Records(tuple(items), tuple(errors)), packages

    def shipping_provider_ids(self, warehouse_id: str) -> ProviderNames:
        """Every delivery option's providers by name: two options may each offer a provider of one
        name under its own id, which only the package's delivery option settles."""
        providers = self._apis()[0].shipping_providers(warehouse_id)
        return ProviderNames((p.name, p.id, p.delivery_option_id) for p in providers)

    def ship_packages(self, requests: Sequence[ShipRequest]) -> ShipOutcomes:
        fulfillment = self._apis()[0]
        self._written([r.package_id for r in requests])
        shipments = [
            Shipment(r.package_id, HandoverMethod.DROP_OFF, None, r.tracking_number, r.shipping_provider_id)
            for r in requests
        ]
        if len(shipments) == 1:
            (one,) = shipments
            try:
                fulfillment.ship_package(
                    one.package_id,
                    handover_method=one.handover_method,
                    tracking_number=one.tracking_number,
                    shipping_provider_id=one.shipping_provider_id,
                )
            except AlreadyShippedError:
                return ShipOutcomes(already_shipped=(one.package_id,))
            except ConnectorError as exc:
                return ShipOutcomes(failed={one.package_id: exc})
            return ShipOutcomes(shipped=(one.package_id,))
        result = fulfillment.ship_packages(shipments)
        return ShipOutcomes(tuple(result.shipped), tuple(result.already_shipped), dict(result.failed))

    def update_tracking(
        self, package_id: str, tracking_number: str, shipping_provider_id: str, *, shipped_at: datetime | None
    ) -> None:
        self._written([package_id])
        self._apis()[0].update_shipping_info(
            package_id=package_id,
            tracking_number=tracking_number,
            shipping_provider_id=shipping_provider_id,
            shipped_at=shipped_at,
        )
