"""The Syncer's alert delivery: what follows each shop, its token trouble alerts and the outbox sent.

Alerts about drifts are written to the outbox with the drift changes that raise them
(``sync_drifts.py``); this is where they leave it. After each shop, outside its lease and any
transaction, the shop's refresh token is checked (an alert once per token nearing its end) and the
due alerts go out through ``alert_delivery.Deliverer``, so a channel that hangs costs at most its
``timeout_seconds`` and never holds a shop. A run told not to deliver (a service whose runs overlap
sends the outbox from one job of its own) and a run being stopped leave the alerts pending for the
next delivery.

A mixin rather than free functions, as ``sync_apply.py`` is: delivery reads the run's own state
(its stop request, whether it delivers, the sum of what it delivered) and stays what a benchmark
wraps on ``Syncer`` (``_deliver``). The class attributes below are what it needs of its host,
which ``erpsync.sync.Syncer`` sets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from erpsync.alert_delivery import Deliverer
from erpsync.alert_outbox import ConfiguredSink, token_alerts
from erpsync.alert_report import DeliveryReport
from erpsync.core.config import Settings, ShopSettings
from erpsync.core.errors import ErpsyncError
from erpsync.core.run_guard import StopSignals
from erpsync.core.store import Store

logger = logging.getLogger("erpsync.sync")


class SyncAlerts:
    """The alert delivery of ``Syncer``: ``_deliverer`` as a run starts, ``_after_shop`` after each shop."""

    # what the host provides
    settings: Settings
    store: Store
    clock: Callable[[], datetime]
    sinks: list[ConfiguredSink]
    _stop: StopSignals  # this run's stop request (SIGTERM/SIGINT, or a service's event)
    _deliver_alerts: bool  # whether this run sends the outbox after each shop
    _redact: Callable[[str], str]  # masks the configured secrets in a message
    #: what the last run's alert delivery did (expired alerts, sinks that timed out, alerts waiting
    #: for room in a channel's rate limit after its last pass)
    last_delivery: DeliveryReport

    def _deliverer(self) -> Deliverer:
        """The run's deliverer, its tally (``last_delivery``) started afresh."""
        self.last_delivery = DeliveryReport()
        return Deliverer(
            self.store,
            self.sinks,
            max_age=timedelta(hours=self.settings.alerting.max_age_hours),
            redact=self._redact,
            clock=self.clock,
        )

    def _after_shop(self, run_id: str, shop: ShopSettings, deliverer: Deliverer) -> None:
        """What follows each shop: its token trouble alerts, then the due alerts go out."""
        self._token_trouble(run_id, shop)
        if self._deliver_alerts and not self._stop.requested:  # what is left pending goes out with the next run
            self._deliver(deliverer)

    def _token_trouble(self, run_id: str, shop: ShopSettings) -> None:
        """A stored refresh token near its end is an alert (once per token: its id is stable)."""
        items = token_alerts(self.sinks, shop.name, self.store.tokens.get(shop.name), now=self.clock(), run_id=run_id)
        if items:
            self.store.outbox.add(items, now=self.clock())

    def _deliver(self, deliverer: Deliverer) -> None:
        """Send the due alerts: after the shop's lease is released and outside any transaction, so
        a channel that hangs costs at most its ``timeout_seconds`` and never holds the shop."""
        try:
            done = deliverer.deliver(self.clock())
        except (ErpsyncError, SQLAlchemyError) as exc:  # the store itself failed: the alerts stay pending
            logger.warning("alert delivery failed: %s; the alerts stay pending", self._redact(str(exc)))
            return
        total = self.last_delivery
        total.delivered += done.delivered
        total.digests += done.digests
        total.retrying += done.retrying
        total.failed += done.failed
        total.expired += done.expired
        total.timed_out += done.timed_out
        total.untried += done.untried  # its sink is abandoned, or another process has them: not tried again this run
        # every pass serves every shop's due alerts: one left waiting is due again at the next
        # pass, so what waits is the last pass's count, not a sum counting an alert once a pass
        total.waiting = dict(done.waiting)
