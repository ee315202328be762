"""Webhook notifications: the ids already handled, and the bodies kept for inspection.

Together they are the ``NotificationLog`` port. ``notifications`` makes an at-least-once delivery
be handled once (its primary key decides "first time?" even between processes).
``kept_notifications`` holds, byte for byte, every signed body erpsync answered 200 without handling
(not JSON, not the documented shape, a type it does not know) or whose handler failed: the
platform gives up after four retries (TikTok Shop Partner Center webhook guide: only HTTP 200 and
401 count as received; others are retried after 2 min, 30 min, 3 h and 12 h, then dropped), so
without this row such a notification would be gone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from erpsync.core.ports import KeptNotification
from erpsync.core.store.base import StoreBase
from erpsync.core.store.schema import kept_notifications, notifications

#: longer reasons are cut: a reason is a note for an operator, the body itself is kept whole
MAX_REASON_CHARS = 2000
MAX_KEY_CHARS = 255


def _kept(row: Any) -> KeptNotification:
    return KeptNotification(
        id=row.id,
        source=row.source,
        body_sha256=row.body_sha256,
        raw_body=bytes(row.raw_body),
        reason=row.reason,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        deliveries=row.deliveries,
        key=row.key,
        handled=row.handled_at is not None,
    )


class NotificationsMixin(StoreBase):
    """``NotificationLog``: handled webhook ids and kept webhook bodies."""

    def has_notification(self, notification_id: str, *, source: str) -> bool:
        """Whether a webhook notification id was recorded (handled) before; records nothing."""
        with self._read() as conn:
            row = conn.execute(
                select(notifications.c.notification_id).where(
                    notifications.c.source == source, notifications.c.notification_id == str(notification_id)
                )
            ).first()
        return row is not None

    def note_notification(self, notification_id: str, *, source: str, now: datetime) -> bool:
        """Record a webhook notification id; True the first time, False for a redelivery.

        The primary key (source, notification_id) decides, so two processes receiving the same
        delivery at once cannot both get True.
        """
        try:
            with self._write() as conn:
                conn.execute(
                    notifications.insert().values(source=source, notification_id=str(notification_id), received_at=now)
                )
        except IntegrityError:
            return False
        return True

    def keep_unparsed(
        self, source: str, raw_body: bytes, reason: str, now: datetime, *, key: str | None = None
    ) -> bool:
        """Keep a webhook body and why it was not handled; True the first time these bytes are kept.

        The same bytes again (the platform's retry) count one more delivery, take the latest
        reason and keep the first key known. The unique (source, digest) constraint decides
        between racing processes; the loser retries as an update.
        """
        body = bytes(raw_body)
        digest = hashlib.sha256(body).hexdigest()
        note = (reason or "no reason given")[:MAX_REASON_CHARS]
        key = key[:MAX_KEY_CHARS] if key else None
        where = (kept_notifications.c.source == source, kept_notifications.c.body_sha256 == digest)
        for _ in range(3):
            try:
                with self._write() as conn:
                    row = conn.execute(
                        select(kept_notifications.c.deliveries, kept_notifications.c.key).where(*where)
                    ).first()
                    if row is None:
                        conn.execute(
                            kept_notifications.insert().values(
                                source=source,
                                body_sha256=digest,
                                raw_body=body,
                                reason=note,
                                key=key,
                                deliveries=1,
                                first_seen_at=now,
                                last_seen_at=now,
                            )
                        )
                        return True
                    conn.execute(
                        kept_notifications.update()
                        .where(*where)
                        .values(reason=note, key=row.key or key, deliveries=row.deliveries + 1, last_seen_at=now)
                    )
                    return False
            except IntegrityError:
                continue  # another process inserted the same body meanwhile (PostgreSQL); count it now
        raise RuntimeError(f"could not keep webhook body sha256:{digest}: its row kept changing")

    def unparsed_notifications(
        self, *, source: str | None = None, include_handled: bool = False, limit: int = 100
    ) -> list[KeptNotification]:
        """Kept bodies, most recently seen first.

        A row whose key was handled later (a retry after a handler failure succeeded) is left
        out unless ``include_handled``: it needs no attention.
        """
        handled = and_(
            notifications.c.source == kept_notifications.c.source,
            notifications.c.notification_id == kept_notifications.c.key,
        )
        query = select(kept_notifications, notifications.c.received_at.label("handled_at")).outerjoin(
            notifications, handled
        )
        if source is not None:
            query = query.where(kept_notifications.c.source == source)
        if not include_handled:
            query = query.where(notifications.c.received_at.is_(None))
        query = query.order_by(kept_notifications.c.last_seen_at.desc(), kept_notifications.c.id.desc())
        with self._read() as conn:
            rows = conn.execute(query.limit(max(1, int(limit)))).all()
        return [_kept(row) for row in rows]
