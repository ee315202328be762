"""The status page's view models: store facts → what the overview and a shop page show."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from erpsync.core.models import Severity, Texts
from erpsync.core.store import DriftRow, LeaseRow, LedgerEntry, RunRow, Store
from erpsync.core.store.overview import LastRun, Overview, ShopFacts, shop_result
from erpsync.ui import views

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def ran(status: str) -> LastRun:
    return LastRun("r", status, NOW - timedelta(hours=1), NOW - timedelta(minutes=59))


def lease(expires: datetime) -> LeaseRow:
    return LeaseRow("shop:x", "r", NOW - timedelta(hours=2), expires, 1, "h", 1)


def test_state_order_lease_then_error_then_drift_then_run() -> None:
    assert views.shop_state(ShopFacts("a")) == "never_run"
    assert views.shop_state(ShopFacts("a", last_run=ran("in_sync"))) == "in_sync"
    assert views.shop_state(ShopFacts("a", last_run=ran("in_sync"), drifts={"info": 1})) == "drift"
    assert views.shop_state(ShopFacts("a", drifts={"warning": 2})) == "drift"  # runs pruned, drifts open
    assert views.shop_state(ShopFacts("a", last_run=ran("error"), drifts={"info": 1})) == "error"
    assert views.shop_state(ShopFacts("a", last_run=ran("crashed"))) == "error"
    locked = ShopFacts("a", last_run=ran("error"), lease=lease(NOW + timedelta(minutes=5)))
    assert views.shop_state(locked) == "locked"
    idle = ShopFacts("a", last_run=ran("not_run"), checked_nothing=True)
    assert views.shop_state(idle) == "not_run"  # nothing checked is not in sync
    assert views.shop_state(replace(idle, drifts={"info": 1})) == "drift"


def test_line_counts_and_dead_lease_and_token_warning() -> None:
    facts = ShopFacts(
        "a",
        last_run=ran("drift"),
        drifts={"critical": 1, "warning": 2, "info": 3},
        pushes_pending=4,
        pushes_failed=5,
        lease=lease(NOW - timedelta(seconds=1)),
        token_expires_at=NOW + timedelta(days=1),
    )
    line = views.shop_line(facts, now=NOW)
    assert (line.drifts, line.pushes_pending, line.pushes_failed) == ((1, 2, 3), 4, 5)
    assert line.lease_dead and line.token_warning and line.state == "locked"
    live = views.shop_line(ShopFacts("a", lease=lease(NOW + timedelta(minutes=5))), now=NOW)
    assert not live.lease_dead
    assert views.shop_line(ShopFacts("a", lease=lease(NOW + timedelta(minutes=5))), now=NOW, dead={"a"}).lease_dead
    far = views.shop_line(ShopFacts("a", token_expires_at=NOW + timedelta(days=30)), now=NOW)
    assert not far.token_warning


def many(n: int) -> list[ShopFacts]:
    return [ShopFacts(f"shop-{i:04d}", last_run=ran("in_sync" if i % 3 else "error")) for i in range(n)]


def test_paging_fifty_a_page_problems_first() -> None:
    page = views.overview(many(120), now=NOW)
    assert (page.page, page.pages, page.total, len(page.lines)) == (1, 3, 120, 50)
    assert page.counts["error"] == 40 and page.counts["in_sync"] == 80
    assert all(line.state == "error" for line in page.lines[:40])
    assert page.lines[0].name == "shop-0000" and not page.has_prev and page.has_next
    last = views.overview(many(120), now=NOW, page=3)
    assert len(last.lines) == 20 and last.has_prev and not last.has_next
    assert views.overview(many(120), now=NOW, page=99).page == 3  # past the end: the last page


def test_filter_by_state_and_name() -> None:
    page = views.overview(many(120), now=NOW, state="error", q="SHOP-00")
    assert page.total == 34 and {line.state for line in page.lines} == {"error"}
    assert all("shop-00" in line.name for line in page.lines)
    assert views.overview(many(5), now=NOW, state="bogus").state == "all"
    assert views.overview([], now=NOW).pages == 1


def test_parse_page() -> None:
    assert [views.parse_page(v) for v in (None, "", "2", "-3", "x")] == [1, 1, 2, 1, 1]


def row(subject: str) -> DriftRow:
    return DriftRow(
        id=7,
        fingerprint="f",
        shop="a",
        aspect="pickup",
        kind="k",
        subject=subject,
        field=None,
        seller_value="pickup",
        erp_value=None,
        severity=Severity.CRITICAL,
        message="m",
        opened_at=NOW - timedelta(days=1),
        last_seen_at=NOW,
        resolved_at=None,
        opened_run="r",
        resolved_run=None,
        summary=Texts(en="sum", zh="摘要"),
        why=(Texts(en="3 pickups", zh="3 次揽收"),),
        steps=(Texts(en="step 1", zh="步骤 1"), Texts(en="step 2", zh="步骤 2")),
    )


def entry(subject: str, status: str, at: datetime) -> LedgerEntry:
    return LedgerEntry("k", "a", "pickup", "kind", "erp", subject, {}, status, 1, None, None, "r", at, at)  # type: ignore[arg-type]


def test_drift_line_fix_evidence_and_write_since_it_opened() -> None:
    old = entry("WH-1", "done", NOW - timedelta(days=2))
    new = entry("WH-1", "failed", NOW - timedelta(hours=1))
    (line,) = views.drift_lines([row("WH-1")], [new, old], "en")
    assert (line.fix, line.fix_status, line.evidence, line.erp) == ("step 1; step 2", "failed", ("3 pickups",), "")
    (zh,) = views.drift_lines([row("WH-1")], [old], "zh")
    assert (zh.fix, zh.fix_status, zh.evidence) == ("步骤 1; 步骤 2", None, ("3 次揽收",))


def test_a_run_of_many_shops_gives_each_shop_its_own_result(tmp_path: Path) -> None:
    """One failed shop makes the run ``error``; the others of that run are not in error."""
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        store.runs.begin("r1", shops=["bad", "good"], apply=False, now=NOW, host="h", pid=1)
        store.runs.finish("r1", status="error", summary={"shops_with_errors": ["bad"]}, now=NOW)
        store.runs.begin("r0", shops=["old"], apply=False, now=NOW - timedelta(hours=1), host="h", pid=1)
        store.runs.finish("r0", status="error", summary={}, now=NOW - timedelta(hours=1))  # no list: the run's word
        facts = Overview(store.engine).facts(["bad", "good", "old"])
    assert {name: f.last_run.status for name, f in facts.items() if f.last_run} == {
        "bad": "error",
        "good": "ok",
        "old": "error",
    }
    assert [views.shop_state(facts[n]) for n in ("bad", "good", "old")] == ["error", "in_sync", "error"]


def test_a_failing_aspect_is_not_hidden_by_a_later_run_of_another(tmp_path: Path) -> None:
    """``erpsync run`` runs one aspect a run: the shop is in error while any aspect's latest run
    failed, however many runs of other aspects went well since."""

    def ran(store: Store, run_id: str, aspect: str, failed: bool, minutes: int) -> None:
        at = NOW + timedelta(minutes=minutes)
        store.runs.begin(run_id, shops=["s"], apply=False, now=at, host="h", pid=1)
        summary = {"shops_with_errors": ["s"] if failed else [], "aspects": {"s": [aspect]}}
        store.runs.finish(run_id, status="error" if failed else "in_sync", summary=summary, now=at)

    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        ran(store, "r1", "tracking", True, 0)
        ran(store, "r2", "pickup", False, 1)
        ran(store, "r3", "warehouse_address", False, 2)
        facts = Overview(store.engine).facts(["s"])
        assert facts["s"].last_run.status == "ok" and facts["s"].failing.id == "r1"  # type: ignore[union-attr]
        assert views.shop_state(facts["s"]) == "error"
        ran(store, "r4", "tracking", False, 3)  # tracking went well since
        assert views.shop_state(Overview(store.engine).facts(["s"])["s"]) == "in_sync"


def test_shop_result_keeps_a_crash_or_interruption_for_every_shop() -> None:
    assert shop_result("crashed", {"shops_with_errors": []}, "a") == "crashed"
    assert shop_result("interrupted", {"shops_with_errors": ["b"]}, "a") == "interrupted"
    assert shop_result("drift", {"shops_with_errors": []}, "a") == "ok"
    assert shop_result("error", None, "a") == "error"


def test_a_run_that_checked_nothing_is_not_run_for_its_shop_and_hides_no_failing_aspect(tmp_path: Path) -> None:
    """A run whose aspects were all not run (nothing configured for them) is ``not_run``, not
    "no errors", and it does not stand for every aspect: an earlier failed tracking run still shows."""
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        store.runs.begin("r1", shops=["s"], apply=True, now=NOW, host="h", pid=1)
        failed = {"shops_with_errors": ["s"], "aspects": {"s": ["tracking"]}, "not_run": {"s": []}}
        store.runs.finish("r1", status="error", summary=failed, now=NOW)
        later = NOW + timedelta(minutes=1)
        store.runs.begin("r2", shops=["s", "t"], apply=True, now=later, host="h", pid=1)
        aspects, not_run = {"s": [], "t": ["pickup"]}, {"s": ["listings"]}
        summary = {"shops_with_errors": [], "aspects": aspects, "not_run": not_run}
        store.runs.finish("r2", status="in_sync", summary=summary, now=later)
        facts = Overview(store.engine).facts(["s", "t"])
    assert facts["s"].last_run.status == "not_run" and facts["s"].failing.id == "r1"  # type: ignore[union-attr]
    assert facts["t"].last_run.status == "ok"  # type: ignore[union-attr]
    assert views.shop_state(facts["s"]) == "error"
    assert shop_result("not_run", {"shops_with_errors": []}, "a") == "not_run"


def test_a_shop_that_failed_after_only_not_run_aspects_stays_in_error_after_another_aspects_run(
    tmp_path: Path,
) -> None:
    """A shop whose run named no aspect but some not run, and which failed (its ERP read stopped
    the shop before the aspect reported), failed at an aspect the run does not name: a later run
    of one aspect that went well does not hide the failure."""
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        store.runs.begin("r1", shops=["s"], apply=True, now=NOW, host="h", pid=1)
        failed = {"shops_with_errors": ["s"], "aspects": {"s": []}, "not_run": {"s": ["listings"]}}
        store.runs.finish("r1", status="error", summary=failed, now=NOW)
        later = NOW + timedelta(minutes=5)
        store.runs.begin("r2", shops=["s"], apply=True, now=later, host="h", pid=1)
        ok = {"shops_with_errors": [], "aspects": {"s": ["pickup"]}, "not_run": {"s": []}}
        store.runs.finish("r2", status="in_sync", summary=ok, now=later)
        facts = Overview(store.engine).facts(["s"])
    assert facts["s"].failing is not None and facts["s"].failing.id == "r1"
    assert views.shop_state(facts["s"]) == "error"


def test_a_shops_run_history_shows_its_own_result_as_its_last_run_does(tmp_path: Path) -> None:
    """A run over two shops stored ``in_sync``, in which s checked nothing: s's history row says
    "nothing checked" like its last run, not the run's overall "in sync"."""
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        store.runs.begin("r1", shops=["s", "t"], apply=True, now=NOW, host="h", pid=1)
        aspects, not_run = {"s": [], "t": ["tracking"]}, {"s": ["tracking"], "t": []}
        summary = {"shops_with_errors": [], "aspects": aspects, "not_run": not_run}
        store.runs.finish("r1", status="in_sync", summary=summary, now=NOW)
        overview = Overview(store.engine)
        facts = overview.facts(["s", "t"])
        history_of_s, history_of_t = overview.runs_of("s"), overview.runs_of("t")
    assert facts["s"].last_run is not None and facts["s"].last_run.status == "not_run"
    assert [r.status for r in history_of_s] == ["not_run"]
    assert [r.status for r in history_of_t] == ["ok"]


