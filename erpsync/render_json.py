"""A RunReport as machines read it (``--format json``): one document, every text in both languages.

Values are the enum values the Open API and actions use (``DROP_OFF``), times ISO 8601 with their
offset. The texts people read (``summary``, ``why``, ``steps``) carry English and Chinese whatever
``--lang`` says, so a script can forward either without running erpsync again; ``lang`` records
which one the run was asked for.
"""

from __future__ import annotations

import json
from typing import Any

from erpsync.core.models import ActionResult, Drift, HandoverMode, RunReport

__all__ = ["UNCONFIRMED", "action_by_drift", "dumps", "error_json", "json_value", "report_json", "unconfirmed"]

#: the drift kind of a warehouse whose pickup status no evidence settles: never "in sync"
UNCONFIRMED = "pickup_unconfirmed"
_BY_LABEL = {m.label: m.value for m in HandoverMode}


def json_value(value: str | None) -> str | None:
    """A value as machines spell it: handover modes as their enum value (``DROP_OFF``)."""
    return _BY_LABEL.get(value, value) if value is not None else None


def action_by_drift(report: RunReport) -> dict[str, ActionResult]:
    return {fp: r for s in report.shops for a in s.aspects for r in a.actions for fp in r.action.drifts}


def unconfirmed(report: RunReport) -> list[tuple[str, str]]:
    """(shop, warehouse) of every warehouse whose pickup status erpsync could not tell, once each."""
    return list(dict.fromkeys((d.shop, d.subject) for d in report.drifts if d.kind == UNCONFIRMED))


def _summary(d: Drift) -> dict[str, str]:
    """Both languages always; a drift with no translation (an address field) says its message in both."""
    return d.summary.as_dict() if d.summary is not None else {"en": d.message, "zh": d.message}


def report_json(report: RunReport, lang: str = "en") -> dict[str, Any]:
    actions = action_by_drift(report)
    open_questions = len(unconfirmed(report))

    def drift(d: Drift) -> dict[str, Any]:
        result = actions.get(d.fingerprint)
        return {
            "fingerprint": d.fingerprint, "kind": d.kind, "warehouse": d.subject, "field": d.field,
            "seller_value": json_value(d.seller_value), "erp_value": json_value(d.erp_value),
            "severity": d.severity.value, "message": d.message, "identity": d.identity,
            "summary": _summary(d), "why": [t.as_dict() for t in d.why], "steps": [t.as_dict() for t in d.steps],
            "action": None if result is None else {
                "kind": result.action.kind, "target": result.action.target, "subject": result.action.subject,
                "value": json_value(result.action.value), "description": result.action.description,
                "status": result.status, "detail": result.detail, "unverified": result.unverified,
            },
        }  # fmt: skip

    return {
        "run_id": report.run_id,
        "apply": report.apply,
        "lang": lang,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "exit_code": report.exit_code,
        # a run whose aspects were all not run checked nothing: not in sync, though nothing is wrong
        "in_sync": report.exit_code == 0 and not open_questions and report.checked,
        "unconfirmed": open_questions,
        "shops": [
            {
                "shop": s.shop,
                "error": s.error,
                "aspects": [
                    {
                        "aspect": a.aspect,
                        "not_run": a.not_run,
                        "kept_unchecked": a.kept_unchecked,
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
        "notes": report.notes,
    }


def dumps(report: RunReport, lang: str = "en") -> str:
    return json.dumps(report_json(report, lang), ensure_ascii=False, indent=2)


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
