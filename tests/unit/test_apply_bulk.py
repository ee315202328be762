"""The host's bulk path (``Aspect.bulk_kinds`` / ``apply_many``): many writes a call, each with its
own ledger outcome; "already done" never sent again; a crash mid-way doubles nothing.

Real parts throughout: the plugin manager, the SQLite store, the Syncer. The aspect and the
seller backend are a plugin's, held in memory as plain data: a seller that ships packages many a
call and answers each apart (as Batch Ship Packages does), and an aspect that pushes the ERP's
tracking numbers to it.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest
from marshmallow import Schema

from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext
from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.core.models import Action, AspectReport, Drift, Records, RunReport, Severity, Warehouse
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer


class Parcels(Connector):
    """Seller Center's packages in memory. The next ``lagging_reads`` reads show nothing shipped
    (a read index behind the writes)."""

    type = "parcels"
    role = "seller"

    class Options(Schema):
        pass

    shipped: ClassVar[dict[str, str]] = {}  # package → tracking number
    ships: ClassVar[Counter[str]] = Counter()  # package → times really shipped (must never exceed 1)
    calls: ClassVar[list[list[str]]] = []  # the packages of each ship call
    refused: ClassVar[set[str]] = set()
    lagging_reads = 0
    #: after this many ship calls, the next ships its packages and then the process "dies"
    crash_after: int | None = None

    def list_warehouses(self) -> Records[Warehouse]:
        return Records()  # a seller connector implements a capability; this one has no warehouses

    def read_shipped(self) -> dict[str, str]:
        if Parcels.lagging_reads > 0:
            Parcels.lagging_reads -= 1
            return {}
        return dict(Parcels.shipped)

    def ship(self, requests: Sequence[tuple[str, str]]) -> dict[str, str | None]:
        """Each package's error, None when shipped (or found shipped already: a retry's answer)."""
        Parcels.calls.append([package for package, _ in requests])
        answer: dict[str, str | None] = {}
        for package, number in requests:
            if package in Parcels.refused:
                answer[package] = f"package {package}: the carrier refused the tracking number {number}"
            elif package not in Parcels.shipped:
                Parcels.shipped[package] = number
                Parcels.ships[package] += 1
                answer[package] = None
            else:
                answer[package] = None
        if Parcels.crash_after is not None and len(Parcels.calls) > Parcels.crash_after:
            raise Killed  # shipped, answer lost with the process: ledger rows stay pending
        return answer

    def check(self) -> str:
        return "parcels"


class Killed(BaseException):
    """The process dying mid-call (kill -9): nothing after it runs, not even ``except Exception``."""


@dataclass
class ParcelObservation(Observation):
    wanted: dict[str, str] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)


class ParcelAspect(Aspect):
    """The ERP's tracking numbers (``wanted``, plain data), pushed once each, 3 per call."""

    name = "parcels"
    bulk_kinds = frozenset(["ship"])
    bulk_size = 3
    wanted: ClassVar[dict[str, str]] = {}
    fail_call = False  # the whole call fails (the backend down)

    def observe(self, ctx: ObserveContext) -> ParcelObservation:
        shown = ctx.seller.read_shipped()  # type: ignore[attr-defined]
        return ParcelObservation(shop=ctx.shop, now=ctx.now, wanted=dict(self.wanted), shown=shown)

    def diff(self, observation: Observation) -> list[Drift]:
        assert isinstance(observation, ParcelObservation)
        return [
            Drift(observation.shop, self.name, "not_shipped", pkg, "tracking_number", None, number, Severity.INFO, pkg)
            for pkg, number in observation.wanted.items()
            if observation.shown.get(pkg) != number
        ]

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        return [
            Action(
                d.shop,
                self.name,
                "ship",
                "seller",
                d.subject,
                None,
                d.erp_value,
                f"ship {d.subject}",
                (d.fingerprint,),
                False,
            )
            for d in drifts
            if decide(d) == "erp"
        ]

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        error = self.apply_many([action], seller, erp)[0]
        if error is not None:
            raise error

    def apply_many(self, actions: Sequence[Action], seller: Connector, erp: Connector) -> list[Exception | None]:
        if ParcelAspect.fail_call:
            raise TemporaryError("the seller backend is down", connector="parcels", operation="ship")
        answer = seller.ship([(a.subject, a.value or "") for a in actions])  # type: ignore[attr-defined]
        return [None if answer[a.subject] is None else PermanentError(answer[a.subject]) for a in actions]


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(Parcels)

    @hookimpl
    def register_aspects(self, register):
        register(ParcelAspect())


@pytest.fixture
def make(tmp_path: Path):
    Parcels.shipped, Parcels.ships, Parcels.calls, Parcels.refused = {}, Counter(), [], set()
    Parcels.lagging_reads, Parcels.crash_after, ParcelAspect.fail_call = 0, None, False
    ParcelAspect.wanted = {f"P{i}": f"SF{i}" for i in range(1, 8)}  # 7 packages: calls of 3, 3, 1
    (tmp_path / "erp").mkdir()
    (tmp_path / "erpsync.toml").write_text(
        '[[shops]]\nname = "s"\naspects = ["parcels"]\n[shops.seller]\ntype = "parcels"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\n[policy]\nparcels = "erp"\n',
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    syncers: list[Syncer] = []

    def build() -> Syncer:
        syncer = Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry)
        syncers.append(syncer)
        return syncer

    yield build
    for syncer in syncers:
        syncer.close()


