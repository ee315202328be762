"""Read-only summaries across tables for the status page: a few grouped queries, not one per shop.

The overview must answer for a thousand shops in well under a second, so every table is read once
with ``GROUP BY shop`` and the page joins the results in memory. Runs name their shops in a JSON
list (one run may cover several shops), which no portable SQL can group by: the latest runs are
read newest first, up to ``RUN_SCAN``, and each shop takes the first run that names it. A shop
whose last run is older than that many runs shows no run (its drifts and pushes still show), and
an aspect whose latest run is older is not known to have checked nothing (``_checked_nothing``),
nor is an aspect the shop runs that never ran.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from erpsync.core.store.base import Repository
from erpsync.core.store.leases import _row as lease_row
from erpsync.core.store.ledger import _row as ledger_row
from erpsync.core.store.outbox import _row as outbox_row
from erpsync.core.store.rows import LeaseRow, LedgerEntry, OutboxRow, RunRow
from erpsync.core.store.runs import _row as run_row
from erpsync.core.store.schema import alert_outbox, drifts, ledger, locks, runs, tokens

#: how many of the latest runs are read to find each shop's last run
RUN_SCAN = 20_000
_SHOP_LEASE = "shop:"


@dataclass(frozen=True)
class LastRun:
    id: str
    status: str
    started_at: datetime
    finished_at: datetime | None


def shop_result(status: str, summary: Mapping[str, Any] | None, shop: str) -> str:
    """One shop's result in a run that may have covered many: a run ``error`` because one shop
    failed says nothing of the others. Runs name the shops that failed (``shops_with_errors``);
    a finished run that names them gives ``error`` or ``ok`` per shop, or ``not_run`` for a shop
    whose aspects were all not run (nothing configured or enabled for them: nothing checked). A
    run still going, crashed, interrupted or ``not_run`` (no shop checked anything) is that for
    every shop in it; a row without the list keeps the run's status."""
    failed = (summary or {}).get("shops_with_errors")
    if status in ("running", "crashed", "interrupted", "not_run") or not isinstance(failed, list):
        return status
    if shop in failed:
        return "error"
    return "not_run" if _aspects_of(summary, shop) == set() else "ok"


#: the run results that make a shop's state "error"
FAILED_RUNS = ("error", "crashed")


def _aspects_of(summary: Mapping[str, Any] | None, shop: str) -> set[str] | None:
    """The aspects a run ran for ``shop``, with those a failure stopped it before (the host names
    them, so the failure stands for them until each has a newer run); None when it does not say
    (an older row): then it stands for all of them. Aspects not run (``not_run``)
    checked nothing and are not among them: a run that only names those ran none (an empty set),
    unless the shop failed (``shops_with_errors``): it stopped at an aspect the run does not name,
    so the failure stands for all of them and a later run of one aspect does not hide it."""
    if not isinstance(summary, Mapping):
        return None
    named = (summary.get("aspects") or {}).get(shop)
    skipped = (summary.get("not_run") or {}).get(shop)
    failed = shop in (summary.get("shops_with_errors") or ())
    return set(named) if isinstance(named, list) and (named or (skipped and not failed)) else None


def _note_verdicts(summary: Mapping[str, Any] | None, shop: str, verdicts: dict[str, bool]) -> bool:
    """Note the word of a run, read newest first, on each of ``shop``'s aspects it is the latest
    run of: checked (it ran) or not (not run); ``verdicts`` keeps them. Under ``erpsync run`` each
    run is one aspect, so a shop whose listings run checked nothing while its pickup run checked
    the warehouses is still checked. False for a row that does not say which aspects ran (an
    older row, or one naming none): nothing says it checked nothing, so it vouches for the shop."""
    if not isinstance(summary, Mapping):
        return False
    named = (summary.get("aspects") or {}).get(shop)
    skipped = (summary.get("not_run") or {}).get(shop)
    if not isinstance(named, list) or not (named or skipped):
        return False
    for aspect in skipped or ():
        verdicts.setdefault(aspect, False)
    for aspect in named:  # each noted: a newer run's word on an aspect stands
        verdicts.setdefault(aspect, True)
    return True


def _checked_nothing(verdicts: Mapping[str, bool], runs_now: Collection[str] | None, *, scan_complete: bool) -> bool:
    """Whether each aspect the shop runs now (``runs_now``, from the config) has a verdict and
    each says nothing was checked: an aspect without one (its latest run lies beyond the runs
    scanned, or it never ran) may check the shop, and an aspect the shop no longer runs does not
    vouch for it, however its last run went. A shop the config does not name (None) is judged
    by the aspects the scanned runs name, and only when the scan reached the oldest run: an
    aspect whose latest run is older (a listings run hourly, behind a thousand shops' runs
    every five minutes) would be missing from them."""
    if runs_now is None:
        return scan_complete and not any(verdicts.values())
    return all(verdicts.get(aspect) is False for aspect in runs_now)


@dataclass
class ShopFacts:
    """What the store knows of one shop, as the overview needs it."""

    name: str
    last_run: LastRun | None = None
    #: open drifts per severity ("info", "warning", "critical")
    drifts: dict[str, int] = field(default_factory=dict)
    pushes_pending: int = 0
    pushes_failed: int = 0
    lease: LeaseRow | None = None
    token_expires_at: datetime | None = None
    #: the newest failed run among each aspect's latest runs, when one failed: under ``erpsync run``
    #: each run is one aspect, so a later run of another aspect that went well must not hide it
    failing: LastRun | None = None
    #: it has runs, and the latest run of each of its aspects checked nothing (every one not run:
    #: nothing configured or enabled for it), so nothing vouches that the shop is in sync; never
    #: said while one of the aspects it runs has no latest run among the runs scanned, and the
    #: runs of aspects it no longer runs do not count
    checked_nothing: bool = False


