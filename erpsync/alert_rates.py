"""A channel's rate limits during delivery: how many messages it takes now, and which sink goes first.

Limits are counted in the store, not paced in the process (``core/rate_limit.py`` sleeps and knows
one process), since several processes deliver: each limit (``AlertSink.rate_limit`` and
``extra_rate_limits``) counts the messages the channel took over its last window, from every sink
that reaches the same channel (``AlertSink.rate_key``: two sinks on one robot URL share its
limits). A message is one send, whatever it held: a digest of 150 alerts is one of a Feishu bot's
100 a minute, not 150 (``Outbox.messages_since``). A sink without a ``send_digest`` of its own
has no such message: its alerts go one message each, as many as there is room for.

Sinks sharing a channel are served oldest waiting alert first, not always in the configured
order: otherwise, while the channel stays busy, the first sink would take all the room every pass
and the second's alerts would wait until they expired.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from erpsync.alert_outbox import ConfiguredSink
from erpsync.core.store import OutboxRow
from erpsync.core.store.outbox import Outbox
from erpsync.plugins.alerts.base import AlertSink

#: stands for "no alert due" when sinks are ordered by their oldest due alert
_NEVER = datetime.max.replace(tzinfo=UTC)


def limits_of(target: ConfiguredSink) -> list[tuple[int, float]]:
    """Every limit the sink's channel counts, (messages, per seconds); empty: none."""
    first = [] if target.sink.rate_limit is None else [target.sink.rate_limit]
    return [*first, *target.sink.extra_rate_limits]


def one_message_digest(target: ConfiguredSink) -> bool:
    """Whether the sink's ``send_digest`` sends one message: its own. The default one (a plugin
    that sets a ``rate_limit`` and implements ``send`` alone) sends each alert, a message each,
    so a digest of them would not keep within the limit, and counted as one message (its alerts
    share a ``delivered_at``) would leave the limit room it does not have."""
    return type(target.sink).send_digest is not AlertSink.send_digest


def sharing(target: ConfiguredSink, sinks: Sequence[ConfiguredSink]) -> list[str]:
    """The names of the sinks whose messages count against ``target``'s limits, its own included."""
    key = target.sink.rate_key()
    return [t.name for t in sinks if key is not None and t.sink.rate_key() == key] or [target.name]


def room(outbox: Outbox, target: ConfiguredSink, sinks: Sequence[ConfiguredSink], at: datetime) -> int | None:
    """How many messages ``target``'s channel takes at ``at`` within every limit it has; None: no limit."""
    limits = limits_of(target)
    if not limits:
        return None
    names = sharing(target, sinks)
    return min(
        count - outbox.messages_since(names, at - timedelta(seconds=seconds), until=at) for count, seconds in limits
    )


def serving_order(sinks: Sequence[ConfiguredSink], due: Mapping[str, list[OutboxRow]]) -> list[ConfiguredSink]:
    """``sinks`` in the configured order, except that sinks sharing a channel's limits take the
    places the configuration gives them oldest due alert first (the configured order breaks ties).

    A sink whose alerts had to wait for room has the oldest of them next pass, so the sinks on
    one busy channel take turns instead of the first one taking every pass's room.
    """

    def oldest(target: ConfiguredSink) -> datetime:
        rows = due.get(target.name)
        return rows[0].created_at if rows else _NEVER

    order = list(sinks)
    groups: dict[str, list[int]] = {}
    for place, target in enumerate(sinks):
        key = target.sink.rate_key()
        if key is not None:
            groups.setdefault(key, []).append(place)
    for places in groups.values():
        turns = sorted(places, key=lambda place: (oldest(sinks[place]), place))
        for place, turn in zip(places, turns, strict=True):
            order[place] = sinks[turn]
    return order