def test_a_shop_whose_aspects_last_checked_nothing_is_not_in_sync(tmp_path: Path) -> None:
    """Its own state, "nothing checked", while the latest run of each of its aspects was not run;
    one aspect's run that checked something (under ``erpsync run``, one aspect a run) is enough
    for "in sync", whichever aspect ran last."""

    def ran(store: Store, run_id: str, minutes: int, checked: list[str], skipped: list[str]) -> None:
        at = NOW + timedelta(minutes=minutes)
        store.runs.begin(run_id, shops=["s"], apply=False, now=at, host="h", pid=1)
        summary = {"shops_with_errors": [], "aspects": {"s": checked}, "not_run": {"s": skipped}}
        store.runs.finish(run_id, status="in_sync" if checked else "not_run", summary=summary, now=at)

    def state(store: Store) -> str:
        return views.shop_state(Overview(store.engine).facts(["s"])["s"])

    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        ran(store, "r1", 0, [], ["listings", "tracking"])
        assert state(store) == "not_run"
        assert views.overview(Overview(store.engine).facts(["s"]).values(), now=NOW).counts["not_run"] == 1
        ran(store, "r2", 1, ["pickup"], [])
        ran(store, "r3", 2, [], ["listings"])  # the last run checked nothing, pickup's did
        assert state(store) == "in_sync"
        ran(store, "r4", 3, [], ["pickup"])  # now pickup is not run either
        assert state(store) == "not_run"


def test_kept_unchecked_follows_each_aspects_latest_run() -> None:
    """An aspect's latest run decides: kept unchecked while it is not run, gone once it ran again."""

    def run(run_id: str, minutes: int, ran: list[str], skipped: list[str], kept: dict) -> RunRow:
        summary = {"aspects": {"s": ran}, "not_run": {"s": skipped}, "kept_unchecked": {"s": kept}}
        at = NOW + timedelta(minutes=minutes)
        return RunRow(run_id, at, at, False, ("s",), "in_sync", summary)

    tracking_kept = run("r1", 0, [], ["tracking", "listings"], {"tracking": [2, "no shipments"], "listings": [1, "x"]})
    listings_ran = run("r2", 1, ["listings"], [], {})
    lines = views.kept_unchecked([listings_ran, tracking_kept], "s")  # newest first
    assert lines == [views.UncheckedLine("tracking", 2, "no shipments", NOW)]
    assert views.kept_unchecked([listings_ran, tracking_kept], "other") == []
