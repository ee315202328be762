"""Turn a RunReport into what operators read (a rich table) and what machines read (JSON)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from erpsync.core.models import ActionResult, Drift, RunReport

TARGET = {"erp": "ERP", "seller": "Seller Center"}


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
        "unsupported": f"not fixable: {result.detail}",
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
                cells = (d.subject, d.field or d.kind, d.seller_value or "—", d.erp_value or "—")
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
    shops = len(report.shops)
    drifts, outstanding, errors = len(report.drifts), len(report.outstanding), len(report.errors)
    parts = []
    if not drifts and not errors:
        parts.append(f"In sync: {shops} shop(s), no drift.")
    elif report.apply:
        fixed = drifts - outstanding
        parts.append(f"{drifts} drift(s) found on {shops} shop(s); {fixed} fixed, {outstanding} still open.")
    else:
        planned = sum(1 for s in report.shops for a in s.aspects for _ in a.actions)
        parts.append(f"{drifts} drift(s) found on {shops} shop(s); {planned} correction(s) planned.")
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
            "seller_value": d.seller_value, "erp_value": d.erp_value, "severity": d.severity.value,
            "message": d.message,
            "action": None if result is None else {
                "kind": result.action.kind, "target": result.action.target, "subject": result.action.subject,
                "value": result.action.value, "description": result.action.description,
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
