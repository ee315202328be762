"""``erpsync push``'s summary and progress, from plain reports and real rich consoles writing to a buffer."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from erpsync.cli_push import is_write_step, push_progress
from erpsync.core.models import (
    Action,
    ActionResult,
    ActionStatus,
    AspectReport,
    Drift,
    RunReport,
    Severity,
    ShopReport,
)
from erpsync.render_push import PushSummary, show, summarise


def drift(subject: str, kind: str = "tracking_not_pushed") -> Drift:
    return Drift("shop", "tracking", kind, subject, None, None, "SF1", Severity.INFO, f"{subject} not pushed")


def result(subject: str, status: ActionStatus, detail: str | None = None) -> ActionResult:
    action = Action(
        "shop", "tracking", "ship", "seller", subject, None, "SF1", f"ship package {subject}",
        (drift(subject).fingerprint,), idempotent=False,
    )  # fmt: skip
    return ActionResult(action, status, detail)


def report(*aspects: AspectReport, error: str | None = None) -> RunReport:
    return RunReport("r1", True, datetime(2026, 1, 1, tzinfo=UTC), shops=[ShopReport("shop", list(aspects), error)])


def text(console_out: io.StringIO) -> list[str]:
    return console_out.getvalue().splitlines()


def test_each_outcome_lands_in_its_count_and_failures_are_named_by_id():
    part = AspectReport(
        "tracking",
        drifts=[drift(p) for p in ("P1", "P2", "P3", "P4")] + [drift("P5", "package_cancelled")],
        actions=[
            result("P1", "applied"),
            result("P2", "skipped", "already done (ledger)"),
            result("P3", "failed", "21011049 past the window"),
            result("P4", "unsupported", "report only"),
        ],
        record_errors=["shipments.csv:7: shipment 'S7': tracking_number: contains spaces"],
    )
    other = AspectReport("listings", actions=[result("X", "applied")])  # another aspect: not counted
    (summary,) = summarise(report(part, other), "tracking")
    assert (summary.pushed, summary.already_done, summary.failed) == (
        ["P1"],
        ["P2"],
        {"P3": "21011049 past the window"},
    )
    assert summary.skipped == ["P4", "P5"]  # unsupported, and a drift nothing was planned for
    assert summary.line(dry_run=False) == (
        "shop: 1 pushed, 1 already done, 1 failed (P3), 2 skipped (P4, P5), 1 bad record(s)"
    )

    out = io.StringIO()
    show(report(part, other), "tracking", False, Console(file=out, width=10_000))
    assert text(out)[1:] == [
        "  failed P3: 21011049 past the window",
        "  bad record: shipments.csv:7: shipment 'S7': tracking_number: contains spaces",
    ]


def test_a_dry_run_counts_what_it_would_push():
    (summary,) = summarise(report(AspectReport("tracking", actions=[result("P1", "planned")])), "tracking")
    assert summary.line(dry_run=True) == "shop: 1 to push, 0 already done, 0 failed, 0 skipped"


def test_nothing_to_push_is_said_only_when_nothing_at_all_happened():
    assert PushSummary("shop").line(False) == "shop: 0 pushed, 0 already done, 0 failed, 0 skipped: nothing to push"
    assert not PushSummary("shop", error="tracking: timed out").line(False).endswith("nothing to push")
    assert not PushSummary("shop", record_errors=["x.csv:2: bad"]).line(False).endswith("nothing to push")
    assert not PushSummary("shop", already_done=["P1"]).line(False).endswith("nothing to push")
    (failed_shop,) = summarise(report(error="lost the lease"), "tracking")
    assert failed_shop.error == "lost the lease" and not failed_shop.idle


def test_the_write_steps_are_the_aspects_messages_after_its_name_except_the_reread():
    assert is_write_step("shop: tracking: ship package 1 with tracking number SF1", "tracking")
    assert not is_write_step("shop: tracking", "tracking")  # the aspect starts
    assert not is_write_step("shop: starting", "tracking")
    assert not is_write_step("shop: tracking: re-reading the corrected records", "tracking")
    assert not is_write_step("shop: listings: create a product", "tracking")


STEPS = [
    "shop: starting",
    "shop: tracking",
    "shop: tracking: ship package 1",
    "shop: tracking: ship package 2",
    "shop: tracking: re-reading the corrected records",
]


def test_without_a_terminal_each_step_is_one_whole_plain_line():
    out = io.StringIO()
    with push_progress(Console(file=out, width=10_000), "tracking", bar=False) as say:
        for step in STEPS:
            say(step)
    assert text(out) == STEPS
    assert "\x1b[" not in out.getvalue()  # no cursor moves or colours in a log


def test_on_a_terminal_a_bar_counts_the_writes_instead_of_printing_lines():
    out = io.StringIO()
    with push_progress(Console(file=out, force_terminal=True, width=160), "tracking", bar=True) as say:
        for step in STEPS:
            say(step)
    shown = out.getvalue()
    assert "push tracking" in shown and "2 write step(s)" in shown and "━" in shown
    assert "shop: tracking: ship package 1\n" not in shown  # the steps are the bar's caption, not lines


def test_a_write_the_run_could_not_read_back_is_counted_as_written_not_verified_never_as_pushed():
    unseen = result("P2", "applied", "written, not verified: no read after the writes could be made")
    unseen.unverified = True
    part = AspectReport("tracking", drifts=[drift("P1"), drift("P2")], actions=[result("P1", "applied"), unseen])
    (summary,) = summarise(report(part), "tracking")
    assert (summary.pushed, summary.unverified) == (["P1"], ["P2"])
    assert summary.line(dry_run=False) == (
        "shop: 1 pushed, 1 written, not verified (P2), 0 already done, 0 failed, 0 skipped"
    )
    alone = AspectReport("tracking", drifts=[drift("P2")], actions=[unseen])
    (summary,) = summarise(report(alone), "tracking")
    assert not summary.idle and "nothing to push" not in summary.line(dry_run=False)
