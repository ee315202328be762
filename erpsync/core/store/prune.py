"""Pruning: what old state may be deleted, after how long, and what never is.

Defaults, each longer than the window in which erpsync still needs the rows:

- runs, settled ledger entries, resolved drifts: 90 days. A ledger entry is read again only by a
  rerun after a crash (minutes to a day later) or, for a write that must happen once, while its
  drift is open; a resolved drift is history an operator may want for a quarter's review.
- handled webhook notification ids (and the kept bodies they cured): 30 days. The platform
  retries a delivery after 2 min, 30 min, 3 h and 12 h, then drops it (TikTok Shop Partner
  Center webhook guide), so an id is never redelivered by that schedule after about 16 hours;
  30 days also covers a redelivery an operator triggers by hand, which is a guess. Whatever the
  caller asks, ids younger than ``MIN_NOTIFICATION_AGE`` or than the caller's ``replay_window``
  (how long the receiver still accepts a delivered body: its timestamp window plus the skew it
  allows ahead of its clock) stay: an id pruned sooner would let a replayed body be handled twice.
- webhook bodies kept and never handled (not parsed, a shop_id no configured shop carries, a
  handler that failed on every retry): 30 days after their last delivery. Each is the raw body,
  buyer data included, kept for an operator to read (``erpsync webhooks kept``); a month is a
  guess at how long one takes to look, and a body delivered again is kept again.
- alerts delivered, failed for good or expired: 30 days. Nothing reads them again; they answer
  "was this alert sent, and what did the channel say" for about a month.
- pickup confirmations an operator recorded: 90 days after they expired. An expired one is no
  longer evidence, but it explains what runs of that time reported, as long as they are kept.
- sync requests, pending or taken: 7 days after they were asked for. A running ``erpsync run``
  takes a request within seconds and takes one again an hour after a taker that never answered
  it (``sync_requests.TAKEN_TIMEOUT``); one a week old asks for a shop or aspect no process runs
  any more, or was left in a store no scheduler serves, and every run of its shop since has
  covered what it asked for.
- the tracking read's package rows (``tracked_packages``): 30 days after a run last wanted them
  (never marked: 30 days after the package was created). A row is kept whatever the package's
  age while the ERP lists its shipment, since it spares a detail read every run; one no run
  wanted for a month is of a shipment the ERP stopped listing, and if it comes back, its package
  is read once. Whatever the caller asks, rows wanted within ``MIN_TRACKED_AGE`` stay: a run
  marks a row at most once a day (``packages.WANTED_EVERY``).

Never pruned, whatever their age: open drifts, ``pending`` ledger entries (a write that may have
happened), ledger entries of a drift still open (one of the occurrences the entry names, or an
open drift with the entry's subject), a run that still owns a lease, leases,
``package_cache`` (the pickup read drops what leaves its lookback itself),
observations, cursors, bindings, tokens, pickup confirmations still valid, alerts still pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from erpsync.core.store.confirmations import Confirmations
from erpsync.core.store.drifts import Drifts
from erpsync.core.store.ledger import Ledger
from erpsync.core.store.notifications import Notifications
from erpsync.core.store.outbox import Outbox
from erpsync.core.store.packages import TrackedPackages
from erpsync.core.store.runs import Runs
from erpsync.core.store.sync_requests import SyncRequests

#: the platform's retry schedule (2 min + 30 min + 3 h + 12 h) rounded up to a day
MIN_NOTIFICATION_AGE = timedelta(days=1)
#: a week: a shop whose tracking runs at least weekly keeps its rows, whatever ``--older-than`` says
MIN_TRACKED_AGE = timedelta(days=7)


@dataclass(frozen=True)
class Retention:
    """How old each kind of row must be before it is pruned."""

    runs: timedelta = timedelta(days=90)
    ledger: timedelta = timedelta(days=90)
    drifts: timedelta = timedelta(days=90)
    notifications: timedelta = timedelta(days=30)
    confirmations: timedelta = timedelta(days=90)  # counted from the expiry, not the confirmation
    alerts: timedelta = timedelta(days=30)  # delivered, failed or expired; counted from their creation
    sync_requests: timedelta = timedelta(days=7)  # pending or taken; counted from the ask
    tracked_packages: timedelta = timedelta(days=30)  # counted from when a run last wanted the row
    kept_notifications: timedelta = timedelta(days=30)  # bodies never handled; counted from the last delivery

    @classmethod
    def uniform(cls, age: timedelta) -> Retention:
        """The same age for everything (``erpsync prune --older-than DAYS``)."""
        return cls(
            runs=age, ledger=age, drifts=age, notifications=age, confirmations=age, alerts=age, sync_requests=age,
            tracked_packages=age, kept_notifications=age,
        )  # fmt: skip


def prune(
    runs: Runs,
    drifts: Drifts,
    ledger: Ledger,
    notifications: Notifications,
    confirmations: Confirmations,
    outbox: Outbox,
    sync_requests: SyncRequests,
    tracked: TrackedPackages,
    retention: Retention,
    *,
    now: datetime,
    dry_run: bool = False,
    replay_window: timedelta = timedelta(0),
) -> dict[str, int]:
    """Delete (or, with ``dry_run``, count) what ``retention`` allows; rows per table, in order.

    Each table is one transaction. Drifts go before the ledger: a ledger entry is kept while its
    drift is open, and resolved drifts do not hold it. ``replay_window`` is how long the webhook
    receiver still accepts a delivered body: handled ids are kept at least that long.
    """
    removed: dict[str, int] = {}
    removed["runs"] = runs.prune(before=now - retention.runs, dry_run=dry_run)
    removed["drifts (resolved)"] = drifts.prune(before=now - retention.drifts, dry_run=dry_run)
    removed["ledger (done or failed)"] = ledger.prune(before=now - retention.ledger, dry_run=dry_run)
    min_age = max(MIN_NOTIFICATION_AGE, replay_window)
    ids, bodies = notifications.prune(before=now - max(retention.notifications, min_age), dry_run=dry_run)
    removed["notification ids"] = ids
    removed["kept webhook bodies (handled)"] = bodies
    before = now - retention.kept_notifications
    removed["kept webhook bodies (never handled)"] = notifications.prune_kept(before=before, dry_run=dry_run)
    before = now - max(retention.confirmations, timedelta(0))  # never one still valid
    removed["pickup confirmations (expired)"] = confirmations.prune(before=before, dry_run=dry_run)
    removed["alerts (delivered, failed or expired)"] = outbox.prune(before=now - retention.alerts, dry_run=dry_run)
    removed["sync requests (unanswered)"] = sync_requests.prune(before=now - retention.sync_requests, dry_run=dry_run)
    before = now - max(retention.tracked_packages, MIN_TRACKED_AGE)
    removed["tracked packages (not wanted)"] = tracked.prune(before=before, dry_run=dry_run)
    return removed
