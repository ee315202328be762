"""What one delivery pass of the alert outbox did, and the lines that tell an operator about it.

The delivery pass (``alert_delivery.py``) fills a ``DeliveryReport``; a run adds it up over its
passes (``sync_alerts.py``), and the commands and the service say what it holds: ``notes`` for
what needs an operator's eye (a reconcile run's notes, the service's warnings), ``waiting_lines``
for alerts left waiting for room in a channel's rate limit, which is routine and said apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from erpsync.core.models import Texts
from erpsync.core.store import OutboxRow

#: what a delivery says of a sink's alerts left waiting for room in its channel's rate limit
WAITING = Texts(
    "{count} alert(s) for {name} wait: its channel's rate limit has no room now; a later delivery sends them.",
    "{name} 有 {count} 条告警在等待：渠道的频率限制暂无余量，稍后发送。",
)


@dataclass
class DeliveryReport:
    """What one delivery pass did, counted in alerts (a digest of 30 counts 30 delivered);
    ``digests`` counts the digest messages a channel took."""

    delivered: int = 0
    digests: int = 0
    retrying: int = 0
    failed: int = 0
    expired: list[OutboxRow] = field(default_factory=list)
    #: sinks that did not answer within their timeout: abandoned for the rest of the run
    timed_out: list[str] = field(default_factory=list)
    #: due alerts this pass took but never tried: their sink timed out on an earlier one, or the
    #: pass was held up past its hold and another process took them. They stay due for the next
    #: pass; counted so that every due alert a pass took shows in one of its counts
    untried: int = 0
    #: per sink, the due alerts left unsent because its channel's rate limit had no room: a later
    #: pass sends them. Not among the ``notes`` (warnings, and a busy channel is routine) but in
    #: ``waiting_lines``, which a command prints and the service's drain logs at info
    waiting: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """The pass in numbers, for a log line or a task's result: no alert's text, no row. Every
        alert counts once among delivered, retrying, failed, expired, waiting and untried;
        ``sinks_timed_out`` counts sinks, not alerts."""
        return {
            "delivered": self.delivered,
            "digests": self.digests,
            "retrying": self.retrying,
            "failed": self.failed,
            "expired": len(self.expired),
            "waiting": sum(self.waiting.values()),
            "untried": self.untried,
            "sinks_timed_out": len(self.timed_out),
        }

    def waiting_lines(self, lang: str = "en") -> list[str]:
        """One line per sink with alerts left waiting for room in its channel's rate limit."""
        return [WAITING.get(lang).format(name=name, count=count) for name, count in sorted(self.waiting.items())]

    def notes(self) -> list[str]:
        """Lines for the run's report: what needs an operator's eye."""
        out = []
        if self.expired:
            sinks = ", ".join(sorted({r.sink for r in self.expired}))
            out.append(f"{len(self.expired)} alert(s) expired undelivered (sink {sinks}): see `erpsync alerts pending`")
        for name in self.timed_out:
            out.append(f"alert sink {name} did not answer in time: its alerts stay pending for the next run")
        if self.failed:
            out.append(f"{self.failed} alert(s) failed for good (the channel refused them): see the log")
        return out
