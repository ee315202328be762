"""An aspect with nothing configured for it is reported as not run, never as in sync.

A files ERP without a ``products`` or ``shipments`` file keeps no products or shipments: the
listings and tracking aspects have nothing to compare or push, and ``reconcile --aspect
listings`` said "In sync", ``push tracking`` "nothing to push", as if both sides had been read
and agreed. Neither aspect reads Seller Center then, so these runs need no seller server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from files_shop_config import write_config

from erpsync.cli import State, cli
from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext
from erpsync.core.connector import Connector
from erpsync.core.models import Action, Drift, Severity
from erpsync.core.store import Store
from erpsync.core.store.overview import Overview
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import get_plugin_manager
from erpsync.ui import views


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


def invoke(config: Path, *args: str) -> tuple[int, str]:
    """The exit code and stdout (the progress lines go to stderr)."""
    state = State(str(config), pm=get_plugin_manager(entrypoints=False))
    result = CliRunner().invoke(cli, ["-c", str(config), *args], obj=state)
    return result.exit_code, result.stdout


def test_reconcile_of_unconfigured_aspects_says_nothing_was_checked(config: Path) -> None:
    code, out = invoke(config, "reconcile", "--aspect", "listings", "--aspect", "tracking")
    assert code == 0, out
    assert "In sync" not in out
    assert "Nothing checked: 2 aspect(s) not run on 1 shop(s)" in out
    assert "acme/listings: ERP 'files' keeps no products: not run" in out
    assert "acme/tracking: ERP 'files' keeps no shipments: not run" in out


def test_the_chinese_summary_says_so_too(config: Path) -> None:
    code, out = invoke(config, "reconcile", "--aspect", "listings", "--lang", "zh")
    assert code == 0, out
    assert "一致" not in out and "未运行" in out


def test_json_names_why_each_aspect_was_not_run(config: Path) -> None:
    code, out = invoke(config, "reconcile", "--aspect", "listings", "--format", "json")
    assert code == 0, out
    (aspect,) = json.loads(out)["shops"][0]["aspects"]
    assert aspect["aspect"] == "listings" and aspect["not_run"] == "ERP 'files' keeps no products"


def test_json_is_not_in_sync_when_no_aspect_was_checked(config: Path) -> None:
    code, out = invoke(config, "reconcile", "--aspect", "listings", "--aspect", "tracking", "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert all(a["not_run"] for s in doc["shops"] for a in s["aspects"])
    assert doc["in_sync"] is False


def test_a_run_that_checked_nothing_is_stored_as_not_run_with_no_aspect_run(config: Path) -> None:
    code, out = invoke(config, "reconcile", "--aspect", "listings", "--aspect", "tracking", "--format", "json")
    assert code == 0, out
    state = State(str(config), pm=get_plugin_manager(entrypoints=False))
    with Store.open(state.settings().state_url) as store:
        row = store.runs.get(json.loads(out)["run_id"])
    assert row is not None and row.status == "not_run"
    assert row.summary["aspects"] == {"acme": []}
    assert row.summary["not_run"] == {"acme": ["tracking", "listings"]}  # as registered, however named


def test_the_status_page_shows_a_shop_that_checked_nothing_as_such_not_in_sync(config: Path) -> None:
    code, out = invoke(config, "reconcile", "--aspect", "listings", "--aspect", "tracking")
    assert code == 0, out
    with Store.open(State(str(config), pm=get_plugin_manager(entrypoints=False)).settings().state_url) as store:
        facts = Overview(store.engine).facts(["acme"])["acme"]
    assert views.shop_state(facts) == "not_run"


@pytest.mark.parametrize(("aspect", "why"), [("listings", "products"), ("tracking", "shipments")])
def test_push_of_an_unconfigured_aspect_says_not_run_not_nothing_to_push(config: Path, aspect: str, why: str) -> None:
    code, out = invoke(config, "push", aspect)
    assert code == 0, out
    assert out.splitlines() == [f"acme: not run: ERP 'files' keeps no {why}"]


def test_beside_aspects_that_ran_the_summary_counts_those_not_run() -> None:
    from datetime import UTC, datetime

    from erpsync import render
    from erpsync.core.models import AspectReport, RunReport, ShopReport

    ran, skipped = AspectReport("pickup"), AspectReport("listings", not_run="ERP 'files' keeps no products")
    report = RunReport(
        "r", apply=False, started_at=datetime(2026, 1, 1, tzinfo=UTC), shops=[ShopReport("acme", [ran, skipped])]
    )
    assert render.summary(report, "en") == (
        "In sync: 1 shop(s), no drift. 1 aspect(s) not run, nothing configured or enabled for them: see the notes."
    )


class _Shelf(Aspect):
    """A plugin aspect as docs/plugins.md describes one: with nothing configured it sets only
    ``Observation.not_run`` and returns, leaving ``scope`` at None."""

    name = "shelf"
    configured = True

    def observe(self, ctx: ObserveContext) -> Observation:
        obs = Observation(shop=ctx.shop, now=ctx.now)
        if not self.configured:
            obs.not_run = "ERP 'files' keeps no shelves"
        return obs

    def diff(self, observation: Observation) -> list[Drift]:
        if observation.not_run:
            return []
        return [Drift(observation.shop, "shelf", "shelf_missing", "S1", "shelf", "a", "b", Severity.WARNING, "S1")]

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        return []

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        return None


def test_a_plugin_aspect_not_run_leaves_its_open_drifts_open(config: Path) -> None:
    """The host empties a not-run observation's scope: a run that checked nothing resolves nothing."""
    shelf = _Shelf()

    class ShelfPlugin:
        @hookimpl
        def register_aspects(self, register: Callable[[Aspect], None]) -> None:
            register(shelf)

    pm = get_plugin_manager(entrypoints=False)
    pm.register(ShelfPlugin(), name="shelf")

    def reconcile() -> str:
        args = ["-c", str(config), "reconcile", "--aspect", "shelf"]
        return CliRunner().invoke(cli, args, obj=State(str(config), pm=pm)).stdout

    assert "1 drift" in reconcile()
    shelf.configured = False
    assert "Nothing checked" in reconcile()
    with Store.open(State(str(config), pm=pm).settings().state_url) as store:
        assert [d.subject for d in store.drifts.list_open("acme")] == ["S1"]