class Overview(Repository):
    """``Overview(store.engine)``: ``facts`` for every shop, and one shop's history."""

    def facts(
        self, configured: Iterable[str] = (), *, aspects: Mapping[str, Collection[str]] | None = None
    ) -> dict[str, ShopFacts]:
        """Every shop the config names or the store holds rows of, with its counts and last run.

        ``aspects`` gives the aspects each configured shop runs (its ``aspects`` list, or every
        registered aspect): only their latest runs can make a shop "nothing checked"."""
        out: dict[str, ShopFacts] = {name: ShopFacts(name) for name in configured}

        def of(shop: str) -> ShopFacts:
            found = out.get(shop)
            if found is None:
                found = out[shop] = ShopFacts(shop)
            return found

        with self._read() as conn:
            open_drifts = conn.execute(
                select(drifts.c.shop, drifts.c.severity, func.count())
                .where(drifts.c.open_fingerprint.is_not(None))
                .group_by(drifts.c.shop, drifts.c.severity)
            ).all()
            pushes = conn.execute(
                select(ledger.c.shop, ledger.c.status, func.count())
                .where(ledger.c.status.in_(("pending", "failed")))
                .group_by(ledger.c.shop, ledger.c.status)
            ).all()
            leases = conn.execute(select(locks).where(locks.c.name.like(f"{_SHOP_LEASE}%"))).all()
            expiries = conn.execute(select(tokens.c.shop, tokens.c.access_token_expires_at)).all()
            recent = conn.execute(
                select(runs.c.id, runs.c.status, runs.c.started_at, runs.c.finished_at, runs.c.shops, runs.c.summary)
                .order_by(runs.c.started_at.desc(), runs.c.id.desc())
                .limit(RUN_SCAN)
            ).all()
        for shop, severity, n in open_drifts:
            of(shop).drifts[severity] = int(n)
        for shop, status, n in pushes:
            if status == "pending":
                of(shop).pushes_pending = int(n)
            else:
                of(shop).pushes_failed = int(n)
        for row in leases:
            lease = lease_row(row)
            of(lease.name[len(_SHOP_LEASE) :]).lease = lease
        for shop, expires in expiries:
            of(shop).token_expires_at = expires
        covered: dict[str, set[str] | None] = {}  # shop -> the aspects whose latest run was seen (None: all)
        verdicts: dict[str, dict[str, bool]] = {}  # shop -> aspect -> whether its latest run checked it
        vouched: set[str] = set()  # shops with a run that does not say which aspects ran
        for r in recent:
            for shop in r.shops or ():
                if not _note_verdicts(r.summary, shop, verdicts.setdefault(shop, {})):
                    vouched.add(shop)
                facts, seen = of(shop), covered.setdefault(shop, set())
                if seen is None:
                    continue
                status = shop_result(r.status, r.summary, shop)
                run = LastRun(r.id, status, r.started_at, r.finished_at)
                if facts.last_run is None:
                    facts.last_run = run
                ran = _aspects_of(r.summary, shop)
                if ran is not None and ran <= seen:
                    continue  # each of its aspects has a newer run
                if status in FAILED_RUNS and facts.failing is None:
                    facts.failing = run
                covered[shop] = None if ran is None else seen | ran
        complete = len(recent) < RUN_SCAN  # the scan reached the oldest run
        for shop, facts in out.items():
            facts.checked_nothing = (
                facts.last_run is not None
                and shop not in vouched
                and _checked_nothing(verdicts.get(shop, {}), (aspects or {}).get(shop), scan_complete=complete)
            )
        return out

    def runs_of(self, shop: str, *, limit: int = 20) -> list[RunRow]:
        """The latest runs that covered ``shop``, newest first (``RunRow``), each with the shop's
        own result as its status (``shop_result``), as the shop's "last run" shows it: a run of
        many shops stored ``in_sync`` is "nothing checked" for a shop that checked nothing."""
        found = []
        with self._read() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(RUN_SCAN)).all()
        for r in rows:
            if shop in (r.shops or ()):
                row = run_row(r)
                found.append(replace(row, status=shop_result(row.status, row.summary, shop)))
                if len(found) >= limit:
                    break
        return found

    def ledger_of(self, shop: str, *, limit: int = 50) -> list[LedgerEntry]:
        """The shop's latest writes, failed and pending first, then newest first."""
        order = (ledger.c.status == "done", ledger.c.updated_at.desc(), ledger.c.key)
        with self._read() as conn:
            rows = conn.execute(select(ledger).where(ledger.c.shop == shop).order_by(*order).limit(limit)).all()
        return [ledger_row(r) for r in rows]

    def outbox_of(self, shop: str, *, limit: int = 50) -> list[OutboxRow]:
        """The shop's latest alerts in the outbox: those of its drifts, and token alerts naming it."""
        of_drifts = select(drifts.c.id).where(drifts.c.shop == shop)
        with self._read() as conn:
            rows = conn.execute(
                select(alert_outbox)
                .where(alert_outbox.c.drift_id.in_(of_drifts))
                .order_by(alert_outbox.c.created_at.desc(), alert_outbox.c.id)
                .limit(limit)
            ).all()
            loose = conn.execute(
                select(alert_outbox)
                .where(alert_outbox.c.drift_id.is_(None))
                .order_by(alert_outbox.c.created_at.desc())
                .limit(1000)
            ).all()
        items = [outbox_row(r) for r in rows]
        items += [outbox_row(r) for r in loose if (r.event or {}).get("shop") == shop]
        items.sort(key=lambda o: o.created_at, reverse=True)
        return items[:limit]
