"""Webhook notifications: the ids already handled, and the bodies kept for inspection.

Together they are the ``NotificationLog`` port. ``notifications`` makes an at-least-once delivery
be handled once (its primary key decides "first time?" even between processes).
``kept_notifications`` holds, byte for byte, every signed body erpsync answered 200 without handling
(not JSON, not the documented shape, a type it does not know) or whose handler failed: the
platform gives up after four retries (TikTok Shop Partner Center webhook guide: only HTTP 200 and
401 count as received; others are retried after 2 min, 30 min, 3 h and 12 h, then dropped), so
without this row such a notification would be gone.

Pruning deletes handled ids and, with them, the kept bodies they cured: a kept body is "handled"
because its key is among the ids, so the two must go together or the body would ask for
attention again. Bodies never handled wait for an operator (``erpsync webhooks kept`` lists and
deletes them) and are pruned on their own, much later (``prune_kept``): each holds a raw body with
buyer data, and an app authorised by shops no configured shop carries sends them without end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, select

from erpsync.core.ports import KeptNotification
from erpsync.core.store.base import Repository
from erpsync.core.store.rows import RowMapper
from erpsync.core.store.schema import kept_notifications, notification_claims, notifications
from erpsync.core.store.upserts import insert

#: longer reasons are cut: a reason is a note for an operator, the body itself is kept whole
MAX_REASON_CHARS = 2000
MAX_KEY_CHARS = 255


_kept = RowMapper(
    KeptNotification,
    kept_notifications,
    raw_body=lambda r: bytes(r["raw_body"]),
    handled=lambda r: r["handled_at"] is not None,
)

ClaimResult = Literal["claimed", "handled", "busy"]

#: the id row that says a kept body was handled later
_HANDLED = and_(
    notifications.c.source == kept_notifications.c.source,
    notifications.c.notification_id == kept_notifications.c.key,
)


def _claim_of(notification_id: str, source: str) -> ColumnElement[bool]:
    return and_(notification_claims.c.source == source, notification_claims.c.notification_id == str(notification_id))


class Notifications(Repository):
    """``store.notifications``, the ``NotificationLog``: ``has``/``record`` ids, ``claim``/``release``
    deliveries, ``keep``/``list_kept``/``get_kept``/``delete_kept`` bodies, ``prune``/``prune_kept`` old rows."""

    def has(self, notification_id: str, *, source: str) -> bool:
        """Whether a webhook notification id was recorded (handled) before; records nothing."""
        with self._read() as conn:
            row = conn.execute(
                select(notifications.c.notification_id).where(
                    notifications.c.source == source, notifications.c.notification_id == str(notification_id)
                )
            ).first()
        return row is not None

    def record(self, notification_id: str, *, source: str, now: datetime) -> bool:
        """Record a webhook notification id; True the first time, False for a redelivery.

        The primary key (source, notification_id) decides (``ON CONFLICT DO NOTHING``), so two
        processes receiving the same delivery at once cannot both get True.
        """
        with self._write() as conn:
            inserted = conn.execute(
                insert(conn, notifications)
                .values(source=source, notification_id=str(notification_id), received_at=now)
                .on_conflict_do_nothing()
                .returning(notifications.c.notification_id)  # rowcount is -1 here with psycopg
            ).first()
            # a claim on this id, whoever holds it, now answers "handled"
            conn.execute(
                notification_claims.update()
                .where(_claim_of(notification_id, source), notification_claims.c.handled_at.is_(None))
                .values(handled_at=now)
            )
        return inserted is not None

    def claim(self, notification_id: str, *, source: str, owner: str, now: datetime, ttl_seconds: float) -> ClaimResult:
        """Claim a delivery before handling it: "claimed" (handle it, then ``record`` or ``release``),
        "handled" (recorded before: a duplicate, answer it without handling), or "busy" (another
        delivery of the same id holds a live claim: let the platform retry later).

        The claim is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` (free, expired or already
        ``owner``'s, and not handled) ``RETURNING``: two deliveries racing on one id can never both
        get "claimed". A claim older than ``ttl_seconds`` is taken over (its holder died or hung).
        ``record`` marks the claim handled in its own transaction, so a claim racing it sees
        "handled" (PostgreSQL makes the racing upsert wait for that transaction and re-check).
        """
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, not {ttl_seconds}")
        key = str(notification_id)
        claims = notification_claims.c
        with self._write() as conn:
            handled = conn.execute(
                select(notifications.c.received_at).where(
                    notifications.c.source == source, notifications.c.notification_id == key
                )
            ).first()
            if handled is not None:
                return "handled"
            expires_at = now + timedelta(seconds=ttl_seconds)
            statement = insert(conn, notification_claims).values(
                source=source, notification_id=key, owner=owner, claimed_at=now, expires_at=expires_at
            )
            taken = conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[claims.source, claims.notification_id],
                    set_={"owner": owner, "claimed_at": now, "expires_at": expires_at},
                    where=and_(claims.handled_at.is_(None), or_(claims.expires_at <= now, claims.owner == owner)),
                ).returning(claims.owner)
            ).first()
            if taken is not None:
                return "claimed"
            handled_at = conn.execute(select(claims.handled_at).where(_claim_of(key, source))).scalar_one_or_none()
        return "handled" if handled_at is not None else "busy"

    def release(self, notification_id: str, *, source: str, owner: str) -> bool:
        """Give back ``owner``'s claim after handling failed, so the platform's retry is handled at
        once; True if there was such a claim. A handled claim or another owner's stays."""
        with self._write() as conn:
            result = conn.execute(
                notification_claims.delete().where(
                    _claim_of(notification_id, source),
                    notification_claims.c.owner == owner,
                    notification_claims.c.handled_at.is_(None),
                )
            )
        return result.rowcount == 1

    def keep(self, source: str, raw_body: bytes, reason: str, now: datetime, *, key: str | None = None) -> bool:
        """Keep a webhook body and why it was not handled; True the first time these bytes are kept.

        The same bytes again (the platform's retry) count one more delivery, take the latest
        reason and keep the first key known. One upsert on the unique (source, digest) decides
        between racing processes.
        """
        body = bytes(raw_body)
        digest = hashlib.sha256(body).hexdigest()
        note = (reason or "no reason given")[:MAX_REASON_CHARS]
        key = key[:MAX_KEY_CHARS] if key else None
        with self._write() as conn:
            statement = insert(conn, kept_notifications).values(
                source=source,
                body_sha256=digest,
                raw_body=body,
                reason=note,
                key=key,
                deliveries=1,
                first_seen_at=now,
                last_seen_at=now,
            )
            deliveries: int = conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[kept_notifications.c.source, kept_notifications.c.body_sha256],
                    set_={
                        "reason": note,
                        "key": func.coalesce(kept_notifications.c.key, statement.excluded.key),
                        "deliveries": kept_notifications.c.deliveries + 1,
                        "last_seen_at": now,
                    },
                ).returning(kept_notifications.c.deliveries)
            ).scalar_one()
        return bool(deliveries == 1)

    def list_kept(
        self, *, source: str | None = None, include_handled: bool = False, limit: int = 100
    ) -> list[KeptNotification]:
        """Kept bodies, most recently seen first.

        A row whose key was handled later (a retry after a handler failure succeeded) is left
        out unless ``include_handled``: it needs no attention.
        """
        query = select(kept_notifications, notifications.c.received_at.label("handled_at")).outerjoin(
            notifications, _HANDLED
        )
        if source is not None:
            query = query.where(kept_notifications.c.source == source)
        if not include_handled:
            query = query.where(notifications.c.received_at.is_(None))
        query = query.order_by(kept_notifications.c.last_seen_at.desc(), kept_notifications.c.id.desc())
        with self._read() as conn:
            rows = conn.execute(query.limit(max(1, int(limit)))).all()
        return [_kept(row) for row in rows]

    def get_kept(self, kept_id: int) -> KeptNotification | None:
        """One kept body by its id, handled or not; None when there is none (deleted or pruned)."""
        query = (
            select(kept_notifications, notifications.c.received_at.label("handled_at"))
            .outerjoin(notifications, _HANDLED)
            .where(kept_notifications.c.id == int(kept_id))
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _kept(row)

    def delete_kept(self, ids: Sequence[int]) -> int:
        """Delete kept bodies by id (an operator has read them); how many there were."""
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        with self._write() as conn:
            return int(conn.execute(kept_notifications.delete().where(kept_notifications.c.id.in_(wanted))).rowcount)

    def prune_kept(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete the kept bodies never handled whose last delivery was before ``before``; how many
        (or, with ``dry_run``, would be). The handled ones go with their ids (``prune``)."""
        handled = select(notifications.c.received_at).where(_HANDLED).correlate(kept_notifications)
        stale = (~handled.exists(), kept_notifications.c.last_seen_at < before)
        with self._write() as conn:
            if dry_run:
                query = select(func.count()).select_from(kept_notifications).where(*stale)
                return int(conn.execute(query).scalar_one())
            return int(conn.execute(kept_notifications.delete().where(*stale)).rowcount)

    def prune(self, *, before: datetime, dry_run: bool = False) -> tuple[int, int]:
        """Delete ids handled before ``before``, their claims (and claims expired before it), and the
        kept bodies handled then or seen last before it.

        Returns (ids, bodies) deleted, or with ``dry_run`` that would be. The caller keeps
        ``before`` past the platform's retry schedule: an id deleted while a retry is still to
        come would let that retry be handled twice.
        """
        handled = select(notifications.c.received_at).where(_HANDLED).correlate(kept_notifications)
        bodies = (
            handled.exists(),
            or_(
                kept_notifications.c.last_seen_at < before, handled.where(notifications.c.received_at < before).exists()
            ),
        )
        ids = (notifications.c.received_at < before,)
        # claims go with their ids, and unhandled ones once expired before ``before`` (their holder is gone)
        claims = (or_(notification_claims.c.handled_at < before, notification_claims.c.expires_at < before),)
        with self._write() as conn:
            if dry_run:
                count = select(func.count())
                return (
                    int(conn.execute(count.select_from(notifications).where(*ids)).scalar_one()),
                    int(conn.execute(count.select_from(kept_notifications).where(*bodies)).scalar_one()),
                )
            kept = int(conn.execute(kept_notifications.delete().where(*bodies)).rowcount)
            conn.execute(notification_claims.delete().where(*claims))
            return int(conn.execute(notifications.delete().where(*ids)).rowcount), kept
