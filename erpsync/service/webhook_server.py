"""``erpsync webhooks serve``: the webhook receiver on waitress, a production WSGI server.

Why waitress: pure Python (no compiler on a seller's small machine), threads, and it enforces what
the receiver needs before the app sees a byte:

- ``max_request_body_size``: a body over ``[service.webhooks] max_body_bytes`` is answered 413,
  whether announced by Content-Length or sent chunked without one (waitress counts the chunks);
- ``channel_timeout``: a connection idle that long, e.g. a client that stopped mid-body, is
  closed (checked every ``cleanup_interval``), so slow or hostile clients cannot pin it down;
  the platform wants an answer within 3 s, so a few seconds of silence is already a dead client;
- ``threads``: deliveries handled side by side; each only writes a few rows, so a handful do.

Notification ids are pruned here, hourly, once older than the longest time a delivery with that id
could still be accepted: the timestamp window (plus the clock skew allowed) and never less than
the platform's retry horizon (2 min + 30 min + 3 h + 12 h after the first push, TikTok Shop Partner
Center, "Webhook configuration overview"). An id pruned earlier would let a late retry be handled
twice; one kept longer only takes space. ``erpsync prune`` prunes them too, at its own retention.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from erpsync.connectors.tiktok.webhooks.receiver import FUTURE_SKEW_SECONDS, WebhookReceiver, make_wsgi_app
from erpsync.core.errors import ConfigError
from erpsync.service.jobs import JobContext
from erpsync.service.listen import serve_on
from erpsync.service.webhook_actions import Trigger, WebhookActions, celery_trigger, scheduler_trigger

__all__ = ["RETRY_HORIZON", "WebhookServer"]

logger = logging.getLogger(__name__)

#: the platform's retries end 2 min + 30 min + 3 h + 12 h after the first push; rounded up
RETRY_HORIZON = timedelta(hours=16)
CHANNEL_TIMEOUT_SECONDS = 10
CLEANUP_INTERVAL_SECONDS = 2
THREADS = 8
PRUNE_EVERY_SECONDS = 3600.0


class WebhookServer:
    """The receiver app on a waitress server bound at construction; ``run`` or ``start``, then ``close``."""

    def __init__(
        self,
        ctx: JobContext,
        *,
        listen: str | None = None,
        threads: int = THREADS,
        channel_timeout: int = CHANNEL_TIMEOUT_SECONDS,
        cleanup_interval: int = CLEANUP_INTERVAL_SECONDS,
        prune_every: float = PRUNE_EVERY_SECONDS,
        trigger: Trigger | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        hooks = ctx.settings.service.webhooks
        if not hooks.app_key or not hooks.app_secret:
            raise ConfigError(
                "the webhook receiver needs the app's key and secret: set app_key and app_secret in "
                "[service.webhooks] (the shops' TikTok seller options do not share one app)",
                key="service.webhooks",
            )
        self.ctx = ctx
        self.clock = clock
        self.prune_every = prune_every
        self.receiver = WebhookReceiver(
            hooks.app_key,
            hooks.app_secret,
            ctx.store.notifications,
            clock=clock,
            max_body_bytes=hooks.max_body_bytes,
            timestamp_window_seconds=hooks.timestamp_window_seconds,
        )
        if trigger is None:
            trigger = celery_trigger(ctx.settings) if hooks.trigger == "celery" else scheduler_trigger(ctx.store, clock)
        self.actions = WebhookActions(ctx.settings, ctx.store, ctx.sinks(), trigger, clock=clock)
        self._server: Any = serve_on(
            make_wsgi_app(self.receiver, self.actions),
            listen or hooks.listen,
            threads=threads,
            # waitress refuses a body of this size or more: one byte over the limit is the first refused
            max_request_body_size=hooks.max_body_bytes + 1,
            channel_timeout=channel_timeout,
            cleanup_interval=cleanup_interval,
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port): the port is the real one when ``listen`` asked for port 0."""
        return str(self._server.effective_host), int(self._server.effective_port)

    def retention(self) -> timedelta:
        """How long a handled notification id is kept (see the module docstring)."""
        window = timedelta(seconds=self.ctx.settings.service.webhooks.timestamp_window_seconds + FUTURE_SKEW_SECONDS)
        return max(window, RETRY_HORIZON)

    def prune(self) -> tuple[int, int]:
        """Delete the ids (and the kept bodies they cured) older than :meth:`retention`."""
        ids, bodies = self.ctx.store.notifications.prune(before=self.clock() - self.retention())
        if ids or bodies:
            logger.info("pruned %d webhook notification id(s) and %d kept body(ies)", ids, bodies)
        return ids, bodies

    def _prune_loop(self) -> None:
        while not self._stop.wait(self.prune_every):
            try:
                self.prune()
            except Exception:  # the next round tries again; the server keeps serving
                logger.exception("pruning webhook notification ids failed")

    def run(self) -> None:
        """Serve until :meth:`close` (or SIGTERM/SIGINT raised as SystemExit/KeyboardInterrupt)."""
        pruner = threading.Thread(target=self._prune_loop, name="erpsync-webhook-prune", daemon=True)
        pruner.start()
        self._threads.append(pruner)
        host, port = self.address
        logger.info("receiving TikTok webhooks on http://%s:%d/", host, port)
        try:
            self._server.run()
        finally:
            self._stop.set()

    def start(self) -> None:
        """Serve on a background thread (tests, embedding)."""
        thread = threading.Thread(target=self.run, name="erpsync-webhook-server", daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        """Stop accepting, let running deliveries finish (waitress waits up to 5 s), close sockets.

        The sockets are closed on the server's own loop thread (through its trigger) when it runs:
        closing them from another thread would race the loop's poll.
        """
        from waitress import wasyncore  # type: ignore[import-untyped]

        self._stop.set()
        server = self._server

        def stop_loop() -> None:
            wasyncore.close_all(server._map)

        if any(t.name == "erpsync-webhook-server" and t.is_alive() for t in self._threads):
            # OSError: its trigger is closed already, so the loop closed its sockets and is ending
            with contextlib.suppress(OSError):
                server.trigger.pull_trigger(stop_loop)
        else:
            stop_loop()
        for thread in self._threads:
            thread.join(timeout=10)
        server.task_dispatcher.shutdown()
