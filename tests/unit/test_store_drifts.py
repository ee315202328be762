"""Drift lifecycle in the state store: one row per occurrence, resolution scoped to (shop, aspect)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from store_backends import BACKENDS, open_store

from erpsync.core.models import Drift, Severity, Texts
from erpsync.core.store import Store

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def drift(subject: str = "WH-1", *, shop: str = "acme", aspect: str = "warehouse_address", **kw: str) -> Drift:
    return Drift(
        shop=shop,
        aspect=aspect,
        kind="field_mismatch",
        subject=subject,
        field=kw.get("field", "phone"),
        seller_value=kw.get("seller", "138"),
        erp_value=kw.get("erp", "139"),
        severity=Severity.WARNING,
        message=kw.get("message", f"{subject}: phone differs"),
    )


def test_lifecycle_open_still_open_resolved_reopened(store: Store) -> None:
    d = drift()
    first = store.drifts.record("acme", "warehouse_address", [d], now=T0, run_id="r1")
    assert [r.fingerprint for r in first.opened] == [d.fingerprint]
    assert first.still_open == [] and first.resolved == []
    row = first.opened[0]
    assert row.is_open and row.opened_at == T0 and row.opened_run == "r1"
    assert row.severity is Severity.WARNING and row.opened_at.tzinfo is not None

    t1 = T0 + timedelta(hours=1)
    changed = drift(erp="137", message="now 137")
    second = store.drifts.record("acme", "warehouse_address", [changed], now=t1, run_id="r2")
    assert second.opened == [] and second.resolved == []
    (still,) = second.still_open
    assert still.id == row.id and still.last_seen_at == t1 and still.opened_at == T0
    assert still.erp_value == "137" and still.message == "now 137"

    t2 = T0 + timedelta(hours=2)
    third = store.drifts.record("acme", "warehouse_address", [], now=t2, run_id="r3")
    (gone,) = third.resolved
    assert gone.id == row.id and gone.resolved_at == t2 and gone.resolved_run == "r3" and not gone.is_open
    assert store.drifts.list_open("acme") == []

    t3 = T0 + timedelta(hours=3)
    fourth = store.drifts.record("acme", "warehouse_address", [d], now=t3, run_id="r4")
    (again,) = fourth.opened
    assert again.fingerprint == d.fingerprint and again.id != row.id and again.opened_at == t3
    assert [r.id for r in store.drifts.list_occurrences(d.fingerprint)] == [row.id, again.id]
    assert [r.id for r in store.drifts.list_open()] == [again.id]


def test_resolution_is_scoped_to_shop_and_aspect(store: Store) -> None:
    a = drift("WH-1")
    other_aspect = drift("WH-1", aspect="pickup")
    other_shop = drift("WH-1", shop="globex")
    store.drifts.record("acme", "warehouse_address", [a], now=T0, run_id="r1")
    store.drifts.record("acme", "pickup", [other_aspect], now=T0, run_id="r1")
    store.drifts.record("globex", "warehouse_address", [other_shop], now=T0, run_id="r1")

    changes = store.drifts.record("acme", "warehouse_address", [], now=T0 + timedelta(hours=1), run_id="r2")

    assert [r.fingerprint for r in changes.resolved] == [a.fingerprint]
    assert {r.fingerprint for r in store.drifts.list_open()} == {other_aspect.fingerprint, other_shop.fingerprint}
    assert [r.aspect for r in store.drifts.list_open("acme")] == ["pickup"]
    assert [r.shop for r in store.drifts.list_open(aspect="warehouse_address")] == ["globex"]


def test_scoped_call_resolves_only_subjects_in_scope(store: Store) -> None:
    seen, unseen = drift("WH-1"), drift("WH-2")
    store.drifts.record("acme", "warehouse_address", [seen, unseen], now=T0, run_id="r1")
    t1 = T0 + timedelta(hours=1)
    changes = store.drifts.record("acme", "warehouse_address", [], now=t1, run_id="r2", scope=["WH-1"])
    assert [r.subject for r in changes.resolved] == ["WH-1"]
    assert changes.opened == [] and changes.still_open == []
    (left,) = store.drifts.list_open("acme")
    assert left.subject == "WH-2" and left.last_seen_at == T0 and left.resolved_run is None  # untouched


def test_kept_holds_open_only_the_kinds_named_for_a_subject(store: Store) -> None:
    """A subject compared in part: the kinds it was not compared for stay open, its others resolve."""

    def of(subject: str, kind: str) -> Drift:
        return Drift("acme", "listings", kind, subject, kind, "a", "b", Severity.WARNING, f"{subject}: {kind}")

    price, audit, other = of("P1", "price_changed"), of("P1", "audit_failed"), of("P2", "audit_failed")
    store.drifts.record("acme", "listings", [price, audit, other], now=T0, run_id="r1")
    t1 = T0 + timedelta(hours=1)
    changes = store.drifts.record("acme", "listings", [], now=t1, run_id="r2", kept={"P1": {"audit_failed"}})
    assert sorted((r.subject, r.kind) for r in changes.resolved) == [("P1", "price_changed"), ("P2", "audit_failed")]
    assert [(r.subject, r.kind) for r in store.drifts.list_open("acme")] == [("P1", "audit_failed")]


def test_empty_scope_resolves_nothing(store: Store) -> None:
    store.drifts.record("acme", "warehouse_address", [drift("WH-1"), drift("WH-2")], now=T0, run_id="r1")
    changes = store.drifts.record(
        "acme", "warehouse_address", [], now=T0 + timedelta(hours=1), run_id="r2", scope=set()
    )
    assert changes.resolved == [] and changes.opened == [] and changes.still_open == []
    assert {(r.subject, r.last_seen_at) for r in store.drifts.list_open("acme")} == {("WH-1", T0), ("WH-2", T0)}


def test_new_and_seen_drifts_outside_scope_are_still_recorded(store: Store) -> None:
    old = drift("WH-2")
    store.drifts.record("acme", "warehouse_address", [old], now=T0, run_id="r1")
    t1 = T0 + timedelta(hours=1)
    new = drift("WH-3")
    changes = store.drifts.record("acme", "warehouse_address", [old, new], now=t1, run_id="r2", scope={"WH-1"})
    assert [r.subject for r in changes.opened] == ["WH-3"] and changes.opened[0].opened_at == t1
    assert [(r.subject, r.last_seen_at) for r in changes.still_open] == [("WH-2", t1)]
    assert changes.resolved == []


def test_scope_as_a_string_is_refused(store: Store) -> None:
    store.drifts.record("acme", "warehouse_address", [drift("WH-1")], now=T0, run_id="r1")
    with pytest.raises(TypeError, match="not a str"):
        store.drifts.record("acme", "warehouse_address", [], now=T0, run_id="r2", scope="WH-1")
    assert len(store.drifts.list_open()) == 1


def test_mixed_run_opens_updates_and_resolves_together(store: Store) -> None:
    keep, drop, new = drift("WH-1"), drift("WH-2"), drift("WH-3")
    store.drifts.record("acme", "warehouse_address", [keep, drop], now=T0, run_id="r1")
    changes = store.drifts.record("acme", "warehouse_address", [keep, new], now=T0, run_id="r2")
    assert [r.subject for r in changes.opened] == ["WH-3"]
    assert [r.subject for r in changes.still_open] == ["WH-1"]
    assert [r.subject for r in changes.resolved] == ["WH-2"]


def test_duplicate_fingerprints_in_one_report_make_one_row(store: Store) -> None:
    changes = store.drifts.record(
        "acme", "warehouse_address", [drift(message="a"), drift(message="b")], now=T0, run_id="r1"
    )
    assert len(changes.opened) == 1 and changes.opened[0].message == "b"
    assert len(store.drifts.list_open()) == 1


def test_drift_of_another_scope_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="globex/warehouse_address recorded under acme/warehouse_address"):
        store.drifts.record("acme", "warehouse_address", [drift(shop="globex")], now=T0, run_id="r1")
    assert store.drifts.list_open() == []


def test_naive_now_is_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.drifts.record("acme", "warehouse_address", [drift()], now=datetime(2025, 1, 1), run_id="r1")


def test_times_in_other_zones_come_back_as_utc(store: Store) -> None:
    cst = T0.astimezone(timezone(timedelta(hours=8)))
    (row,) = store.drifts.record("acme", "warehouse_address", [drift()], now=cst, run_id="r1").opened
    assert row.opened_at == T0 and row.opened_at.utcoffset() == timedelta(0)


# -- the texts people read (schema version 5: the ``details`` column) ----------------------------

SUMMARY = Texts("WH-1: pickup review pending for 30 h", "WH-1：揽收订阅审核中已超过 30 小时")
WHY = (
    Texts(
        "The warehouse address was saved between 08:00 and 09:00 Beijing time",
        "仓库地址于北京时间 08:00 至 09:00 之间保存",
    ),
    Texts("No pickup is offered since", "此后不再提供上门揽收"),
)
STEPS = (
    Texts(
        "Open Seller Center → My Account → Seller Profile", "打开商家后台 → 我的账号 → 商家资料 → 仓库地址 → 发货仓库"
    ),
)


def pickup(identity: str | None = "PICK_UP|DROP_OFF", **kw: object) -> Drift:
    fields: dict = {
        "shop": "acme",
        "aspect": "pickup",
        "kind": "review_stuck",
        "subject": "WH-1",
        "field": "subscription_status",
        "seller_value": "pending_review",
        "erp_value": "PICK_UP",
        "severity": Severity.CRITICAL,
        "message": "WH-1: pickup review pending for 30 h",
        "identity": identity,
        "summary": SUMMARY,
        "why": WHY,
        "steps": STEPS,
        **kw,
    }
    return Drift(**fields)


def test_summary_why_steps_and_identity_round_trip_in_both_languages(store: Store) -> None:
    (opened,) = store.drifts.record("acme", "pickup", [pickup()], now=T0, run_id="r1").opened
    for row in (opened, *store.drifts.list_open("acme"), *store.drifts.list_occurrences(pickup().fingerprint)):
        assert row.identity == "PICK_UP|DROP_OFF"
        assert row.summary == SUMMARY and row.why == WHY and row.steps == STEPS
        assert row.text("zh") == "WH-1：揽收订阅审核中已超过 30 小时" and row.text("en") == SUMMARY.en
    with store.engine.connect() as conn:  # kept as written, readable in the database itself
        assert "商家后台" in conn.execute(text("SELECT details FROM drifts")).scalar_one()


def test_a_drift_without_texts_reads_back_empty(store: Store) -> None:
    (row,) = store.drifts.record("acme", "warehouse_address", [drift()], now=T0, run_id="r1").opened
    assert (row.identity, row.summary, row.why, row.steps) == (None, None, (), ())
    assert row.text("zh") == "WH-1: phone differs"  # no translation: the English message


def test_a_row_written_before_details_existed_reads_as_a_drift_without_texts(store: Store) -> None:
    store.drifts.record("acme", "pickup", [pickup()], now=T0, run_id="r1")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE drifts SET details = NULL"))
    (row,) = store.drifts.list_open("acme")
    assert (row.identity, row.summary, row.why, row.steps) == (None, None, (), ())
    assert row.text("zh") == row.message
    # seen again, the open row gets its texts back
    (again,) = store.drifts.record("acme", "pickup", [pickup()], now=T0 + timedelta(hours=1), run_id="r2").still_open
    assert again.id == row.id and again.summary == SUMMARY and again.steps == STEPS


def test_an_open_drift_seen_again_gets_the_latest_values_severity_and_texts(store: Store) -> None:
    (row,) = store.drifts.record("acme", "pickup", [pickup(severity=Severity.WARNING)], now=T0, run_id="r1").opened
    later = Texts("WH-1: pickup review pending for 50 h", "WH-1：揽收订阅审核中已超过 50 小时")
    newer = pickup(message=later.en, summary=later, why=WHY[:1], steps=(), seller_value="pending_review (50 h)")
    t1 = T0 + timedelta(hours=20)
    (still,) = store.drifts.record("acme", "pickup", [newer], now=t1, run_id="r2").still_open
    assert still.id == row.id and still.opened_at == T0 and still.last_seen_at == t1  # same occurrence
    assert still.severity is Severity.CRITICAL and still.seller_value == "pending_review (50 h)"
    assert still.message == later.en and still.summary == later and still.why == WHY[:1] and still.steps == ()


def test_a_drift_whose_identity_turns_resolves_the_old_row_and_opens_a_new_one(store: Store) -> None:
    (old,) = store.drifts.record("acme", "pickup", [pickup()], now=T0, run_id="r1").opened
    turned = pickup(identity="DROP_OFF|PICK_UP", seller_value="active", erp_value="DROP_OFF")
    changes = store.drifts.record("acme", "pickup", [turned], now=T0 + timedelta(hours=1), run_id="r2")
    assert [r.id for r in changes.resolved] == [old.id] and changes.still_open == []
    (new,) = changes.opened
    assert new.id != old.id and new.identity == "DROP_OFF|PICK_UP" and new.erp_value == "DROP_OFF"
