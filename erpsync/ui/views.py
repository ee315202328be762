"""What each page shows, from store rows: pure functions, no database, no HTTP, no clock.

The state of a shop is one word, so an operator scanning a thousand shops sees what needs them
first. Checked in this order, the first that holds wins:

- ``locked``: a run holds the shop's lease, or a dead run left it (``lease_dead``: its process is
  gone or the lease expired; the shop page offers to release it);
- ``error``: the shop's last run ended ``error`` or ``crashed``;
- ``drift``: open drifts;
- ``not_run``: it ran, nothing is open, and the latest run of each of the aspects it runs checked
  nothing (every one not run: nothing configured for it), so it is not known to be in sync
  (``ShopFacts.checked_nothing``: an aspect it no longer runs does not count);
- ``in_sync``: it ran, nothing is open;
- ``never_run``: no run names it (its runs may also have been pruned).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from erpsync.core.store.overview import FAILED_RUNS, ShopFacts
from erpsync.core.store.rows import DriftRow, LedgerEntry, RunRow
from erpsync.core.timefmt import beijing_time

STATES = ("in_sync", "drift", "error", "locked", "not_run", "never_run")
#: problems first: the overview sorts by this, then by name
_RANK = {"error": 0, "locked": 1, "drift": 2, "not_run": 3, "never_run": 4, "in_sync": 5}
PAGE_SIZE = 50
SEVERITIES = ("critical", "warning", "info")
#: an access token expiring within this is shown as a warning
TOKEN_WARNING = timedelta(days=3)


def shop_state(facts: ShopFacts) -> str:
    """The one-word state of a shop (see the module docstring for the order)."""
    if facts.lease is not None:
        return "locked"
    if facts.failing is not None or (facts.last_run is not None and facts.last_run.status in FAILED_RUNS):
        return "error"
    if sum(facts.drifts.values()):
        return "drift"
    if facts.checked_nothing:
        return "not_run"
    return "in_sync" if facts.last_run is not None else "never_run"


@dataclass(frozen=True)
class ShopLine:
    """One row of the overview."""

    name: str
    state: str
    last_run_at: datetime | None
    last_run_status: str | None
    drifts: tuple[int, int, int]  # critical, warning, info
    pushes_pending: int
    pushes_failed: int
    token_expires_at: datetime | None
    token_warning: bool
    lease_dead: bool


@dataclass(frozen=True)
class OverviewPage:
    lines: tuple[ShopLine, ...]
    page: int
    pages: int
    total: int  # shops matching the filter
    counts: Mapping[str, int]  # shops per state, over all shops
    q: str
    state: str

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def shop_line(facts: ShopFacts, *, now: datetime, dead: Collection[str] = ()) -> ShopLine:
    """One shop's overview row; ``dead`` names the shops whose lease holder is gone."""
    expires = facts.token_expires_at
    lease = facts.lease
    return ShopLine(
        name=facts.name,
        state=shop_state(facts),
        last_run_at=facts.last_run.started_at if facts.last_run else None,
        last_run_status=facts.last_run.status if facts.last_run else None,
        drifts=(facts.drifts.get("critical", 0), facts.drifts.get("warning", 0), facts.drifts.get("info", 0)),
        pushes_pending=facts.pushes_pending,
        pushes_failed=facts.pushes_failed,
        token_expires_at=expires,
        token_warning=expires is not None and expires - now < TOKEN_WARNING,
        lease_dead=lease is not None and (facts.name in dead or not lease.held_at(now)),
    )


def parse_page(value: str | None) -> int:
    """``?page=`` as a page number from 1; anything else is page 1."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def overview(
    facts: Iterable[ShopFacts],
    *,
    now: datetime,
    q: str = "",
    state: str = "all",
    page: int = 1,
    dead: Collection[str] = (),
    size: int = PAGE_SIZE,
) -> OverviewPage:
    """The overview's page ``page``: shops whose name contains ``q`` (any case) in ``state``."""
    lines = [shop_line(f, now=now, dead=dead) for f in facts]
    counts = {s: 0 for s in STATES}
    for line in lines:
        counts[line.state] += 1
    state = state if state in STATES else "all"
    needle = q.strip().casefold()
    chosen = [
        line
        for line in lines
        if (state == "all" or line.state == state) and (not needle or needle in line.name.casefold())
    ]
    chosen.sort(key=lambda line: (_RANK[line.state], line.name))
    pages = max(1, -(-len(chosen) // size))
    page = min(max(1, page), pages)
    start = (page - 1) * size
    return OverviewPage(tuple(chosen[start : start + size]), page, pages, len(chosen), counts, q.strip(), state)


@dataclass(frozen=True)
class DriftLine:
    """One open drift on the shop page, both sides and the fix side by side."""

    id: int
    aspect: str
    subject: str
    field: str | None
    severity: str
    message: str
    seller: str
    erp: str
    fix: str
    fix_status: str | None  # the ledger status of a write for the same subject since it opened
    since: datetime
    evidence: tuple[str, ...]
    acked_at: datetime | None


def drift_lines(rows: Sequence[DriftRow], ledger: Sequence[LedgerEntry], lang: str) -> list[DriftLine]:
    """Open drifts with their fix: the guided steps or summary the drift carries, and the write
    erpsync made for the same subject since the drift opened (its ledger status), if any.

    Evidence is the drift's ``why`` texts: for pickup inferences, the signals the state was
    inferred from (``core/aspects/pickup.py``); other aspects leave it empty.
    """
    out = []
    for row in rows:
        write = next(
            (
                e
                for e in ledger
                if e.aspect == row.aspect and e.subject == row.subject and e.updated_at >= row.opened_at
            ),
            None,
        )
        steps = [t.zh if lang == "zh" else t.en for t in row.steps]
        summary = (row.summary.zh if lang == "zh" else row.summary.en) if row.summary else ""
        out.append(
            DriftLine(
                id=row.id,
                aspect=row.aspect,
                subject=row.subject,
                field=row.field,
                severity=str(row.severity),
                message=row.message,
                seller=row.seller_value or "",
                erp=row.erp_value or "",
                fix="; ".join(steps) or summary,
                fix_status=write.status if write else None,
                since=row.opened_at,
                evidence=tuple(t.zh if lang == "zh" else t.en for t in row.why),
                acked_at=row.acked_at,
            )
        )
    return out


@dataclass(frozen=True)
class UncheckedLine:
    """An aspect whose latest run was not run and left ``count`` open drifts unchecked, and why."""

    aspect: str
    count: int
    why: str
    since: datetime


def kept_unchecked(runs: Sequence[RunRow], shop: str) -> list[UncheckedLine]:
    """The shop's aspects whose latest run (``runs`` newest first) was not run and kept open drifts
    without checking them (the run's ``kept_unchecked``): those drifts stay open until the aspect
    runs again, and the shop page says why rather than showing them as if just seen."""
    decided: set[str] = set()
    out = []
    for run in runs:
        summary = run.summary or {}
        named = [*((summary.get("aspects") or {}).get(shop) or ()), *((summary.get("not_run") or {}).get(shop) or ())]
        kept = (summary.get("kept_unchecked") or {}).get(shop) or {}
        for aspect in named:
            if aspect in decided:
                continue
            decided.add(aspect)
            if aspect in kept:
                count, why = kept[aspect]
                out.append(UncheckedLine(aspect, int(count), str(why), run.started_at))
    return sorted(out, key=lambda line: line.aspect)


def when(value: datetime | None, lang: str = "en") -> str:
    """A time as the page shows it: Beijing time, like reports and drift texts; "" for none."""
    return beijing_time(value, lang) if value is not None else ""