def test_open_drifts_of_an_aspect_now_not_run_stay_open_and_are_named(config: Path) -> None:
    """Built-in aspects that ran before (their drifts open in the store) and are now not run, one
    no longer enabled and one whose ERP keeps no shipments: nothing was checked, so nothing
    resolves, and each aspect's report says how many of its drifts stay open unchecked, and why."""
    config.write_text(
        config.read_text(encoding="utf-8").replace('name = "acme"\n', 'name = "acme"\naspects = ["tracking"]\n')
    )
    settings = State(str(config), pm=get_plugin_manager(entrypoints=False)).settings()
    from datetime import UTC, datetime

    earlier = datetime(2026, 1, 1, tzinfo=UTC)

    def drift(aspect: str, subject: str) -> Drift:
        return Drift("acme", aspect, "differs", subject, "x", "a", "b", Severity.WARNING, f"{subject} differs")

    with Store.open(settings.state_url) as store:
        store.drifts.record(
            "acme", "listings", [drift("listings", "P1"), drift("listings", "P2")], now=earlier, run_id="r0"
        )
        store.drifts.record("acme", "tracking", [drift("tracking", "PKG-1")], now=earlier, run_id="r0")

    code, out = invoke(config, "reconcile", "--aspect", "listings", "--aspect", "tracking")
    assert code == 0, out
    assert "acme/listings: 2 open drift(s) kept unchecked: not enabled for this shop" in out
    assert "acme/tracking: 1 open drift(s) kept unchecked: ERP 'files' keeps no shipments" in out
    code, out = invoke(config, "reconcile", "--aspect", "listings", "--aspect", "tracking", "--format", "json")
    doc = json.loads(out)
    (tracking, listings) = doc["shops"][0]["aspects"]  # as registered, however named
    assert (listings["kept_unchecked"], tracking["kept_unchecked"]) == (2, 1)
    assert "1 open drift(s) kept unchecked: ERP 'files' keeps no shipments" in tracking["notes"]
    with Store.open(settings.state_url) as store:
        assert len(store.drifts.list_open("acme")) == 3  # nothing checked, nothing resolved
        row = store.runs.get(doc["run_id"])
    assert row is not None and row.summary["kept_unchecked"] == {
        "acme": {"listings": [2, "not enabled for this shop"], "tracking": [1, "ERP 'files' keeps no shipments"]}
    }
