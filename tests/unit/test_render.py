"""The operator's and the machine's view of a report, and how a verified --apply reads."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

from rich.console import Console

from erpsync import render
from erpsync.cli import _setup_logging
from erpsync.core.aspects.verify import Reread, after_fix, verify
from erpsync.core.models import Action, ActionResult, AspectReport, Drift, RunReport, Severity, ShopReport, Target
from erpsync.core.store import DriftChanges

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LONG = "error " + "x" * 150 + " the end"


def mode_drift() -> Drift:
    return Drift("s", "pickup", "mode_mismatch", "WH-1", "handover_mode", "DROP OFF", "PICK UP", Severity.CRITICAL, "m")


def mode_action(target: Target = "erp") -> Action:
    fingerprints = (mode_drift().fingerprint,)
    return Action("s", "pickup", "set_handover_mode", target, "E-1", "handover_mode", "DROP_OFF", "set", fingerprints)


def report_of(*results: ActionResult, drifts: list[Drift] | None = None) -> RunReport:
    aspect = AspectReport("pickup", drifts=drifts or [mode_drift()], actions=list(results))
    return RunReport("r", apply=False, started_at=NOW, shops=[ShopReport("s", [aspect])])


def test_console_that_is_not_a_terminal_never_wraps(monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    console = render.make_console()  # pytest captures stdout: not a terminal
    assert not console.is_terminal
    with console.capture() as captured:
        console.print(LONG)
    assert captured.get() == LONG + "\n"


def test_plain_progress_is_one_line_per_step() -> None:
    out = io.StringIO()
    with render.progress(Console(file=out, width=render.UNWRAPPED_WIDTH, soft_wrap=True)) as say:
        say("shop: starting")
        say("shop: [pickup]")
    assert out.getvalue().splitlines() == ["shop: starting", "shop: [pickup]"]


def test_json_spells_handover_modes_as_enum_values_and_tables_as_labels() -> None:
    report = report_of(ActionResult(mode_action(), "planned"))
    drift = render.report_json(report)["shops"][0]["aspects"][0]["drifts"][0]
    assert (drift["seller_value"], drift["erp_value"], drift["action"]["value"]) == ("DROP_OFF", "PICKUP", "DROP_OFF")
    assert render.shown_value("DROP_OFF") == "DROP OFF" and render.shown_value("Main St") == "Main St"


def test_a_correction_the_target_cannot_make_reads_report_only() -> None:
    report = report_of(ActionResult(mode_action("seller"), "unsupported", "Seller Center only"))
    out = io.StringIO()
    render.render_table(report, Console(file=out, width=render.UNWRAPPED_WIDTH))
    text = out.getvalue()
    assert "report only: Seller Center only" in text and "not fixable" not in text
    assert "0 correction(s) planned" in text and "Run again with --apply" not in text


def test_error_json_is_shaped_like_a_report() -> None:
    data = json.loads(render.error_json("a.toml: x: bad\na.toml: y: bad", 1))
    assert data["exit_code"] == 1 and data["errors"] == ["a.toml: x: bad", "a.toml: y: bad"]


def test_urllib3_warnings_are_silenced_unless_debugging() -> None:
    try:
        _setup_logging(0)
        assert not logging.getLogger("urllib3.connectionpool").isEnabledFor(logging.WARNING)
        _setup_logging(2)
        assert logging.getLogger("urllib3.connectionpool").isEnabledFor(logging.DEBUG)
    finally:
        logging.getLogger("urllib3").setLevel(logging.NOTSET)


def test_after_fix_shows_the_written_value_on_the_corrected_side() -> None:
    assert after_fix(mode_drift(), mode_action()).erp_value == "DROP_OFF"
    street = Drift("s", "warehouse_address", "field_mismatch", "WH-1", "street", "A St", "B St", Severity.CRITICAL, "m")
    both = Action("s", "warehouse_address", "set_address", "seller", "WH-1", None, '{"street": "B St"}', "d", ())
    assert after_fix(street, both).seller_value == "B St"
    city = Drift("s", "warehouse_address", "field_mismatch", "WH-1", "city", "X", "Y", Severity.CRITICAL, "m")
    assert after_fix(city, both) == city  # a field the action did not write


def test_verify_marks_a_write_that_did_not_stick_failed_and_keeps_alerts() -> None:
    stuck, gone = mode_drift(), Drift("s", "pickup", "other", "WH-2", None, "a", "b", Severity.INFO, "gone")
    aspect = AspectReport(
        "pickup",
        drifts=[stuck, gone],
        actions=[
            ActionResult(mode_action(), "applied"),
            ActionResult(Action("s", "pickup", "k", "erp", "E-2", None, None, "d", (gone.fingerprint,)), "applied"),
        ],
    )
    verify(aspect, Reread([stuck], DriftChanges(opened=[], still_open=[], resolved=[])))
    # the re-read's alerts are written to the outbox by drifts.record: test_batched_writes.py
    assert aspect.actions[0].status == "failed" and "still differs" in (aspect.actions[0].detail or "")
    assert aspect.actions[1].status == "applied"
    assert aspect.drifts == [stuck, gone]
