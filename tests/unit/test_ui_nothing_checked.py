"""The status page's "nothing checked": said only when every aspect of the shop has a verdict and
each says nothing was checked, however far back the latest run of one of them lies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import erpsync.core.store.overview as overview_module
from erpsync.core.store import Store
from erpsync.core.store.overview import Overview
from erpsync.ui import views
from erpsync.ui.queries import Queries

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def ran(store: Store, run_id: str, minutes: int, shop: str, checked: list[str], skipped: list[str]) -> None:
    """One finished run of ``shop`` that checked the aspects ``checked`` and not run ``skipped``."""
    at = NOW + timedelta(minutes=minutes)
    store.runs.begin(run_id, shops=[shop], apply=False, now=at, host="h", pid=1)
    summary = {"shops_with_errors": [], "aspects": {shop: checked}, "not_run": {shop: skipped}}
    store.runs.finish(run_id, status="in_sync" if checked else "not_run", summary=summary, now=at)


def state(store: Store, shop: str = "s") -> str:
    return views.shop_state(Overview(store.engine).facts([shop])[shop])


def test_an_aspect_whose_latest_run_is_older_than_the_scan_does_not_make_the_shop_nothing_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """s checks with its hourly listings run; its tracking runs every few minutes are not run.
    Other shops' runs push the listings run out of the scanned runs: the scan no longer says
    what listings did, so s is not "nothing checked"."""
    monkeypatch.setattr(overview_module, "RUN_SCAN", 10)
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        ran(store, "listings", 0, "s", ["listings"], [])
        for i in range(12):
            if i % 4 == 0:
                ran(store, f"tracking-{i}", 1 + i, "s", [], ["tracking"])
            else:
                ran(store, f"other-{i}", 1 + i, f"t{i}", ["pickup"], [])
        assert state(store) == "in_sync"


def test_a_complete_scan_still_says_nothing_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every run scanned, the aspects the runs name are all there are to know."""
    monkeypatch.setattr(overview_module, "RUN_SCAN", 10)
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        for i in range(9):
            ran(store, f"tracking-{i}", i, "s", [], ["tracking"])
        assert state(store) == "not_run"


def test_an_aspect_the_shop_no_longer_runs_does_not_vouch_for_it(tmp_path: Path) -> None:
    """Listings was taken out of s's ``aspects``: under ``erpsync run`` it gets no more runs, so
    its last run, which checked, must not keep s "in sync" while tracking, all s runs now,
    checks nothing. The overview judges the aspects the config gives (as the status page does)."""
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        ran(store, "listings", 0, "s", ["listings"], [])
        for i in range(3):
            ran(store, f"tracking-{i}", 10 + i, "s", [], ["tracking"])
        facts = Overview(store.engine).facts(["s"], aspects={"s": ["tracking"]})
        assert views.shop_state(facts["s"]) == "not_run"
        page = Queries(store, configured=["s"], aspects=lambda shop: ["tracking"])
        assert views.shop_state(page.facts()["s"]) == "not_run"


def test_an_aspect_the_shop_runs_without_a_verdict_does_not_make_it_nothing_checked(tmp_path: Path) -> None:
    """s runs listings and tracking; only tracking ran yet, and checked nothing: listings may
    still check the shop, so it is not "nothing checked" until listings says so too."""
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        ran(store, "tracking", 0, "s", [], ["tracking"])
        runs_now = {"s": ["listings", "tracking"]}
        assert views.shop_state(Overview(store.engine).facts(["s"], aspects=runs_now)["s"]) == "in_sync"
        ran(store, "listings", 1, "s", [], ["listings"])
        assert views.shop_state(Overview(store.engine).facts(["s"], aspects=runs_now)["s"]) == "not_run"