def parcels_report(report: RunReport) -> AspectReport:
    return report.shops[0].aspects[0]


def statuses(report: RunReport) -> dict[str, str]:
    return {r.action.subject: r.status for r in parcels_report(report).actions}


def ledger(syncer: Syncer) -> dict[str, tuple[str, str | None]]:
    return {e.subject: (e.status, e.last_error) for e in syncer.store.ledger.list_entries(shop="s")}


def test_many_per_call_each_with_its_own_outcome_and_a_refused_one_fails_alone(make):
    Parcels.refused = {"P5"}
    syncer = make()
    report = syncer.run(apply=True)
    assert Parcels.calls == [["P1", "P2", "P3"], ["P4", "P5", "P6"], ["P7"]]
    assert statuses(report) == {f"P{i}": "failed" if i == 5 else "applied" for i in range(1, 8)}
    failed = next(r for r in parcels_report(report).actions if r.status == "failed")
    assert failed.detail == "package P5: the carrier refused the tracking number SF5"
    rows = ledger(syncer)
    assert {p: s for p, (s, _) in rows.items()} == {f"P{i}": "failed" if i == 5 else "done" for i in range(1, 8)}
    assert rows["P5"][1] == "package P5: the carrier refused the tracking number SF5"
    assert report.exit_code == 1 and Parcels.ships == Counter({f"P{i}": 1 for i in range(1, 8) if i != 5})

    Parcels.refused = set()
    again = syncer.run(apply=True)  # the next run sends only what is still missing
    assert statuses(again) == {"P5": "applied"} and Parcels.calls[-1] == ["P5"]
    assert again.exit_code == 0 and max(Parcels.ships.values()) == 1 and len(Parcels.ships) == 7


def test_a_push_the_ledger_has_done_is_skipped_never_sent_again(make):
    Parcels.lagging_reads = 3  # reads show nothing shipped yet: the drifts stay open, same occurrence
    syncer = make()
    syncer.run(apply=True)  # observe, ship, re-read (the re-read says "not there yet")
    assert len(Parcels.calls) == 3 and {s for s, _ in ledger(syncer).values()} == {"done"}
    second = syncer.run(apply=True)
    assert statuses(second) == dict.fromkeys(ParcelAspect.wanted, "skipped")
    assert {r.detail for r in parcels_report(second).actions} == {"already done (ledger)"}
    assert len(Parcels.calls) == 3 and set(Parcels.ships.values()) == {1}


def test_a_call_that_fails_whole_fails_each_of_its_writes_with_the_error(make):
    ParcelAspect.fail_call = True
    syncer = make()
    report = syncer.run(apply=True)
    assert set(statuses(report).values()) == {"failed"} and len(statuses(report)) == 7
    assert all("the seller backend is down" in (r.detail or "") for r in parcels_report(report).actions)
    assert {s for s, _ in ledger(syncer).values()} == {"failed"}


def test_a_crash_mid_way_leaves_one_call_pending_and_the_rerun_ships_nothing_twice(make):
    Parcels.crash_after = 1  # the second call ships P4-P6, then the process dies
    syncer = make()
    with pytest.raises(Killed):
        syncer.run(apply=True)
    rows = ledger(syncer)
    assert {p: s for p, (s, _) in rows.items()} == {"P1": "done", "P2": "done", "P3": "done"} | dict.fromkeys(
        ["P4", "P5", "P6"], "pending"
    )
    Parcels.crash_after = None
    rerun = make().run(apply=True)
    assert statuses(rerun) == {"P7": "applied"}  # P4-P6 are seen shipped: not planned again
    assert Parcels.ships == Counter({f"P{i}": 1 for i in range(1, 8)})
    assert {s for s, _ in ledger(syncer).values()} == {"done"}  # the pending rows settled
    assert any("left pending by run" in note for note in parcels_report(rerun).notes)


def test_a_crash_before_the_answer_is_retried_under_the_same_key_and_counts_as_done(make):
    Parcels.crash_after, Parcels.lagging_reads = 0, 2  # the first call ships P1-P3; reads lag behind
    syncer = make()
    with pytest.raises(Killed):
        syncer.run(apply=True)
    Parcels.crash_after = None
    rerun = make().run(apply=True)  # P1-P3 still look unshipped: sent again, "already shipped"
    assert set(statuses(rerun).values()) == {"applied"} and Parcels.calls[1] == ["P1", "P2", "P3"]
    assert Parcels.ships == Counter({f"P{i}": 1 for i in range(1, 8)})
    entries = {e.subject: e for e in syncer.store.ledger.list_entries(shop="s")}
    assert len(entries) == 7 and {e.status for e in entries.values()} == {"done"}
    assert [entries[p].attempts for p in ("P1", "P4")] == [2, 1]  # one row per push, retried


def test_a_stop_is_seen_between_calls_and_the_calls_not_started_leave_no_row(make):
    syncer = make()

    def say(message: str) -> None:
        if message.startswith("s: parcels: ship P4"):  # SIGTERM while the second call is in hand
            syncer._stop.signum = signal.SIGTERM

    report = syncer.run(apply=True, progress=say)
    assert Parcels.calls == [["P1", "P2", "P3"], ["P4", "P5", "P6"]]
    assert statuses(report) == {f"P{i}": "applied" for i in range(1, 7)}
    assert sorted(ledger(syncer)) == [f"P{i}" for i in range(1, 7)]  # P7: not attempted, no row
    assert report.interrupted == signal.SIGTERM and "6 correction(s) applied" in (report.shops[0].error or "")
