"""Test helper (not a test module): the sandbox and erpsync on one moved clock, for pickup scenarios.

The sandbox's virtual now is the wall clock plus an offset that only ``POST /_sandbox/clock``
grows. erpsync's clock here is the wall clock plus the same offset, read back from the sandbox
after every move, so the two never drift apart and a ``Syncer`` run sees what a cron run at
that moment would. The real ``erpsync`` command reads the wall clock, so it is in step only at
offset zero: a story that ends in a CLI run starts in the past (``open_world(start=...)``) and
is moved forward to the present before the command runs.

The ``test_pickup_scenarios*`` files import it as ``from pickup_world import ...``.
"""

from __future__ import annotations

import copy
import csv
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from erpsync.core.models import Drift, RunReport
from erpsync.plugins.manager import load_settings
from erpsync.sandbox import SandboxServer
from erpsync.sync import Syncer

#: the CLI reads the wall clock: a world more than this far from it is not in step with the command
IN_STEP_SECONDS = 5


def scenario(name: str = "demo") -> dict[str, Any]:
    """A fresh copy of a built-in sandbox scenario, to edit before opening a world on it."""
    path = resources.files("erpsync.sandbox").joinpath("scenarios", f"{name}.json")
    return copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))


def warehouse_of(data: dict[str, Any], warehouse_id: str) -> dict[str, Any]:
    """A warehouse of a scenario (for edits such as its city)."""
    return next(w for shop in data["shops"] for w in shop["warehouses"] if w["id"] == warehouse_id)


class World:
    """One sandbox and the workspace that talks to it; every move of time moves both clocks."""

    def __init__(self, ws: Any, pm: Any, registry: Any) -> None:
        self.ws, self.pm, self.registry = ws, pm, registry
        self.offset = 0.0
        self.advance()  # reads the sandbox's offset (a world may start in the past)

    # -- time ------------------------------------------------------------------------------

    def now(self) -> datetime:
        """erpsync's clock: the sandbox's virtual now."""
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def advance(self, **span: float) -> None:
        """Move both clocks forward by ``timedelta(**span)`` (``hours=5``, ``days=15``)."""
        seconds = timedelta(**span).total_seconds()
        self.offset = float(self.ws.admin("POST", "clock", {"advance_seconds": seconds})["offset_seconds"])

    # -- erpsync ---------------------------------------------------------------------------

    def run(self, *, apply: bool = False, aspects: tuple[str, ...] | None = ("pickup",)) -> RunReport:
        """One reconcile run at the world's now, as a cron job would start it."""
        syncer = Syncer(
            load_settings(self.ws.config, self.registry), pm=self.pm, registry=self.registry, clock=self.now
        )
        try:
            return syncer.run(aspects=list(aspects) if aspects else None, apply=apply)
        finally:
            syncer.close()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The real ``erpsync`` command; only in step with the sandbox at the present."""
        assert abs(self.offset) < IN_STEP_SECONDS, f"the CLI reads the wall clock; the world is {self.offset:.0f} s off"
        return self.ws.cli(*args)

    def set_erp(self, modes: dict[str, str]) -> None:
        """The ERP agrees with Seller Center on addresses; ``modes`` are its handover modes."""
        self.ws.write_erp(self.ws.erp_rows_matching_seller(modes))

    def switch_erp(self, warehouse_id: str, mode: str) -> None:
        """Ops change one warehouse's handover mode in the ERP; nothing else in its file changes."""
        with self.ws.erp_file.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            if row["seller_warehouse_id"] == warehouse_id:
                row["handover_mode"] = mode
        self.ws.write_erp(rows)

    def erp_modes(self) -> dict[str, str]:
        """The ERP's handover mode per seller warehouse, as its file holds it now."""
        with self.ws.erp_file.open(encoding="utf-8", newline="") as fh:
            return {row["seller_warehouse_id"]: row["handover_mode"] for row in csv.DictReader(fh)}

    # -- Seller Center, the provider and the driver (the sandbox's admin API) ---------------

    def warehouse(self, warehouse_id: str) -> dict[str, Any]:
        return next(w for w in self.ws.admin("GET", "state")["warehouses"] if w["id"] == warehouse_id)

    def status(self, warehouse_id: str) -> str:
        """The subscription status as Seller Center holds it (what erpsync has to infer)."""
        return str(self.warehouse(warehouse_id)["subscription"]["status"])

    def resave(self, warehouse_id: str, mark: str = "，") -> None:
        """Save the address with a punctuation mark added: the switch notice's way to (re)request pickup (Q4)."""
        line = self.warehouse(warehouse_id)["address"]["address_line1"]
        self.ws.admin("POST", f"warehouses/{warehouse_id}/address", {"address_line1": line + mark})

    def review(self, warehouse_id: str, **body: Any) -> None:
        """``delay_hours=None``: the provider never calls; ``complete=True``: it calls now."""
        self.ws.admin("POST", f"warehouses/{warehouse_id}/review", body)

    def decline(self, warehouse_id: str) -> None:
        """The provider calls and the seller says pickup is not needed."""
        self.ws.admin("POST", f"warehouses/{warehouse_id}/decline")

    def add_package(self, warehouse_id: str, **body: Any) -> dict[str, Any]:
        """A new package; its label follows the subscription unless ``handover_method`` says otherwise."""
        return dict(self.ws.admin("POST", "packages", {"warehouse_id": warehouse_id, **body})["packages"][0])

    def collect(self, package_id: str) -> None:
        """The parcel is handed over."""
        self.ws.admin("POST", f"packages/{package_id}/collect")


@contextmanager
def open_world(
    ws: Any, pm: Any, registry: Any, data: dict[str, Any] | None = None, *, start: timedelta | None = None
) -> Iterator[World]:
    """A world on ``data`` (default: ``ws``'s scenario) whose clock starts ``start`` before now.

    ``ws`` is a workspace fixture (``demo_ws``): the world writes its config and ERP files, against
    a sandbox of its own, since the fixture's sandbox starts at the wall clock.
    """
    data = copy.deepcopy(data) if data is not None else scenario(ws.scenario)
    if start is not None:
        data["clock_start"] = f"-{int(start.total_seconds())}s"
    with SandboxServer(data) as server:
        moved = replace(ws, url=server.url)
        moved.write_config()
        yield World(moved, pm, registry)


def kinds(report: RunReport, warehouse_id: str | None = None) -> set[tuple[str, str]]:
    """(kind, warehouse) of every drift, or of one warehouse's."""
    return {(d.kind, d.subject) for d in report.drifts if warehouse_id in (None, d.subject)}


def drift(report: RunReport, kind: str, warehouse_id: str) -> Drift:
    found = [d for d in report.drifts if d.kind == kind and d.subject == warehouse_id]
    assert len(found) == 1, (kind, warehouse_id, kinds(report))
    return found[0]


def events(alerts: list[dict[str, Any]], warehouse_id: str | None = None) -> list[tuple[str, str]]:
    """(event, kind) of the alert sink's lines, in order; of one warehouse's if given."""
    return [(a["event"], a["kind"]) for a in alerts if warehouse_id in (None, a["subject"])]
