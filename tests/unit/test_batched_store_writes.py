"""Store writes per shop and aspect, not per warehouse: the observation memory reads the shop once
and writes what changed in one transaction; the ledger begins and finishes an aspect's batch in
one transaction each. Commits are counted with SQLAlchemy's ``commit`` event on the real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from test_batched_writes import Plugin, make_syncer

from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext
from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError
from erpsync.core.models import Action, Drift
from erpsync.core.ports import ObservationMemory, Sighting
from erpsync.core.store import Store
from erpsync.plugins import hookimpl

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BOTH = '"warehouse_address", "pickup"'


def commits_of_a_run(tmp_path: Path, warehouses: int, *, apply: bool) -> tuple[int, int]:
    """(commits while the shop's run holds its lease, corrections applied) with ``warehouses`` warehouses.

    Alert delivery comes after the shop's run and marks each alert sent in its own commit (a send
    and its record go together), so it grows with the alerts, not the store writes of the run.
    """
    syncer = make_syncer(tmp_path, warehouses, wrong_phones=warehouses, aspects=BOTH)
    syncer.run()  # the first run creates the state database; count a run over a known shop
    count, in_shop = [0], [False]
    event.listen(syncer.store._engine, "commit", lambda _conn: count.__setitem__(0, count[0] + in_shop[0]))
    run_shop = syncer._run_shop

    def counted(*args: Any, **kwargs: Any) -> Any:
        in_shop[0] = True
        try:
            return run_shop(*args, **kwargs)
        finally:
            in_shop[0] = False

    syncer._run_shop = counted  # type: ignore[method-assign]
    report = syncer.run(apply=apply)
    assert report.shops[0].error is None
    applied = sum(r.status == "applied" for a in report.shops[0].aspects for r in a.actions)
    syncer.close()
    return count[0], applied


@pytest.mark.parametrize("apply", [False, True])
def test_a_shops_commits_do_not_grow_with_its_warehouses(tmp_path: Path, apply: bool) -> None:
    few, few_applied = commits_of_a_run(tmp_path / "two", 2, apply=apply)
    many, many_applied = commits_of_a_run(tmp_path / "fifty", 50, apply=apply)
    assert (few_applied, many_applied) == ((2, 50) if apply else (0, 0))
    assert few == many, (few, many)


def test_the_deferred_memory_reads_once_and_writes_at_flush_all_together(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.observations.record("acme", "k1", "a", now=T0)
        memory = store.observations.for_shop("acme", deferred=True)
        assert isinstance(memory, ObservationMemory)
        t1 = T0 + timedelta(hours=1)
        seen = memory.observe("k1", "b", t1)
        assert (seen.changed_at, seen.previous, seen.previous_seen_at) == (t1, "a", T0)
        assert memory.observe("k2", "x", t1) == Sighting("x", first_seen_at=t1)
        assert memory.observe("k1", "b", t1) == seen  # answered from the snapshot, as noted
        assert store.observations.of_shop("acme")["k1"].fingerprint == "a"  # nothing written yet
        count = [0]
        event.listen(store._engine, "commit", lambda _conn: count.__setitem__(0, count[0] + 1))
        memory.flush()
        memory.flush()  # nothing new: no transaction
        assert count == [1]
        rows = store.observations.of_shop("acme")
        assert (rows["k1"].fingerprint, rows["k1"].previous_fingerprint, rows["k2"].fingerprint) == ("b", "a", "x")
        assert store.observations.record("acme", "k1", "b", now=t1) == seen  # the store's own semantics


class Noting(Aspect):
    """A plugin's aspect that notes a sighting per warehouse, then fails if told to."""

    name = "noting"
    fail = False

    def observe(self, ctx: ObserveContext) -> Observation:
        for warehouse in range(3):
            ctx.memory.observe(f"seen:W{warehouse}", "yes", ctx.now)
        if Noting.fail:
            raise PermanentError("the seller went away half-way", connector="memory", operation="read")
        return Observation(ctx.shop, ctx.now)

    def diff(self, observation: Observation) -> list[Drift]:
        return []

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        return []

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        raise AssertionError("nothing is planned")


class NotingPlugin(Plugin):
    @hookimpl
    def register_aspects(self, register):
        register(Noting())


@pytest.mark.parametrize("fail", [True, False])
def test_an_observation_that_fails_half_way_writes_none_of_its_sightings(tmp_path: Path, fail: bool) -> None:
    syncer = make_syncer(tmp_path, 1, wrong_phones=0, aspects='"noting"', plugin=NotingPlugin())
    Noting.fail = fail
    report = syncer.run()
    assert (report.shops[0].error is not None) == fail
    expected = set() if fail else {"seen:W0", "seen:W1", "seen:W2"}
    assert set(syncer.store.observations.of_shop("s")) == expected
    syncer.close()
