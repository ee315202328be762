"""Pickup truth as an operator reads it: the real ``erpsync`` command after a story on a moved clock.

The command reads the wall clock, so each story starts in the past (``open_world(start=...)``),
runs erpsync's ``Syncer`` on the world's clock while time moves, and ends at the present, where
``erpsync reconcile`` and ``erpsync pickup confirm`` run as child processes (``pickup_world``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pickup_world import World, events, open_world

pytestmark = pytest.mark.integration

WANSE_PHONE = "4008206207"  # the switch notice's Q7 (docs/domain.md)
STATUS_PAGE_ZH = "我的账号 → 商家资料 → 仓库地址"


def reconcile_json(world: World, *args: str) -> tuple[int, dict[str, Any]]:
    done = world.cli("reconcile", "--aspect", "pickup", "--format", "json", *args)
    return done.returncode, json.loads(done.stdout)


def drifts_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for s in report["shops"] for a in s["aspects"] for d in a["drifts"]]


@pytest.fixture
def quiet(demo_ws, pm, registry):
    """WH-DG, known 20 days ago as not subscribed, has shipped nothing since; ops now set it to PICK UP.

    WH-SZ keeps shipping with Wanse pickup, so it stays settled.
    """
    with open_world(demo_ws, pm, registry, start=timedelta(days=20)) as world:
        world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        assert world.run().exit_code == 0  # both settled by packages and handover slots
        world.advance(days=20)
        world.add_package("WH-SZ")
        world.switch_erp("WH-DG", "PICK UP")
        yield world


def test_no_evidence_is_unconfirmed_never_in_sync(quiet):
    code, report = reconcile_json(quiet)
    assert code == 2
    assert report["in_sync"] is False and report["unconfirmed"] == 1
    (unsure,) = drifts_of(report)
    assert (unsure["kind"], unsure["warehouse"], unsure["severity"]) == ("pickup_unconfirmed", "WH-DG", "critical")
    assert "no packages from this warehouse in the last 14 days" in " ".join(w["en"] for w in unsure["why"])

    table = quiet.cli("reconcile", "--aspect", "pickup")
    assert table.returncode == 2
    assert "pickup status unconfirmed" in table.stdout
    assert "1 warehouse(s) unconfirmed" in table.stdout
    assert "In sync" not in table.stdout


def test_operator_confirmation_until_contrary_evidence(quiet):
    assert reconcile_json(quiet)[1]["unconfirmed"] == 1  # the operator then looks in Seller Center
    confirmed = quiet.cli("pickup", "confirm", "--shop", "shop", "--warehouse", "WH-DG", "--status", "not_subscribed")
    assert confirmed.returncode == 0, confirmed.stderr

    code, report = reconcile_json(quiet)
    assert (code, report["unconfirmed"]) == (2, 0)
    (mismatch,) = drifts_of(report)  # the operator's record settles it: the ERP's PICK UP is wrong
    assert (mismatch["kind"], mismatch["warehouse"], mismatch["severity"]) == ("mode_mismatch", "WH-DG", "critical")
    why = " ".join(w["en"] for w in mismatch["why"])
    assert "an operator saw not subscribed in Seller Center" in why and "recorded until" in why

    # The seller then subscribes (a punctuation save, the review passes) and ships with pickup.
    quiet.resave("WH-DG")
    quiet.review("WH-DG", complete=True)
    quiet.add_package("WH-DG")
    code, report = reconcile_json(quiet)
    assert (code, report["in_sync"], drifts_of(report)) == (0, True, [])  # newer evidence wins over the record
    assert sorted(events(quiet.ws.alerts(), "WH-DG")) == [  # each opened once, resolved once
        ("opened", "mode_mismatch"),
        ("opened", "pickup_unconfirmed"),
        ("resolved", "mode_mismatch"),
        ("resolved", "pickup_unconfirmed"),
    ]


@pytest.fixture
def stuck(demo_ws, pm, registry):
    """WH-DG asked for pickup 30 h ago (a punctuation save, ERP set to PICK UP); the provider never called."""
    with open_world(demo_ws, pm, registry, start=timedelta(hours=30)) as world:
        world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        assert world.run().exit_code == 0
        world.review("WH-DG", delay_hours=None)
        world.resave("WH-DG")
        world.switch_erp("WH-DG", "PICK UP")
        world.advance(hours=2)
        assert world.run().exit_code == 2  # review pending: a warning
        world.advance(hours=28)
        yield world


def steps_section(stdout: str, heading: str) -> str:
    assert heading in stdout, stdout
    return stdout.split(heading, 1)[1]


def test_guided_fix_for_a_stuck_review_in_chinese(stuck):
    done = stuck.cli("reconcile", "--aspect", "pickup", "--lang", "zh")
    assert done.returncode == 2, done.stderr
    assert "揽收审核超时" in done.stdout and "严重" in done.stdout  # the problem and its severity, in ops words
    assert "北京时间" in done.stdout
    steps = steps_section(done.stdout, "处理步骤：")
    assert "商家后台" in steps and STATUS_PAGE_ZH in steps
    assert WANSE_PHONE in steps and "万色" in steps


def test_guided_fix_for_a_stuck_review_in_english(stuck):
    done = stuck.cli("reconcile", "--aspect", "pickup", "--lang", "en")
    assert done.returncode == 2, done.stderr
    assert "pickup review overdue" in done.stdout and "Beijing time" in done.stdout
    steps = steps_section(done.stdout, "What to do:")
    assert "Seller Center" in steps and f"call Wanse (万色) on {WANSE_PHONE}" in steps
    assert "处理步骤" not in done.stdout


def test_guided_fix_reaches_the_json_and_the_alert(stuck):
    code, report = reconcile_json(stuck)
    assert code == 2
    (overdue,) = [d for d in drifts_of(report) if d["kind"] == "review_stuck"]
    for lang in ("en", "zh"):
        assert WANSE_PHONE in " ".join(step[lang] for step in overdue["steps"])
    assert STATUS_PAGE_ZH in " ".join(step["zh"] for step in overdue["steps"])

    (alert,) = [a for a in stuck.ws.alerts() if a["kind"] == "review_stuck"]
    # the review was pending (a warning) on an earlier run: the same drift escalated
    assert alert["event"] == "escalated" and alert["severity"] == "critical"
    assert alert["steps"] == overdue["steps"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_table_shows_the_review_in_ops_words_and_beijing_time(stuck, lang):
    """What was seen, not field values: no raw status names, no UTC timestamps in the table."""
    done = stuck.cli("reconcile", "--aspect", "pickup", "--lang", lang)
    assert done.returncode == 2, done.stderr
    assert "pending_review" not in done.stdout
    assert "+00:00" not in done.stdout
