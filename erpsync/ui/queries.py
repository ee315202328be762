"""The store reads and writes behind each page and action, so ``app.py`` only speaks HTTP.

Reads go through ``store/overview.py`` (grouped queries, one pass per table) and the
repositories; writes are the repositories' own verbs (``drifts.ack``, ``sync_requests.add``)
and ``run_guard.unlock_shop``, the same code ``erpsync drifts ack`` and ``erpsync unlock`` use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from erpsync.core.run_guard import unlock_shop
from erpsync.core.store import DriftRow, LedgerEntry, OutboxRow, RunRow, Store
from erpsync.core.store.leases import holder_gone, this_host
from erpsync.core.store.overview import Overview, ShopFacts

#: the reason a sync request from the page carries (the scheduler logs it)
REASON = "asked for on the status page"


@dataclass(frozen=True)
class ShopDetail:
    facts: ShopFacts
    drifts: list[DriftRow]
    runs: list[RunRow]
    ledger: list[LedgerEntry]
    outbox: list[OutboxRow]


class Queries:
    """Everything the status page reads from and writes to ``store``."""

    def __init__(self, store: Store, *, configured: Sequence[str] = (), aspects: Callable[[str], list[str]]) -> None:
        self.store = store
        self.configured = tuple(configured)
        self.aspects = aspects  # the aspects each shop runs: "run now" asks for them, the overview judges them
        self._overview = Overview(store.engine)
        self.here = this_host()

    def facts(self) -> dict[str, ShopFacts]:
        return self._overview.facts(self.configured, aspects={name: self.aspects(name) for name in self.configured})

    def dead_leases(self, facts: dict[str, ShopFacts]) -> set[str]:
        """Shops whose lease holder is provably gone (same host, no such process)."""
        return {
            name
            for name, f in facts.items()
            if f.lease is not None and holder_gone(f.lease.host, f.lease.pid, here=self.here)
        }

    def shop(self, name: str) -> ShopDetail | None:
        """One shop's page, or None for a shop neither the config nor the store knows."""
        facts = self.facts().get(name)
        if facts is None:
            return None
        return ShopDetail(
            facts=facts,
            drifts=self.store.drifts.list_open(name),
            runs=self._overview.runs_of(name),
            ledger=self._overview.ledger_of(name),
            outbox=self._overview.outbox_of(name),
        )

    def ack(self, drift_id: int, *, now: datetime) -> DriftRow | None:
        """Acknowledge an open drift until it resolves; None if no open drift has that id."""
        return self.store.drifts.ack(drift_id, now=now, until=None)

    def retry(self, key: str, *, now: datetime) -> LedgerEntry | None:
        """Ask for another run of a failed write's shop and aspect; None unless ``key`` failed."""
        entry = self.store.ledger.get(key)
        if entry is None or entry.status != "failed":
            return None
        self.store.sync_requests.add(entry.shop, [entry.aspect], reason=REASON, now=now)
        return entry

    def run_now(self, shop: str, *, now: datetime) -> list[str]:
        """Ask for a run of each of the shop's aspects; the aspects asked for."""
        aspects = self.aspects(shop)
        self.store.sync_requests.add(shop, aspects, reason=REASON, now=now)
        return aspects

    def unlock(self, shop: str, *, now: datetime) -> tuple[bool, str]:
        """Release a dead lease (never a live one: no force)."""
        return unlock_shop(self.store, shop, force=False, now=now, here=self.here)
