"""The state store's one schema, in SQLAlchemy Core, portable between SQLite and PostgreSQL.

Only portable types are used (String, Text, Integer, Boolean, JSON, LargeBinary and a UTC-aware
DateTime), so the same ``metadata`` creates the tables on either engine. The schema carries a version number
(``schema_version`` table): a change to any table below bumps ``SCHEMA_VERSION`` and comes with an
explicit upgrade (``upgrade.py``), so an old erpsync never writes into a database it does not
understand and a new one upgrades an old database in place.

Versions: 1 runs, drifts, ledger, locks, cursors, bindings, observations;
2 adds ``tokens`` and ``notifications``; 3 adds ``kept_notifications``; 4 adds the host and pid of a
lease's holder and of a run, and a run's heartbeat (so a crashed run is told from a working one);
5 adds the value an observation had before its last change and when it was last seen, a drift's
``details`` (the texts people read), and ``pickup_confirmations`` (what operators saw in Seller Center);
6 adds the ``alert_outbox`` and, on drifts, when each was last alerted and whether an operator acked it;
7 adds ``package_cache`` (what a seller connector read of each package, so unchanged ones are not read again);
8 adds what a long-running service needs (``schema_service.py``): ``fences`` (a fencing epoch per shop),
``sync_requests`` (runs asked for by webhooks), ``shop_pauses``, ``notification_claims`` (a webhook
delivery being handled) and ``meta`` (facts about the database itself);
9 adds ``tracked_packages`` (what the tracking read read of each shipment's package, so a package
long shipped is not read again every run, whatever the pickup read's lookback);
10 adds ``tracked_packages.orders_shipped`` (a PROCESSING package whose orders said it shipped, so
a package waiting for the carrier is not read again every run until collected);
11 adds ``shipping_type`` to ``package_cache`` and ``tracked_packages`` (who ships the package,
TIKTOK or SELLER, so a state answered from a row still says whether the platform ships it);
12 adds ``tracked_packages.wanted_at`` (when the tracking read last wanted the package: a row whose
shipment the ERP no longer lists is pruned);
13 adds an index on ``alert_outbox.drift_id`` (a drift that resolves reads the severities it was
alerted at inside its write transaction, which without it scans every alert kept);
14 adds ``delivery_option_id`` to ``package_cache`` and ``tracked_packages`` (the delivery option
the package's detail gave, so a carrier name two options share still resolves for a package
answered from a row, the tracking read's or the pickup read's).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from erpsync.core.store.coltypes import UTCDateTime as UTCDateTime
from erpsync.core.store.coltypes import metadata as metadata
from erpsync.core.store.schema_service import fences as fences
from erpsync.core.store.schema_service import meta as meta
from erpsync.core.store.schema_service import notification_claims as notification_claims
from erpsync.core.store.schema_service import shop_pauses as shop_pauses
from erpsync.core.store.schema_service import sync_requests as sync_requests

#: bump with every change to the tables (here and in ``schema_service.py``), with an upgrade step
SCHEMA_VERSION = 14


schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("installed_at", UTCDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("apply", Boolean, nullable=False),
    Column("shops", JSON, nullable=False),
    Column("status", String(32), nullable=False),
    Column("summary", JSON),
    # version 4: where the run works and when it last showed it was alive (see leases below)
    Column("host", String(255)),
    Column("pid", Integer),
    Column("heartbeat_at", UTCDateTime),
    Index("ix_runs_started_at", "started_at"),
)

drifts = Table(
    "drifts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # one occurrence of a drift
    Column("fingerprint", String(64), nullable=False),
    # equal to fingerprint while open, NULL once resolved: the unique constraint then allows at most
    # one open row per fingerprint on every engine (NULLs never collide), without partial indexes
    Column("open_fingerprint", String(64)),
    Column("shop", String(255), nullable=False),
    Column("aspect", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("field", String(255)),
    Column("seller_value", Text),
    Column("erp_value", Text),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("opened_run", String(64)),
    Column("resolved_run", String(64)),
    # version 5: the drift's identity and its texts for people (summary, why, steps) in every
    # language, as JSON text (``drifts.py``); NULL on rows an older erpsync wrote
    Column("details", Text),
    # version 6: when the last alert (opened or reminder) about this occurrence was written, so
    # reminders count from it; and an operator's acknowledgement (``erpsync drifts ack``): set
    # ``acked_at`` with ``acked_until`` NULL silences reminders until the drift resolves
    Column("last_alerted_at", UTCDateTime),
    Column("acked_at", UTCDateTime),
    Column("acked_until", UTCDateTime),
    UniqueConstraint("open_fingerprint", name="uq_drifts_open_fingerprint"),
    Index("ix_drifts_scope", "shop", "aspect", "open_fingerprint"),
    Index("ix_drifts_fingerprint", "fingerprint"),
)

ledger = Table(
    "ledger",
    metadata,
    Column("key", String(128), primary_key=True),  # the action's idempotency key
    Column("shop", String(255), nullable=False),
    Column("aspect", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("target", String(32), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # pending / done / failed
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("detail", Text),
    Column("run_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_ledger_shop_status", "shop", "status"),
)

locks = Table(
    "locks",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    # grows by one whenever a different owner takes the lease: a fencing token for writers that
    # may have been paused past their expiry (Kleppmann's "sync epoch")
    Column("fence", Integer, nullable=False),
    # version 4: the holder's host and process, so a holder that is provably gone (same host, no
    # such process) is taken over at once instead of blocking its shop until the lease expires
    Column("host", String(255)),
    Column("pid", Integer),
)

cursors = Table(
    "cursors",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("position", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

bindings = Table(
    "bindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("erp_id", String(255), nullable=False),
    Column("seller_id", String(255)),
    Column("last_pushed_hash", String(128)),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop", "entity", "erp_id", name="uq_bindings_erp"),
    Index("ix_bindings_seller", "shop", "entity", "seller_id"),
)

observations = Table(
    "observations",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(128), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("changed_at", UTCDateTime),
    Column("last_seen_at", UTCDateTime, nullable=False),
    # version 5: the value before the last change and the last time it was seen, so the change is
    # dated between previous_seen_at and changed_at (Seller Center does not date its saves)
    Column("previous_fingerprint", String(128)),
    Column("previous_seen_at", UTCDateTime),
)

# -- version 2 -------------------------------------------------------------------------------------

#: one row per shop (the configured shop name). Tokens are Fernet-encrypted (``fernet:...``) when a key
#: is set, else plain text (``tokens.py``), so the state database must be readable by its operator only.
tokens = Table(
    "tokens",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("access_token_expires_at", UTCDateTime, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("refresh_token_expires_at", UTCDateTime, nullable=False),
    Column("open_id", String(255), nullable=False),
    Column("seller_name", String(255), nullable=False),
    Column("seller_base_region", String(16), nullable=False),
    Column("granted_scopes", JSON, nullable=False),
    Column("last_refresh_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: webhook notification ids already handled; the primary key makes "first time?" race-safe
notifications = Table(
    "notifications",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("notification_id", String(255), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_notifications_received_at", "received_at"),
)

# -- version 3 -------------------------------------------------------------------------------------

#: signed webhook bodies erpsync could not parse, does not know the type of, or failed to handle,
#: kept byte for byte (the signature covers the exact bytes) until an operator looks at them. One
#: row per distinct body: a redelivery of the same bytes counts ``deliveries`` up instead of piling
#: up rows. ``key`` is the dedupe key when known, so a later successful delivery marks it handled.
kept_notifications = Table(
    "kept_notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("raw_body", LargeBinary, nullable=False),
    Column("reason", Text, nullable=False),
    Column("key", String(255)),
    Column("deliveries", Integer, nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "body_sha256", name="uq_kept_notifications_body"),
    Index("ix_kept_notifications_last_seen_at", "last_seen_at"),
)

# -- version 5 -------------------------------------------------------------------------------------

#: what an operator saw in Seller Center for one warehouse (``erpsync pickup confirm``): the Open API
#: reads neither the subscription nor its review, so this is evidence of its own, valid until
#: ``expires_at``. One row per warehouse: a new confirmation replaces the old one.
pickup_confirmations = Table(
    "pickup_confirmations",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("warehouse_id", String(255), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False),
    Column("confirmed_by", String(255)),
    Index("ix_pickup_confirmations_expires_at", "expires_at"),
)

# -- version 6 -------------------------------------------------------------------------------------

#: alerts waiting for (or done with) delivery, one row per alert per sink. Written in the transaction
#: that records the drift change causing it, so an alert exists exactly when its change does; sent
#: afterwards, outside any transaction (``erpsync/alert_delivery.py``). ``id`` is stable (derived from
#: the sink, the drift occurrence and the event), so writing the same alert twice is a no-op and a
#: receiver that deduplicates (Standard Webhooks ``webhook-id``) sees one id however often it is sent.
alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("sink", String(255), nullable=False),
    Column("event", JSON, nullable=False),  # AlertEvent.as_dict in the sink's language, already redacted
    Column("status", String(16), nullable=False),  # pending / delivered / failed / expired
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("last_error", Text),
    Column("answer", Text),
    Column("drift_id", Integer),  # the occurrence that caused it (NULL: token trouble); orders a batch
    Index("ix_alert_outbox_due", "status", "sink", "next_attempt_at"),
    Index("ix_alert_outbox_created_at", "created_at"),
    # version 13: a resolving drift's alerts, read inside ``drifts.record``'s write transaction
    # (``outbox.alerted_severity``), found without scanning every alert kept
    Index("ix_alert_outbox_drift_id", "drift_id"),
)

# -- version 7 -------------------------------------------------------------------------------------


#: what a seller connector read of each package of a shop (``store/packages.py``): the pickup signal
#: and the platform's ``update_time`` it was read at. A package whose ``update_time`` has not moved is
#: taken from here instead of being read again. How far the rows are complete is the shop's
#: ``packages`` row in ``cursors``.
def _packages_table(name: str, *extra: Column[bool], after: tuple[Column[Any], ...] = ()) -> Table:
    # ``extra`` comes before ``shipping_type`` and ``after`` after it, so the columns keep the order
    # upgrades give them
    return Table(
        name,
        metadata,
        Column("shop", String(255), primary_key=True),
        Column("package_id", String(255), primary_key=True),
        Column("warehouse_id", String(255)),  # NULL: no order of the package named a warehouse
        Column("handover_method", String(16)),
        Column("tracking_number", String(255)),
        Column("status", String(32)),
        Column("created_at", UTCDateTime, nullable=False),
        Column("update_time", UTCDateTime, nullable=False),
        *extra,
        # version 11: the package detail's shipping_type (TIKTOK: the platform ships it; SELLER);
        # NULL, as in rows written before: not known
        Column("shipping_type", String(16)),
        *after,
        Index(f"ix_{name}_created_at", "shop", "created_at"),
    )


#: version 14: the delivery option the package's detail gave (see ``tracked_packages``): the
#: tracking read answers a package of the pickup lookback from here, and a carrier name two options
#: share resolves by it; NULL, as in rows written before: not known
package_cache = _packages_table("package_cache", after=(Column("delivery_option_id", String(255)),))

# -- version 9 -------------------------------------------------------------------------------------

#: the same for the tracking read (``store/packages.py``, ``TrackedPackages``): the packages of the
#: ERP's shipments it read whose status settles their shipping state, whatever their age. Kept
#: apart from ``package_cache``, whose rows the pickup read holds complete for its lookback and
#: drops beyond it; how far these are checked is the shop's ``tracked_packages`` row in ``cursors``.
tracked_packages = _packages_table(
    "tracked_packages",
    # version 10: the package's orders said it shipped when it was read (a PROCESSING package,
    # waiting for the carrier); NULL, as in rows written before: not known, read as not shipped
    Column("orders_shipped", Boolean),
    # version 12: when the tracking read last wanted the package (its shipment was in the ERP's
    # list), moved at most once a day; NULL, as in rows written before and rows not wanted since
    # they were written: not known, and ``created_at`` stands in for it when pruning
    # version 14: the delivery option the package's detail gave: it settles which provider a
    # carrier name means when two options offer one of that name; NULL, as in rows written before:
    # not known
    after=(Column("wanted_at", UTCDateTime), Column("delivery_option_id", String(255))),
)
