"""Delivering the alert outbox: per sink, with a timeout, retries with backoff, digests, expiry.

Alerts are written to the outbox in the transaction that records their drift change
(``alert_outbox.py``); this module sends the due ones afterwards, never inside a database
transaction and never while a shop's lease is held, so a channel that is slow or down costs
the run at most one ``timeout_seconds`` per sink and never loses an alert:

- each ``send`` runs in a worker thread joined with the sink's timeout. A sink that does not
  answer in time is abandoned for the rest of the run (its thread is left to finish on its own;
  the alert stays pending and is tried again next run) and the other sinks are served;
- ``TemporaryError`` (rate limited, 5xx, timeouts) and unexpected errors (a file that cannot be
  written) keep the alert pending until a later attempt: exponential backoff from a minute up to
  six hours, or the channel's ``retry_after`` (``alert_retry.py``); the sink's other alerts due
  in that pass wait as long, unsent, and a drift's later alerts wait for its earlier one
  (``Outbox.due``), so they arrive in order.
  ``PermanentError`` marks it failed for good;
- a sink with a ``rate_limit`` that has more alerts due than the limit lets through gets them
  all as one ``send_digest``: one message instead of dropping some or blocking (``alert_rates.py``
  counts the messages and orders the sinks that share a channel). A sink keeping the default
  ``send_digest``, which sends each alert, gets as many as the limit lets through, one message
  each, and the rest wait for a later pass;
- alerts undelivered after ``max_age`` expire, and are logged and returned to be reported
  (``alert_report.py``: what a pass did, and the lines that say it).

A pass first takes the due alerts it will send (``alert_hold.py``: ``Outbox.claim``, confirmed
in the store before every send and renewed as the pass goes on), so two processes delivering at
once (the service's drain beside a CLI run) never send the same alert twice. Delivery is at
least once: an alert whose send timed out may have arrived, and the alerts of a process that
died mid-pass are due again once its hold runs out, one send's timeout and a minute after its
last renewal at most; the stable ``id`` lets a channel that deduplicates show an alert sent
twice once. Holds, retry times and when a channel
took an alert are read from the wall clock, which every process compares them with: a monotonic
clock stands still while the machine is suspended.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from erpsync.alert_hold import SinkHold
from erpsync.alert_outbox import ConfiguredSink
from erpsync.alert_rates import one_message_digest, room, serving_order
from erpsync.alert_report import DeliveryReport
from erpsync.alert_retry import DEFAULT_MAX_AGE, retry_time
from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.core.store import OutboxRow, Store
from erpsync.plugins.alerts.base import AlertEvent

logger = logging.getLogger("erpsync.alerts.delivery")

#: the channel's answer is kept short: it is for operators, not a log of the channel
ANSWER_CHARS = 500


def wall_clock() -> datetime:
    """Now, by the wall clock: what other processes compare an alert's hold and retry time with."""
    return datetime.now(UTC)


