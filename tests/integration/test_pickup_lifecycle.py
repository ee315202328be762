"""Pickup drift end to end: Syncer ↔ sandbox over loopback, with erpsync's clock injected.

The sandbox shows its subscription only through the real Open API signals, so these tests
check that erpsync's inference and Seller Center's emulated lifecycle agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from erpsync.plugins.manager import load_settings
from erpsync.sync import Syncer

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def syncer(ws, pm, registry, clock) -> Syncer:
    settings = load_settings(ws.config, registry)
    return Syncer(settings, pm=pm, registry=registry, clock=clock)


def kinds(report) -> set[tuple[str, str]]:
    return {(d.kind, d.subject) for d in report.drifts}


def test_default_scenario_raises_the_alert_only_drifts(default_ws, pm, registry):
    modes = {"WH-DG-01": "PICK UP", "WH-SZ-01": "DROP OFF", "WH-FS-01": "PICK UP"}
    default_ws.write_erp(default_ws.erp_rows_matching_seller(modes))
    s = syncer(default_ws, pm, registry, Clock())
    try:
        report = s.run(aspects=["pickup"], apply=True)
    finally:
        s.close()
    found = kinds(report)
    assert ("waybill_provider_mismatch", "WH-DG-01") in found  # a JT pickup waybill after the Wanse switch
    assert ("pickup_out_of_coverage", "WH-FS-01") in found  # 佛山 is outside every pickup region
    assert report.exit_code == 2, report.errors  # alert-only drifts stay open after --apply
    assert not [r for s_ in report.shops for a in s_.aspects for r in a.actions if r.status == "failed"]


def test_review_stuck_after_address_save(demo_ws, pm, registry):
    """Seller Center re-saves WH-SZ's address: review pending; past 24 h erpsync raises it."""
    demo_ws.write_erp(demo_ws.erp_rows_matching_seller({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}))
    demo_ws.admin("POST", "settings", {"review_delay_hours": None})  # the provider never reviews
    clock = Clock()
    s = syncer(demo_ws, pm, registry, clock)
    try:
        first = s.run(aspects=["pickup"])
        assert first.exit_code == 0, first.drifts  # erpsync has now seen the address

        demo_ws.admin("POST", "warehouses/WH-SZ/address", {"address_line1": "西乡街道 固戍二路 12号 5楼"})
        clock.now += timedelta(hours=1)
        noticed = s.run(aspects=["pickup"])
        # Pending review: the seller ships DROP OFF meanwhile, so the ERP's PICK UP is drift now.
        assert ("mode_mismatch", "WH-SZ") in kinds(noticed)
        assert ("review_stuck", "WH-SZ") not in kinds(noticed)

        clock.now += timedelta(hours=25)
        stuck = s.run(aspects=["pickup"])
        assert ("review_stuck", "WH-SZ") in kinds(stuck)
        drift = next(d for d in stuck.drifts if d.kind == "review_stuck")
        assert drift.severity.value == "critical"
    finally:
        s.close()
    opened = [a for a in demo_ws.alerts() if a["kind"] == "review_stuck" and a["event"] == "opened"]
    assert len(opened) == 1


def test_review_completes_and_drift_resolves(demo_ws, pm, registry):
    demo_ws.write_erp(demo_ws.erp_rows_matching_seller({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}))
    clock = Clock()
    s = syncer(demo_ws, pm, registry, clock)
    try:
        assert s.run(aspects=["pickup"]).exit_code == 0
        # WH-DG subscribes: Seller Center saves the address, the provider reviews within 4 h.
        demo_ws.admin("POST", "warehouses/WH-DG/address", {"address_line1": "振安中路 88号 3栋 1楼"})
        clock.now += timedelta(hours=1)
        assert s.run(aspects=["pickup"]).exit_code == 0  # pending: DROP OFF is still right
        demo_ws.admin("POST", "clock", {"advance_seconds": 5 * 3600})
        active = s.run(aspects=["pickup"], apply=True)
        assert ("mode_mismatch", "WH-DG") in kinds(active)  # now active: the ERP must say PICK UP
        assert active.exit_code == 0  # fixed by --apply
        assert "PICK UP" in demo_ws.erp_file.read_text(encoding="utf-8").splitlines()[1]
        assert s.run(aspects=["pickup"]).exit_code == 0
    finally:
        s.close()
    events = [(a["event"], a["kind"]) for a in demo_ws.alerts()]
    assert events == [("opened", "mode_mismatch"), ("resolved", "mode_mismatch")]
