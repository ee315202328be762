"""Pruning old state: what goes after how long, what never goes, and ``erpsync prune`` itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from store_backends import BACKENDS, open_store

from erpsync.cli import State, cli
from erpsync.core.models import Drift, PackageSignal, Severity
from erpsync.core.ports import CachedPackage
from erpsync.core.store import MIN_NOTIFICATION_AGE, Retention, Store
from erpsync.core.store.schema import drifts as drifts_table
from erpsync.plugins.manager import get_plugin_manager

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=100)  # older than every default
RECENT = NOW - timedelta(days=10)  # younger than every default


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def drift(subject: str, *, shop: str = "acme") -> Drift:
    return Drift(
        shop=shop,
        aspect="warehouse_address",
        kind="field_mismatch",
        subject=subject,
        field="phone",
        seller_value="138",
        erp_value="139",
        severity=Severity.WARNING,
        message=f"{subject}: phone differs",
    )


def begin(store: Store, key: str, subject: str, *, now: datetime) -> None:
    store.ledger.begin(
        key,
        shop="acme",
        aspect="warehouse_address",
        kind="set_fields",
        target="erp",
        subject=subject,
        payload={},
        run_id="r",
        now=now,
    )


def counts(store: Store) -> dict[str, int]:
    return store.prune(Retention(), now=NOW, dry_run=True)


def test_defaults_outlive_the_windows_that_need_the_rows() -> None:
    defaults = Retention()
    # the platform retries a webhook after 2 min, 30 min, 3 h and 12 h (Partner Center webhook guide)
    assert timedelta(minutes=2 + 30) + timedelta(hours=3 + 12) < MIN_NOTIFICATION_AGE
    assert defaults.notifications >= MIN_NOTIFICATION_AGE
    assert defaults.runs == defaults.ledger == defaults.drifts == timedelta(days=90)


def test_old_runs_go_unless_they_still_hold_a_lease(store: Store) -> None:
    store.runs.begin("old-done", shops=["acme"], apply=False, now=OLD)
    store.runs.finish("old-done", status="in_sync", summary={}, now=OLD)
    store.runs.begin("old-killed", shops=["acme"], apply=False, now=OLD)  # never finished, no lease
    store.runs.begin("old-working", shops=["acme"], apply=False, now=OLD)
    assert store.leases.acquire("shop:acme", owner="old-working", ttl_seconds=60, now=NOW)
    store.runs.begin("recent", shops=["acme"], apply=False, now=RECENT)
    store.runs.finish("recent", status="in_sync", summary={}, now=RECENT)

    assert counts(store)["runs"] == 2
    assert [r.id for r in store.runs.list_recent()] == ["recent", "old-working", "old-killed", "old-done"]  # dry
    assert store.prune(Retention(), now=NOW)["runs"] == 2
    assert sorted(r.id for r in store.runs.list_recent()) == ["old-working", "recent"]
    assert store.leases.get("shop:acme") is not None  # leases are never pruned


def test_resolved_drifts_go_open_ones_and_the_newest_row_stay(store: Store) -> None:
    store.drifts.record("acme", "warehouse_address", [drift("A"), drift("B"), drift("C")], now=OLD, run_id="r1")
    store.drifts.record("acme", "warehouse_address", [drift("C")], now=OLD, run_id="r2")  # A, B resolved long ago
    store.drifts.record("globex", "warehouse_address", [drift("X", shop="globex")], now=OLD, run_id="r3")
    store.drifts.record("globex", "warehouse_address", [], now=RECENT, run_id="r4")  # X resolved recently

    assert store.prune(Retention(), now=NOW)["drifts (resolved)"] == 2
    assert [d.subject for d in store.drifts.list_open()] == ["C"]  # open for 100 days: still open, kept
    assert [d.subject for d in store.drifts.list_occurrences(drift("X", shop="globex").fingerprint)] == ["X"]


def test_the_newest_drift_row_is_kept_so_sqlite_never_reuses_its_id(store: Store) -> None:
    store.drifts.record("acme", "warehouse_address", [drift("A")], now=OLD, run_id="r1")
    store.drifts.record("acme", "warehouse_address", [], now=OLD, run_id="r2")
    (gone,) = store.drifts.list_occurrences(drift("A").fingerprint)
    assert store.prune(Retention(), now=NOW)["drifts (resolved)"] == 0
    # a new occurrence must get a new id: ledger keys are built from occurrence ids
    opened = store.drifts.record("acme", "warehouse_address", [drift("A")], now=NOW, run_id="r3").opened
    assert opened[0].id > gone.id
    store.drifts.record("acme", "warehouse_address", [], now=NOW, run_id="r4")
    assert store.prune(Retention(), now=NOW + timedelta(days=91))["drifts (resolved)"] == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(drifts_table)).scalar_one() == 1


def test_settled_ledger_entries_go_pending_ones_and_those_of_open_drifts_stay(store: Store) -> None:
    store.drifts.record("acme", "warehouse_address", [drift("OPEN")], now=OLD, run_id="r1")
    for key, subject in (("done", "A"), ("failed", "B"), ("pending", "C"), ("open", "OPEN"), ("recent", "D")):
        begin(store, key, subject, now=RECENT if key == "recent" else OLD)
    store.ledger.finish("done", status="done", now=OLD)
    store.ledger.finish("failed", status="failed", error="HTTP 503", now=OLD)
    store.ledger.finish("open", status="done", now=OLD)  # a push that must happen once, drift still open
    store.ledger.finish("recent", status="done", now=RECENT)

    assert store.prune(Retention(), now=NOW)["ledger (done or failed)"] == 2
    assert sorted(e.key for e in store.ledger.list_entries()) == ["open", "pending", "recent"]


def test_a_settled_push_stays_while_a_drift_it_names_is_open_whatever_its_subject(store: Store) -> None:
    """A listing push is recorded under the platform's product id, its drift under the ERP's SKU:
    the occurrences the row names keep it, not its subject."""
    opened = store.drifts.record("acme", "warehouse_address", [drift("SKU-1"), drift("SKU-2")], now=OLD, run_id="r1")
    one, two = sorted(d.id for d in opened.opened)
    store.drifts.record("acme", "warehouse_address", [drift("SKU-2")], now=OLD, run_id="r2")  # SKU-1 resolved
    for key, names in (("open", [one, two]), ("resolved", [one]), ("none", [])):
        store.ledger.begin(
            key, shop="acme", aspect="warehouse_address", kind="update_listing", target="seller",
            subject="1729384756", payload={"occurrences": names}, run_id="r", now=OLD,
        )  # fmt: skip
        store.ledger.finish(key, status="done", now=OLD)

    assert counts(store)["ledger (done or failed)"] == 2
    assert store.prune(Retention(), now=NOW)["ledger (done or failed)"] == 2
    assert [e.key for e in store.ledger.list_entries()] == ["open"]


def test_handled_ids_go_with_the_bodies_they_cured_unhandled_bodies_a_month_after_their_last_delivery(
    store: Store,
) -> None:
    log = store.notifications
    old = NOW - timedelta(days=40)
    log.keep("tiktok", b"failed then cured", "handler failed", old, key="N1")
    assert log.record("N1", source="tiktok", now=old)  # the retry succeeded
    log.keep("tiktok", b"never handled", "type 99 unknown", old, key="N2")
    log.keep("tiktok", b"shop 9", "TikTok shop ID 9 is not in the config", old, key="N5")
    log.keep("tiktok", b"shop 9", "TikTok shop ID 9 is not in the config", RECENT, key="N5")  # delivered again
    log.keep("tiktok", b"recent", "type 99 unknown", NOW - timedelta(days=29), key="N6")
    assert log.record("N3", source="tiktok", now=old)
    assert log.record("N4", source="tiktok", now=RECENT)

    removed = store.prune(Retention(), now=NOW)
    assert (removed["notification ids"], removed["kept webhook bodies (handled)"]) == (2, 1)
    assert removed["kept webhook bodies (never handled)"] == 1
    assert not log.has("N1", source="tiktok") and log.has("N4", source="tiktok")
    # the cured body went with its id: it does not come back asking for attention; of the bodies
    # never handled, those delivered within the month wait for an operator
    assert sorted(k.raw_body for k in log.list_kept(include_handled=True)) == [b"recent", b"shop 9"]
    assert store.prune(Retention.uniform(timedelta(days=1)), now=NOW)["kept webhook bodies (never handled)"] == 2


def test_kept_bodies_of_shops_not_in_the_config_do_not_pile_up(store: Store) -> None:
    """An app authorised by shops this config does not run sends their notifications for good."""
    log = store.notifications
    for i in range(50):
        log.keep("tiktok", b'{"n": %d}' % i, "TikTok shop ID 9 is not in the config", OLD, key=f"n{i}")
    assert counts(store)["kept webhook bodies (never handled)"] == 50
    assert store.prune(Retention(), now=NOW)["kept webhook bodies (never handled)"] == 50
    assert log.list_kept(include_handled=True) == []


def test_notification_ids_outlive_the_retry_schedule_whatever_the_caller_asks(store: Store) -> None:
    log = store.notifications
    assert log.record("retrying", source="tiktok", now=NOW - timedelta(hours=16))
    assert log.record("settled", source="tiktok", now=NOW - MIN_NOTIFICATION_AGE - timedelta(minutes=1))
    removed = store.prune(Retention.uniform(timedelta(minutes=1)), now=NOW)
    assert removed["notification ids"] == 1
    assert log.has("retrying", source="tiktok") and not log.has("settled", source="tiktok")


def test_notification_ids_outlive_the_replay_window_whatever_the_caller_asks(store: Store) -> None:
    """A body replayed within the receiver's timestamp window (plus its skew) is still accepted:
    its id must still be there to refuse it."""
    log = store.notifications
    window = timedelta(hours=24, minutes=5)
    assert log.record("replayable", source="tiktok", now=NOW - timedelta(days=1, minutes=2))
    assert log.record("settled", source="tiktok", now=NOW - window - timedelta(minutes=1))
    removed = store.prune(Retention.uniform(timedelta(days=1)), now=NOW, replay_window=window)
    assert removed["notification ids"] == 1
    assert log.has("replayable", source="tiktok") and not log.has("settled", source="tiktok")


def tracked_row(pid: str, *, created: datetime) -> CachedPackage:
    return CachedPackage(PackageSignal(pid, "W1", None, f"SF{pid}", created, "COMPLETED"), created)


def test_tracked_rows_go_once_no_run_wanted_them_for_30_days_whatever_the_package_age(store: Store) -> None:
    """A row of a shipment the ERP still lists spares a detail read every run, however old the
    package; one no run wanted for a month is of a shipment the ERP stopped listing."""
    tracked = store.tracked.for_shop("acme")
    ancient = NOW - timedelta(days=700)
    tracked.put([tracked_row("listed", created=ancient)], wanted_at=NOW - timedelta(days=1))
    tracked.put([tracked_row("gone", created=RECENT)], wanted_at=NOW - timedelta(days=31))
    tracked.put([tracked_row("unmarked-old", created=OLD), tracked_row("unmarked-new", created=RECENT)])
    tracked.put([tracked_row("this-week", created=ancient)], wanted_at=NOW - timedelta(days=3))
    assert counts(store)["tracked packages (not wanted)"] == 2
    assert store.prune(Retention(), now=NOW)["tracked packages (not wanted)"] == 2
    left = ["listed", "this-week", "unmarked-new"]
    assert sorted(p.signal.id for p in tracked.packages(datetime(1970, 1, 1, tzinfo=UTC))) == sorted(left)
    # whatever --older-than says, a row wanted within the week stays: runs mark a row once a day
    assert store.prune(Retention.uniform(timedelta(days=1)), now=NOW)["tracked packages (not wanted)"] == 1
    assert sorted(p.signal.id for p in tracked.packages(datetime(1970, 1, 1, tzinfo=UTC))) == ["listed", "this-week"]


def test_dry_run_counts_exactly_what_a_real_run_removes(store: Store) -> None:
    store.runs.begin("r", shops=["acme"], apply=True, now=OLD)
    store.runs.finish("r", status="in_sync", summary={}, now=OLD)
    store.drifts.record("acme", "warehouse_address", [drift("A"), drift("B")], now=OLD, run_id="r")
    store.drifts.record("acme", "warehouse_address", [drift("B")], now=OLD, run_id="r")
    store.drifts.record("acme", "warehouse_address", [], now=OLD, run_id="r")
    begin(store, "k", "A", now=OLD)
    store.ledger.finish("k", status="done", now=OLD)
    store.notifications.record("N", source="tiktok", now=OLD)
    store.notifications.keep("tiktok", b"{}", "TikTok shop ID 9 is not in the config", OLD, key="M")
    dry = counts(store)
    assert counts(store) == dry  # counting removes nothing
    assert store.prune(Retention(), now=NOW) == dry
    assert set(counts(store).values()) == {0}


# -- the command ---------------------------------------------------------------------------------


def write_config(root: Path) -> Path:
    """A one-shop config in ``root`` (its state store in ``root/.erpsync``), for the CLI."""
    (root / "erp").mkdir()
    path = root / "erpsync.toml"
    path.write_text(
        '[[shops]]\nname = "acme"\n[shops.seller]\ntype = "tiktok"\n'
        'app_key = "k"\napp_secret = "s3cr3t-value"\nshop_id = "1"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


def invoke(config: Path, *args: str) -> tuple[int, str]:
    state = State(str(config), pm=get_plugin_manager(entrypoints=False))
    result = CliRunner().invoke(cli, ["-c", str(config), "prune", *args], obj=state, catch_exceptions=False)
    return result.exit_code, result.output


def test_help_documents_the_defaults_the_code_uses(config: Path) -> None:
    code, out = invoke(config, "--help")
    defaults = Retention()
    assert code == 0 and "--older-than DAYS" in out and "--dry-run" in out
    assert f"resolved drifts    {defaults.drifts.days} days" in out
    assert f"cured         {defaults.notifications.days} days" in out
    assert f"counted from the ask    {defaults.sync_requests.days} days" in out
    assert defaults.runs == defaults.ledger == defaults.drifts
    assert "Never removed: open drifts, pending ledger entries" in " ".join(out.split())


def test_prune_prints_per_table_and_dry_run_removes_nothing(config: Path) -> None:
    url = f"sqlite:///{config.parent}/.erpsync/state.db"
    old = datetime.now(UTC) - timedelta(days=10)
    with Store.open(url) as store:
        store.runs.begin("r", shops=["acme"], apply=False, now=old)
        store.runs.finish("r", status="in_sync", summary={}, now=old)
        store.notifications.record("N", source="tiktok", now=old)

    code, out = invoke(config, "--dry-run")  # defaults: nothing is that old
    assert code == 0 and "runs: would remove 0" in out and "notification ids: would remove 0" in out
    code, out = invoke(config, "--older-than", "7", "--dry-run")
    assert code == 0 and "runs: would remove 1" in out and "notification ids: would remove 1" in out
    code, out = invoke(config, "--older-than", "7")
    assert code == 0
    assert out.splitlines() == [
        "runs: removed 1",
        "drifts (resolved): removed 0",
        "ledger (done or failed): removed 0",
        "notification ids: removed 1",
        "kept webhook bodies (handled): removed 0",
        "kept webhook bodies (never handled): removed 0",
        "pickup confirmations (expired): removed 0",
        "alerts (delivered, failed or expired): removed 0",
        "sync requests (unanswered): removed 0",
        "tracked packages (not wanted): removed 0",
    ]
    with Store.open(url) as store:
        assert store.runs.list_recent() == [] and not store.notifications.has("N", source="tiktok")


def test_older_than_one_day_keeps_ids_a_replayed_body_could_still_carry(config: Path) -> None:
    """The receiver accepts a body up to timestamp_window_seconds (a day by default) plus 300 s
    ahead of its clock after it was sent: ``--older-than 1`` must not open that gap."""
    url = f"sqlite:///{config.parent}/.erpsync/state.db"
    now = datetime.now(UTC)
    with Store.open(url) as store:
        store.notifications.record("replayable", source="tiktok", now=now - timedelta(days=1, minutes=2))
        store.notifications.record("settled", source="tiktok", now=now - timedelta(days=1, minutes=10))
    code, out = invoke(config, "--older-than", "1")
    assert code == 0 and "notification ids: removed 1" in out
    with Store.open(url) as store:
        assert store.notifications.has("replayable", source="tiktok")
        assert not store.notifications.has("settled", source="tiktok")


def test_help_names_the_retention_of_kept_bodies_never_handled(config: Path) -> None:
    code, out = invoke(config, "--help")
    assert code == 0
    assert f"their last delivery                                   {Retention().kept_notifications.days} days" in out


def test_older_than_must_be_at_least_a_day(config: Path) -> None:
    code, out = invoke(config, "--older-than", "0")
    assert code == 2 and "0 is not in the range x>=1" in out
