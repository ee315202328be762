"""Schema version 8: the tables a long-running service (``erpsync run``, the webhook receiver) needs.

Registered on the same ``metadata`` as ``schema.py``'s tables (which re-exports these), so one
``create_all`` builds every table and ``upgrade.py`` creates these on an older database.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from erpsync.core.store.coltypes import UTCDateTime, metadata

#: one fencing epoch per shop: every worker that starts on a shop advances it and carries the
#: epoch it got into its ledger writes, so a worker that was paused while another took the shop
#: over finds its epoch stale and writes nothing (``store/fences.py``)
fences = Table(
    "fences",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("epoch", Integer, nullable=False),
    Column("advanced_at", UTCDateTime, nullable=False),
)

#: runs asked for (by a webhook, an operator) and not yet done. ``pending_shop`` equals ``shop``
#: until the request is taken and is NULL afterwards: the unique constraint then allows one pending
#: request per shop and aspect on both engines (NULLs never collide), so a second ask merges into it
sync_requests = Table(
    "sync_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False),
    Column("pending_shop", String(255)),
    Column("aspect", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("taken_at", UTCDateTime),
    UniqueConstraint("pending_shop", "aspect", name="uq_sync_requests_pending"),
    Index("ix_sync_requests_requested_at", "requested_at"),
)

#: shops an operator paused: the service runs no job on them until they are resumed
shop_pauses = Table(
    "shop_pauses",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("paused_at", UTCDateTime, nullable=False),
)

#: webhook deliveries being handled: a live claim (``expires_at`` ahead) keeps a concurrent
#: delivery of the same id from being handled twice; ``handled_at`` is set when the id is recorded
#: in ``notifications``, so a claim racing that record sees "handled", never a free row
notification_claims = Table(
    "notification_claims",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("notification_id", String(255), primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("handled_at", UTCDateTime),
    Index("ix_notification_claims_expires_at", "expires_at"),
)

#: facts about this database that are not rows of any other table (e.g. whether tokens are
#: stored encrypted), one string per key
meta = Table(
    "meta",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