class Deliverer:
    """Delivers the outbox to ``sinks``; one per run, so a sink that hung stays skipped for that run.

    ``clock`` is the wall clock (a test passes its own): the hold on a pass's alerts (``SinkHold``),
    when a refused alert is tried again and when the channel took one are read from it as the
    pass goes on. ``deliver``'s ``now`` is a reading of it when the pass starts.
    """

    def __init__(
        self,
        store: Store,
        sinks: Sequence[ConfiguredSink],
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        redact: Callable[[str], str] = lambda text: text,
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.store = store
        self.sinks = list(sinks)
        self.max_age = max_age
        self.redact = redact
        self.abandoned: set[str] = set()
        self.clock = clock
        self._hold: SinkHold | None = None  # the alerts the pass took for the sink it serves
        #: when the last alert the channel refused for now is tried again (the rest wait as long)
        self._retry_at: datetime | None = None
        self._last_taken: datetime | None = None  # when a channel took this deliverer's last message

    def deliver(self, now: datetime) -> DeliveryReport:
        """Expire what is too old, then send every due alert, sink by sink."""
        report = DeliveryReport()
        report.expired = self.store.outbox.expire(now=now, older_than=self.max_age)
        for row in report.expired:
            logger.warning(
                "alert %s for sink %s expired undelivered after %s (%s): %s",
                row.id,
                row.sink,
                self.max_age,
                row.last_error or "never tried",
                row.event.get("message", ""),
            )
        due = {t.name: self.store.outbox.due(now=now, sink=t.name) for t in self.sinks if t.name not in self.abandoned}
        for target in serving_order(self.sinks, due):
            rows = due.get(target.name)
            if rows and target.name not in self.abandoned:
                self._serve(target, rows, now, report)
        return report

    # -- one sink ---------------------------------------------------------------------------

    def _serve(self, target: ConfiguredSink, rows: list[OutboxRow], now: datetime, report: DeliveryReport) -> None:
        """Take the sink's due rows for this pass (``SinkHold``: another process's pass then
        leaves them alone), send them, and give back those not tried."""
        hold = self._hold = SinkHold(self.store.outbox, timeout_seconds=target.settings.timeout_seconds, now=self.clock)
        taken = hold.take([r.id for r in rows], due_at=now)
        try:
            self._send_rows(target, [r for r in rows if r.id in taken], now, report)
        finally:
            hold.give_back(now)

    def _send_rows(self, target: ConfiguredSink, rows: list[OutboxRow], now: datetime, report: DeliveryReport) -> None:
        events: list[tuple[OutboxRow, AlertEvent]] = []
        for row in rows:
            try:
                events.append((row, AlertEvent.from_dict(dict(row.event))))
            except (KeyError, TypeError, ValueError) as exc:  # written by a different erpsync: cannot be sent
                self.store.outbox.mark_failed(row.id, now=now, error=f"unreadable event: {exc}", retry_at=None)
                report.failed += 1
        # one alert too: the minute may be used up already
        messages = room(self.store.outbox, target, self.sinks, self._limits_at()) if events else None
        if messages is not None and len(events) > messages:
            if messages < 1:  # the limit is used up: a digest now would be refused too
                _wait(target.name, len(events), report)
                return
            if not one_message_digest(target):  # its digest would be a message per alert: send what fits
                self._send_each(target, events, now, report, room=messages)
                return
            batch = [e for _row, e in events]
            delivered = report.delivered
            self._attempt(
                target, [r for r, _e in events], functools.partial(target.sink.send_digest, batch), now, report
            )
            if report.delivered > delivered:  # not one refused, timed out or no longer this pass's
                report.digests += 1
            return
        self._send_each(target, events, now, report, room=None)

    def _send_each(
        self,
        target: ConfiguredSink,
        events: list[tuple[OutboxRow, AlertEvent]],
        now: datetime,
        report: DeliveryReport,
        *,
        room: int | None,
    ) -> None:
        """Send ``events`` one message each, in order, the first ``room`` of them (None: all); the
        rest wait for a later pass (given back untried), each sent alert one of the limit's messages."""
        for n, (row, event) in enumerate(events):
            if n == room:
                _wait(target.name, len(events) - n, report)
                return
            retrying = report.retrying
            if not self._attempt(target, [row], functools.partial(target.sink.send, event), now, report):
                report.untried += len(events) - n - 1  # timed out (abandoned this run), or taken by another
                return
            if report.retrying > retrying:
                # a failure the channel may recover from (rate limited, busy, down) is the channel's:
                # the rest wait as long as the refused one, in order, rather than hit it again
                rest = [r.id for r, _e in events[n + 1 :]]
                self.store.outbox.defer(rest, until=self._retry_at or now)
                self._held().tried(rest)  # dealt with: not given back as untried
                report.retrying += len(rest)
                return

    def _attempt(
        self,
        target: ConfiguredSink,
        rows: list[OutboxRow],
        send: Callable[[], str | None],
        now: datetime,
        report: DeliveryReport,
    ) -> bool:
        """One call to the sink for ``rows``; its outcome recorded on each. False: it timed out, or
        the rows are no longer this pass's (it was stopped past its hold, and another took them)."""
        hold = self._held()
        if not hold.keep(r.id for r in rows):
            logger.warning(
                "alert sink %s: this pass was held up past its hold on the alerts and another took them; "
                "it sends no more of them",
                target.name,
            )
            report.untried += len(rows)
            return False
        hold.tried(r.id for r in rows)
        finished, answer, error = _call_with_timeout(send, target.settings.timeout_seconds, target.name)
        if not finished:
            self.abandoned.add(target.name)
            report.timed_out.append(target.name)
            message = f"no answer within {target.settings.timeout_seconds:g} s"
            logger.warning("alert sink %s: %s; skipped for the rest of this run", target.name, message)
            for row in rows:  # due again at once: the next run tries it first
                self.store.outbox.mark_failed(row.id, now=now, error=message, retry_at=now)
            report.retrying += len(rows)
            return False
        if error is None:
            shown = None if answer is None else self.redact(str(answer))[:ANSWER_CHARS]
            self.store.outbox.mark_all_delivered([r.id for r in rows], now=self._taken_at(), answer=shown)
            report.delivered += len(rows)
            return True
        message = self.redact(f"{type(error).__name__}: {error}")
        if isinstance(error, PermanentError):
            logger.warning("alert sink %s refused %d alert(s) for good: %s", target.name, len(rows), message)
            for row in rows:
                self.store.outbox.mark_failed(row.id, now=now, error=message, retry_at=None)
            report.failed += len(rows)
            return True
        after = error.retry_after if isinstance(error, TemporaryError) else None
        logger.warning("alert sink %s failed: %s; retried later", target.name, self.redact(str(error)))
        refused_at = self.clock()
        for row in rows:
            self._retry_at = retry_time(row, after, refused_at=refused_at, max_age=self.max_age)
            self.store.outbox.mark_failed(row.id, now=now, error=message, retry_at=self._retry_at)
        report.retrying += len(rows)
        return True

    def _taken_at(self) -> datetime:
        """When the channel took a message, which its rate limits count from: the wall clock, and
        after this deliverer's message before (by a microsecond if the clock has not moved), so
        each message has a ``delivered_at`` of its own (``Outbox.messages_since``)."""
        at = self.clock()
        if self._last_taken is not None and at <= self._last_taken:
            at = self._last_taken + timedelta(microseconds=1)
        self._last_taken = at
        return at

    def _limits_at(self) -> datetime:
        """When rate limits are counted up to: the wall clock, or this deliverer's last message
        if later (``_taken_at`` dates messages a microsecond apart when the clock has not moved,
        and the messages it sent are all past)."""
        at = self.clock()
        return at if self._last_taken is None else max(at, self._last_taken)

    def _held(self) -> SinkHold:
        """The hold of the sink being served (set by ``_serve``)."""
        if self._hold is None:
            raise RuntimeError("no sink is being served")
        return self._hold


def _wait(sink: str, count: int, report: DeliveryReport) -> None:
    """``count`` due alerts of ``sink`` left for a later pass: its channel's rate limit has no room."""
    logger.info("alert sink %s is at its rate limit: %d alert(s) wait", sink, count)
    report.waiting[sink] = report.waiting.get(sink, 0) + count


def _call_with_timeout(send: Callable[[], Any], timeout: float, name: str) -> tuple[bool, Any, Exception | None]:
    """Run ``send`` in a daemon thread for at most ``timeout`` seconds: (finished, answer, error).

    A thread cannot be killed: one that does not finish is left behind (daemon, so it never
    keeps the process alive) and its outcome is ignored.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["answer"] = send()
        except Exception as exc:  # any failure of a sink is the sink's, reported, never the run's
            box["error"] = exc

    thread = threading.Thread(target=work, name=f"alert-sink-{name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return False, None, None
    return True, box.get("answer"), box.get("error")


def deliver_pending(
    store: Store,
    sinks: Sequence[ConfiguredSink],
    now: datetime,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    redact: Callable[[str], str] = lambda text: text,
    clock: Callable[[], datetime] = wall_clock,
) -> DeliveryReport:
    """Deliver what is due outside a reconcile run (``erpsync alerts deliver``, a scheduler);
    ``now`` is a reading of ``clock``."""
    return Deliverer(store, sinks, max_age=max_age, redact=redact, clock=clock).deliver(now)
