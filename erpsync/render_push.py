"""What ``erpsync push`` (and the demo) print for a push run: per shop, pushed / already done /
failed by id / skipped (a write the run could not read back is counted apart, as written but not
verified, never as pushed), or "not run" and why when nothing is configured for the aspect (an ERP
that keeps no shipments), then the details. Pure rendering of a ``RunReport``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from erpsync.core.models import AspectReport, RunReport
from erpsync.render import escape

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["PushSummary", "show", "summarise"]


@dataclass
class PushSummary:
    """One aspect's outcome on one shop, as ``push`` prints it."""

    shop: str
    pushed: list[str] = field(default_factory=list)  # subjects written (or, dry run, to write)
    #: written, but the run's re-read did not read them back (``ActionResult.unverified``)
    unverified: list[str] = field(default_factory=list)
    already_done: list[str] = field(default_factory=list)  # found done in the ledger
    failed: dict[str, str] = field(default_factory=dict)  # subject → why
    skipped: list[str] = field(default_factory=list)  # reported, not written (policy, platform rule)
    record_errors: list[str] = field(default_factory=list)
    error: str | None = None
    #: why the aspect was not run on this shop (nothing configured for it): no counts to give
    not_run: str | None = None

    def line(self, dry_run: bool) -> str:
        if self.not_run and self.idle:
            return f"{self.shop}: not run: {self.not_run}"
        verb = "to push" if dry_run else "pushed"
        parts = [f"{len(self.pushed)} {verb}"]
        if self.unverified:
            parts.append(f"{len(self.unverified)} written, not verified ({', '.join(self.unverified)})")
        parts.append(f"{len(self.already_done)} already done")
        parts.append(f"{len(self.failed)} failed" + (f" ({', '.join(sorted(self.failed))})" if self.failed else ""))
        parts.append(f"{len(self.skipped)} skipped" + (f" ({', '.join(self.skipped)})" if self.skipped else ""))
        if self.record_errors:
            parts.append(f"{len(self.record_errors)} bad record(s)")
        line = f"{self.shop}: " + ", ".join(parts)
        return line + ": nothing to push" if self.idle else line

    @property
    def idle(self) -> bool:
        """Nothing to push and nothing wrong: Seller Center already has what the ERP holds."""
        return not (
            self.pushed
            or self.unverified
            or self.already_done
            or self.failed
            or self.skipped
            or self.record_errors
            or self.error
        )


def summarise(report: RunReport, aspect: str) -> list[PushSummary]:
    """Per shop: what the aspect pushed, found done, failed (by id) and skipped."""
    out = []
    for shop in report.shops:
        summary = PushSummary(shop.shop, error=shop.error)
        for part in shop.aspects:
            if part.aspect == aspect:
                _fold(summary, part)
        out.append(summary)
    return out


def _fold(summary: PushSummary, part: AspectReport) -> None:
    covered: set[str] = set()
    for result in part.actions:
        subject = result.action.subject
        covered.update(result.action.drifts)
        if result.status == "applied" and result.unverified:
            summary.unverified.append(subject)
        elif result.status in ("applied", "planned"):
            summary.pushed.append(subject)
        elif result.status == "skipped":
            summary.already_done.append(subject)
        elif result.status == "failed":
            summary.failed[subject] = result.detail or "failed"
        else:
            summary.skipped.append(subject)
    summary.skipped.extend(d.subject for d in part.drifts if d.fingerprint not in covered)
    summary.record_errors.extend(part.record_errors)
    if part.not_run:
        summary.not_run = part.not_run
    if part.error and summary.error is None:
        summary.error = part.error


def show(report: RunReport, aspect: str, dry_run: bool, console: Console) -> None:
    """The summary per shop (pushed / already done / failed by id / skipped), then the details."""
    for summary in summarise(report, aspect):
        console.print(escape(summary.line(dry_run)), highlight=False)
        for subject, why in sorted(summary.failed.items()):
            console.print(f"  failed {escape(subject)}: {escape(why)}", highlight=False)
        for error in summary.record_errors:
            console.print(f"  bad record: {escape(error)}", highlight=False)
        if summary.error:
            console.print(f"  [red]error[/red]: {escape(summary.error)}", highlight=False)
    for shop in report.shops:
        for part in shop.aspects:
            if part.aspect == aspect:
                for note in part.notes:
                    if part.not_run and note == f"{part.not_run}: not run":
                        continue  # the summary line said it
                    console.print(f"  {escape(shop.shop)}: {escape(note)}", highlight=False)
