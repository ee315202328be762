"""Guards on the host (``Syncer.run``): drift identity, the ledger of a failed write, a lost lease,
and the redaction of errors. Each test drives a real run (real plugin manager, real SQLite store)
with two in-memory connectors registered through the same hook a third-party plugin uses, so it
fails if the host stops doing the thing, whichever part of the host is rewritten.

Store calls are few and kept in the helpers ``ledger_of`` and ``take_over_lease`` below.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from marshmallow import Schema, fields

from erpsync.core.connector import Connector
from erpsync.core.errors import ErpsyncError, PermanentError, RecordError
from erpsync.core.models import Address, Records, RunReport, Warehouse
from erpsync.core.store import Store
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

SECRET = "SEKRIT-token-9f8e7d6c"
SELLER = Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")


@dataclass
class World:
    """What the two in-memory systems hold and do; each test sets it before a run."""

    seller_address: Address = SELLER
    erp_address: Address = field(default_factory=lambda: replace(SELLER, contact_person="李娜"))
    seller_error: Exception | None = None
    seller_record_errors: tuple[RecordError, ...] = ()
    erp_write_error: Exception | None = None
    on_seller_read: Callable[[], None] | None = None
    erp_writes: list[tuple[str, dict[str, str]]] = field(default_factory=list)


WORLD = World()


class GuardSeller(Connector):
    type = "guard_seller"
    role = "seller"
    secret_options = ("token",)

    class Options(Schema):
        token = fields.String(load_default="")

    def list_warehouses(self) -> Records[Warehouse]:
        if WORLD.on_seller_read is not None:
            WORLD.on_seller_read()
        if WORLD.seller_error is not None:
            raise WORLD.seller_error
        warehouse = Warehouse("W1", "东莞仓", WORLD.seller_address, seller_warehouse_id="W1")
        return Records((warehouse,), WORLD.seller_record_errors)

    def check(self) -> str:
        return "guard seller"


class GuardErp(Connector):
    type = "guard_erp"
    role = "erp"

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        return Records((Warehouse("E1", "东莞仓", WORLD.erp_address, seller_warehouse_id="W1"),))

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        if WORLD.erp_write_error is not None:
            raise WORLD.erp_write_error
        WORLD.erp_writes.append((warehouse_id, dict(changes)))
        WORLD.erp_address = replace(WORLD.erp_address, **changes)

    def check(self) -> str:
        return "guard erp"


class GuardPlugin:
    @hookimpl
    def register_connectors(self, register: Callable[[type[Connector]], None]) -> None:
        register(GuardSeller)
        register(GuardErp)


@pytest.fixture
def syncer(tmp_path: Path) -> Iterator[Syncer]:
    """A Syncer over the in-memory shop, writing alerts to ``alerts.jsonl``; closed afterwards."""
    global WORLD
    WORLD = World()
    (tmp_path / "erpsync.toml").write_text(
        '[[shops]]\nname = "s"\naspects = ["warehouse_address"]\n'
        f'[shops.seller]\ntype = "guard_seller"\ntoken = "{SECRET}"\n'
        '[shops.erp]\ntype = "guard_erp"\n'
        '[policy]\nwarehouse_address = "seller"\n'
        '[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n',
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False, extra=[GuardPlugin()])
    registry = build_registry(pm)
    s = Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry)
    yield s
    s.close()


def alerts(syncer: Syncer) -> list[tuple[str, str | None, str | None]]:
    path = syncer.settings.base_dir / "alerts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [(e["event"], e["field"], e.get("seller_value")) for e in map(json.loads, lines)]


def ledger_of(syncer: Syncer) -> list[tuple[str, str | None]]:
    """(status, last_error) of every ledger entry of shop ``s``: the one store read of this module."""
    return [(e.status, e.last_error) for e in syncer.store.ledger.list_entries(shop="s")]


def take_over_lease(url: str, name: str) -> None:
    """Another process takes ``name`` over, as it would once this run's lease had expired.

    Its own store on the same database, with a clock far enough ahead that the lease is expired.
    """
    with Store.open(url) as other:
        later = datetime.now(UTC) + timedelta(days=1)
        assert other.leases.acquire(name, owner="another-run", ttl_seconds=3600, now=later)


# -- drift identity ---------------------------------------------------------------------------


def test_a_seller_side_value_change_is_the_same_drift_and_alerts_no_more(syncer: Syncer) -> None:
    """Identity is *where* the two sides disagree (shop, aspect, kind, warehouse, field), not the values.

    Seller Center's contact changes from 张伟 to 王芳 while the ERP still says 李娜: the operator
    still has one problem (this warehouse's contact disagrees), the fix the policy plans is the
    same write, and each channel hears of a drift once when it opens and once when it resolves
    (``docs/architecture.md``). The open drift follows the latest values instead.
    """
    first = syncer.run()
    assert [(d.field, d.seller_value, d.erp_value) for d in first.drifts] == [("contact_person", "张伟", "李娜")]
    assert len(first.shops[0].aspects[0].opened) == 1

    WORLD.seller_address = replace(SELLER, contact_person="王芳")  # still not 李娜
    second = syncer.run()
    aspect = second.shops[0].aspects[0]
    assert [(d.field, d.seller_value, d.erp_value) for d in second.drifts] == [("contact_person", "王芳", "李娜")]
    assert aspect.opened == [] and aspect.resolved == []
    assert second.drifts[0].fingerprint == first.drifts[0].fingerprint

    WORLD.erp_address = replace(SELLER, contact_person="赵六")  # the ERP side moves too: same drift
    third = syncer.run()
    assert third.shops[0].aspects[0].opened == [] and third.shops[0].aspects[0].resolved == []

    assert alerts(syncer) == [("opened", "contact_person", "张伟")]
    syncer.run(apply=True)
    assert WORLD.erp_address.contact_person == "王芳"
    assert syncer.run().exit_code == 0
    assert alerts(syncer) == [("opened", "contact_person", "张伟"), ("resolved", "contact_person", "王芳")]


# -- the ledger of a failed write --------------------------------------------------------------


def test_a_write_that_raises_leaves_a_failed_ledger_entry(syncer: Syncer) -> None:
    WORLD.erp_write_error = PermanentError("row E1 is locked by another user", connector="guard", operation="write")
    report = syncer.run(apply=True)
    (result,) = report.shops[0].aspects[0].actions
    assert result.status == "failed" and "row E1 is locked" in (result.detail or "")
    assert report.exit_code == 1
    [(status, error)] = ledger_of(syncer)
    assert status == "failed"  # not left "pending", which would read as a crash mid-write
    assert error is not None and "row E1 is locked" in error

    WORLD.erp_write_error = None
    assert syncer.run(apply=True).exit_code == 0
    assert sorted(s for s, _ in ledger_of(syncer)) == ["done", "failed"]


# -- a lost lease --------------------------------------------------------------------------------


def test_a_run_that_lost_its_lease_writes_nothing(syncer: Syncer) -> None:
    """Another process takes the shop's lease while this run reads: the run stops before writing."""
    WORLD.on_seller_read = lambda: take_over_lease(syncer.settings.state_url, "shop:s")
    report = syncer.run(apply=True)
    assert WORLD.erp_writes == []
    assert WORLD.erp_address.contact_person == "李娜"
    assert ledger_of(syncer) == []
    assert report.exit_code == 1
    assert "lost the lease" in (report.shops[0].error or "")


# -- redaction of errors ---------------------------------------------------------------------------


def _everything_shown(report: RunReport, syncer: Syncer, caplog: pytest.LogCaptureFixture) -> str:
    ledger = " ".join(str(e) for _, e in ledger_of(syncer))
    path = syncer.settings.base_dir / "alerts.jsonl"
    sent = path.read_text(encoding="utf-8") if path.exists() else ""
    return f"{report!r} {caplog.text} {ledger} {sent}"


FAILURES: dict[str, Callable[[], None]] = {
    "an aspect error": lambda: setattr(WORLD, "seller_error", ErpsyncError(f"bad answer for token {SECRET}")),
    "a connector error": lambda: setattr(
        WORLD, "seller_error", PermanentError(f"rejected {SECRET}", connector="guard", operation="read")
    ),
    "a record error": lambda: setattr(
        WORLD, "seller_record_errors", (RecordError(f"odd value {SECRET}", source="x", record="warehouse W9"),)
    ),
    "a write error": lambda: setattr(
        WORLD, "erp_write_error", PermanentError(f"refused {SECRET}", connector="guard", operation="write")
    ),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_errors_quoting_a_secret_are_redacted_in_the_report_and_logs(
    syncer: Syncer, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    caplog.set_level(logging.DEBUG)
    FAILURES[failure]()
    report = syncer.run(apply=True)
    assert report.errors, "the failure must show in the report"
    shown = _everything_shown(report, syncer, caplog)
    assert SECRET not in shown
    assert "***" in repr(report)  # the message is there, its secret masked
