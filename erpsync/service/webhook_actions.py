"""What a TikTok webhook makes erpsync do: a targeted sync of the shop it names, an alert, a pause.

A webhook is a hint that one shop changed; waiting for the next scheduled run (up to an hour for
listings) wastes it, calling the Open API from the receiver would blow the platform's 3 s. So
the handler only writes: a sync request for that shop's affected aspects (run by ``erpsync run``
or, with ``trigger = "celery"``, a task on the broker), an outbox row, a pause row.

- order status change (1), package update (4), cancellation status change (11): ``tracking`` and
  ``order_status`` -- a shipped, cancelled or split order is what those aspects compare;
- a failed product audit (5 with ``PRODUCT_AUDIT_FAILURE``, 37 with ``FAILED`` for TikTok or an
  integrated platform): ``listings``, whose run raises the ``audit_failed`` drift and its alert;
- seller deauthorisation (6): the alert (``alert_webhooks``) and a pause of the shop, so the
  scheduler and the workers stop its jobs (every one would fail) until an operator re-authorises
  and runs ``erpsync webhooks resume SHOP``;
- authorisation expiring (7): the alert;
- other types: nothing (logged).

A shop is named by Seller Center's ``shop_id``, which a configured shop carries as its seller
option ``shop_id``. A notification for an id no configured shop carries is not dropped: its body
is kept for inspection (``erpsync`` answers 200) with the reason, after any alert it warrants;
``erpsync webhooks kept`` lists such bodies, and ``erpsync prune`` deletes them a month later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from erpsync.alert_outbox import ConfiguredSink
from erpsync.alert_webhooks import shops_for, webhook_alert_handler
from erpsync.connectors.tiktok.webhooks.models import (
    AuthorizationExpiring,
    CancellationStatusChanged,
    OrderStatusChanged,
    PackageUpdated,
    ProductAuditStatusChanged,
    ProductStatusChanged,
    SellerDeauthorized,
    WebhookEvent,
)
from erpsync.connectors.tiktok.webhooks.receiver import KeepForInspection
from erpsync.core.config import Settings
from erpsync.core.store import Store

__all__ = ["Trigger", "WebhookActions", "aspects_for", "celery_trigger", "scheduler_trigger"]

logger = logging.getLogger(__name__)

ORDER_ASPECTS = ("tracking", "order_status")
LISTING_ASPECTS = ("listings",)
AUDIT_FAILURE = "PRODUCT_AUDIT_FAILURE"
FAILED = "FAILED"

#: asks for a sync of (shop, aspects) with a reason; must only write or enqueue
Trigger = Callable[[str, Sequence[str], str], None]


def aspects_for(event: WebhookEvent) -> tuple[str, ...]:
    """The aspects a notification makes worth syncing now; () when it changes nothing erpsync compares."""
    if isinstance(event, OrderStatusChanged | PackageUpdated | CancellationStatusChanged):
        return ORDER_ASPECTS
    if isinstance(event, ProductStatusChanged) and event.status == AUDIT_FAILURE:
        return LISTING_ASPECTS
    if isinstance(event, ProductAuditStatusChanged) and FAILED in (
        event.audit_status,
        *event.platform_statuses.values(),
    ):
        return LISTING_ASPECTS
    return ()


def scheduler_trigger(store: Store, clock: Callable[[], datetime]) -> Trigger:
    """Sync request rows in the state store, which ``erpsync run`` takes every few seconds."""

    def trigger(shop: str, aspects: Sequence[str], reason: str) -> None:
        store.sync_requests.add(shop, aspects, reason=reason, now=clock())

    return trigger


def celery_trigger(settings: Settings) -> Trigger:
    """One task per aspect on the Celery broker (``erpsync worker`` runs them)."""
    from erpsync.service.tasks import enqueue_sync

    def trigger(shop: str, aspects: Sequence[str], reason: str) -> None:
        enqueue_sync(settings, shop, aspects, reason)

    return trigger


def _wanted(settings: Settings, shop: str, aspects: Sequence[str]) -> list[str]:
    """The aspects the shop runs among ``aspects`` (a shop with no ``aspects`` list runs them all)."""
    configured = settings.shop(shop)
    enabled = configured.aspects if configured is not None else None
    return [a for a in aspects if enabled is None or a in enabled]


class WebhookActions:
    """The ``on_event`` of ``erpsync webhooks serve``: targeted syncs, alerts, pauses."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        sinks: Sequence[ConfiguredSink],
        trigger: Trigger,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.store = store
        self.trigger = trigger
        self.clock = clock
        self._alerts = webhook_alert_handler(store, settings, sinks, clock=clock)

    def __call__(self, event: WebhookEvent) -> None:
        """Act on one event; raises KeepForInspection for a shop the config does not name."""
        shops = shops_for(self.settings, event.shop_id)
        if isinstance(event, SellerDeauthorized | AuthorizationExpiring):
            self._alerts(event)  # also for an unknown shop: the alert names the id and how to add it
        if not shops:
            raise KeepForInspection(
                f"TikTok shop {event.shop_id} is not in the config (no shop's seller has shop_id = "
                f'"{event.shop_id}"): type {event.type} not acted on'
            )
        if isinstance(event, SellerDeauthorized):
            for shop in shops:
                self.pause(shop, event)
        aspects = aspects_for(event)
        if not aspects:
            logger.info("%s (type %d) for %s: nothing to sync", event.label, event.type, ", ".join(shops))
            return
        reason = f"TikTok webhook type {event.type}, {event.label}"
        for shop in shops:
            wanted = _wanted(self.settings, shop, aspects)
            if wanted:
                self.trigger(shop, wanted, reason)
                logger.info("%s: sync of %s requested for shop %s", event.label, ", ".join(wanted), shop)
            else:
                logger.info("%s: shop %s runs none of %s", event.label, shop, ", ".join(aspects))

    def pause(self, shop: str, event: WebhookEvent) -> None:
        """Stop the shop's jobs: every call would fail until the seller authorises the app again."""
        reason = (
            f"the seller removed erpsync's authorisation ({event.label}); re-authorise, then run "
            f"`erpsync webhooks resume {shop}`"
        )
        self.store.shop_pauses.pause(shop, reason=reason, now=self.clock())
        logger.warning("shop %s paused: %s", shop, reason)
