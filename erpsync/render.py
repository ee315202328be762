"""Turn a RunReport into what operators read (a rich table) and what machines read (JSON).

Output that is not a terminal (a pipe, a file, cron's mail) is never wrapped: a log reader or a
``grep`` must find a whole message on one line, so :func:`make_console` gives such output no width
limit, and the terminal's width only to a terminal. Values are spelled one way per audience:
tables use the operator's spelling (``DROP OFF``), JSON the enum value (``DROP_OFF``), the value
an action carries and the Open API uses.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from erpsync.core.models import ActionResult, Drift, HandoverMode, RunReport

TARGET = {"erp": "ERP", "seller": "Seller Center"}
#: the width of output that is not a terminal: wide enough that nothing ever wraps
UNWRAPPED_WIDTH = 10_000
_BY_LABEL = {m.label: m.value for m in HandoverMode}
_BY_VALUE = {m.value: m.label for m in HandoverMode}


def make_console(*, stderr: bool = False) -> Console:
    """A console that wraps only on a terminal: anything else gets whole lines, no colour."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=UNWRAPPED_WIDTH, soft_wrap=True)


@contextmanager
def progress(console: Console) -> Iterator[Callable[[str], None]]:
    """Report each step: a spinner line on a terminal, else one plain line per step.

    A plain line per step lets cron mail and a CI log show where a slow or stuck run was.
    """
    if console.is_terminal:
        with console.status("reconciling…") as status:
            yield lambda message: status.update(escape(message))
        return
    yield lambda message: console.print(escape(message), highlight=False, soft_wrap=True)


def shown_value(value: str | None) -> str | None:
    """A value as operators spell it: handover modes as ``PICK UP`` / ``DROP OFF``."""
    return _BY_VALUE.get(value, value) if value is not None else None


def json_value(value: str | None) -> str | None:
    """A value as machines spell it: handover modes as their enum value (``DROP_OFF``)."""
    return _BY_LABEL.get(value, value) if value is not None else None


def _action_text(result: ActionResult | None) -> str:
    """Short enough for an 80-column table; the full description is in --format json."""
    if result is None:
        return "alert only"
    target = TARGET[result.action.target]
    return {
        "planned": f"fix {target}",
        "applied": f"fixed in {target}",
        "skipped": f"already fixed in {target}",
        "failed": f"FAILED: {result.detail}",
        "unsupported": f"report only: {result.detail}",
    }[result.status]


def action_by_drift(report: RunReport) -> dict[str, ActionResult]:
    return {fp: r for s in report.shops for a in s.aspects for r in a.actions for fp in r.action.drifts}


def render_table(report: RunReport, console: Console) -> None:
    """One table per shop and aspect with drift; then notes, errors and a one-line summary."""
    actions = action_by_drift(report)
    for s in report.shops:
        for a in s.aspects:
            if not a.drifts:
                continue
            title = f"{s.shop} · {a.aspect}" + (" (after --apply)" if report.apply else "")
            table = Table(title=escape(title), title_justify="left", show_lines=True)
            for col in ("warehouse", "field", "Seller Center", "ERP", "severity", "action"):
                table.add_column(col, overflow="fold")
            for d in a.drifts:
                seller, erp = shown_value(d.seller_value) or "—", shown_value(d.erp_value) or "—"
                cells = (d.subject, d.field or d.kind, seller, erp)
                table.add_row(*map(escape, cells), _severity(d), escape(_action_text(actions.get(d.fingerprint))))
            console.print(table)
    for s in report.shops:
        for a in s.aspects:
            for note in a.notes:
                console.print(f"[dim]note[/dim] {escape(f'{s.shop}/{a.aspect}: {note}')}", highlight=False)
    for line in report.errors:
        console.print(f"[red]error[/red] {escape(line)}", highlight=False)
    console.print(escape(summary(report)), highlight=False)


def _severity(d: Drift) -> str:
    colour = {"critical": "red", "warning": "yellow", "info": "cyan"}[d.severity.value]
    return f"[{colour}]{d.severity.value}[/{colour}]"


def summary(report: RunReport) -> str:
    shops = sum(1 for s in report.shops if s.ran)  # a shop an error stopped was not checked
    drifts, outstanding, errors = len(report.drifts), len(report.outstanding), len(report.errors)
    parts = []
    if not drifts and not errors:
        parts.append(f"In sync: {shops} shop(s), no drift.")
    elif report.apply:
        fixed = drifts - outstanding
        parts.append(f"{drifts} drift(s) found on {shops} shop(s); {fixed} fixed, {outstanding} still open.")
    else:
        statuses = [r.status for s in report.shops for a in s.aspects for r in a.actions]
        planned, report_only = statuses.count("planned"), statuses.count("unsupported")
        parts.append(f"{drifts} drift(s) found on {shops} shop(s); {planned} correction(s) planned.")
        if report_only:
            parts.append(f"{report_only} correction(s) the target cannot make: report only.")
        if planned:
            parts.append("Run again with --apply to make them.")
    if errors:
        parts.append(f"{errors} error(s): see above.")
    return " ".join(parts)


def report_json(report: RunReport) -> dict[str, Any]:
    actions = action_by_drift(report)

    def drift(d: Drift) -> dict[str, Any]:
        result = actions.get(d.fingerprint)
        return {
            "fingerprint": d.fingerprint, "kind": d.kind, "warehouse": d.subject, "field": d.field,
            "seller_value": json_value(d.seller_value), "erp_value": json_value(d.erp_value),
            "severity": d.severity.value, "message": d.message,
            "action": None if result is None else {
                "kind": result.action.kind, "target": result.action.target, "subject": result.action.subject,
                "value": json_value(result.action.value), "description": result.action.description,
                "status": result.status, "detail": result.detail,
            },
        }  # fmt: skip

    return {
        "run_id": report.run_id,
        "apply": report.apply,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "exit_code": report.exit_code,
        "in_sync": report.exit_code == 0,
        "shops": [
            {
                "shop": s.shop,
                "error": s.error,
                "aspects": [
                    {
                        "aspect": a.aspect,
                        "error": a.error,
                        "drifts": [drift(d) for d in a.drifts],
                        "record_errors": a.record_errors,
                        "notes": a.notes,
                        "opened": a.opened,
                        "resolved": a.resolved,
                    }
                    for a in s.aspects
                ],
            }
            for s in report.shops
        ],
        "errors": report.errors,
    }


def dumps(report: RunReport) -> str:
    return json.dumps(report_json(report), ensure_ascii=False, indent=2)


def error_json(message: str, exit_code: int) -> str:
    """A run that stopped before its report (config, usage, plugin errors), as --format json.

    Shaped like a report (``errors`` holds one entry per line of the message: a config error names
    every bad key on its own line), so a script reads ``exit_code`` and ``errors`` either way.
    """
    return json.dumps(
        {"run_id": None, "exit_code": exit_code, "in_sync": False, "shops": [], "errors": message.splitlines()},
        ensure_ascii=False,
        indent=2,
    )
