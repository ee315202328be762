"""What one run hands each of its shops, and the lease timing every part of a run shares.

The run loop (``sync.py``), a shop's work (``sync_shops.py``) and an aspect's
(``sync_aspect.py``) all read the same few facts of the run: its id, its aspects, whether it
applies, how long a shop waits for its lease, where its progress goes. They travel as one value,
``Run``, so adding one never lengthens every signature on the way down. The lease's time to live
is here too: the run marks crashed runs by it and gives it to the heartbeat, a shop holds and
confirms its lease by it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from erpsync.core.models import ShopReport

#: short, so a crashed run on another host frees its shops within a minute; the heartbeat renews
#: the leases of a working run every third of it (a crash on this host frees them at once)
LEASE_TTL_SECONDS = 60.0
HEARTBEAT_SECONDS = LEASE_TTL_SECONDS / 3


@dataclass(frozen=True)
class Run:
    """What one run asks of each of its shops, handed down as one value."""

    run_id: str
    aspects: list[str]
    apply: bool
    wait: float  # seconds to wait for a shop's lease held by another run
    say: Callable[[str], None]  # where the run's progress goes (``sync_apply.Progress``)


def ran_aspects(report: ShopReport) -> list[str]:
    """The aspects a shop's run stands for: those that ran, and those a failure stopped it before."""
    ran = [a.aspect for a in report.aspects if not a.not_run]
    return ran + [a for a in report.unfinished if a not in ran]
