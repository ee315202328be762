"""A RunReport as one self-contained HTML file (``--format html``): the terminal's drift table,
for a browser, an archive or an email attachment.

The same rows as ``render.render_table`` in the same words (``render_text``), per shop and aspect:
warehouse, problem, both sides' values, severity and what happens to the drift; then what was
seen and why, the guided steps once per distinct list, notes, errors and the one-line summary.
The layout and the escaping are ``erpsync.report_html``'s.
"""

from __future__ import annotations

from erpsync.core.models import ActionResult, Drift, RunReport, Texts
from erpsync.core.timefmt import beijing_time
from erpsync.render import action_by_drift, drift_sections, step_groups, summary
from erpsync.render_text import COLUMNS, FIELDS, SEVERITIES, T, action_text, kind_label, value_label
from erpsync.report_html import Page, Row, Section, Seen, StepGroup, render_page

__all__ = ["TITLE", "render_report", "report_page"]

TITLE = Texts("erpsync drift report", "erpsync 差异报告")


def render_report(report: RunReport, lang: str = "en") -> str:
    """The whole HTML document for ``report`` in ``lang``."""
    return render_page(report_page(report, lang))


def report_page(report: RunReport, lang: str = "en") -> Page:
    """What the page shows, as plain data: the place to test the words without parsing HTML."""
    actions = action_by_drift(report)
    sections = []
    for title, a in drift_sections(report, lang):
        rows = tuple(_row(d, actions.get(d.fingerprint), lang) for d in a.drifts)
        seen = tuple(Seen(d.text(lang), tuple(w.get(lang) for w in d.why)) for d in a.drifts)
        sections.append(Section(title, rows, seen))
    notes = [f"{s.shop}/{a.aspect}: {note}" for s in report.shops for a in s.aspects for note in a.notes]
    return Page(
        lang=lang,
        title=TITLE.get(lang),
        columns=tuple(c.get(lang) for c in COLUMNS),
        sections=tuple(sections),
        summary=summary(report, lang),
        generated=beijing_time(report.started_at, lang),
        headings={key: T[key].get(lang).rstrip(":：") for key in ("seen", "steps", "note", "error")},
        in_sync=not report.drifts and not report.errors and report.checked,  # nothing checked is not calm
        notes=(*notes, *report.notes),
        errors=tuple(report.errors),
        steps=_steps(report, lang),
    )


def _row(d: Drift, result: ActionResult | None, lang: str) -> Row:
    action = (
        action_text(None, None, None, lang)
        if result is None
        else action_text(result.status, result.action.target, result.detail, lang, unverified=result.unverified)
    )
    severity = SEVERITIES[d.severity.value].get(lang)
    cells = (d.subject, _problem(d, lang), _value(d, d.seller_value, lang), _value(d, d.erp_value, lang))
    return Row((*cells, severity, action), d.severity.value)


def _problem(d: Drift, lang: str) -> str:
    """The pickup kind in ops words, an address drift's field as Seller Center's form names it."""
    label = kind_label(d.kind, lang)
    if label != d.kind:
        return label
    words = FIELDS.get(d.field or "")
    return words.get(lang) if words is not None else (d.field or d.kind)


def _value(d: Drift, value: str | None, lang: str) -> str:
    return value_label(value, lang, statuses=d.aspect == "pickup") if value is not None else "—"


def _steps(report: RunReport, lang: str) -> tuple[StepGroup, ...]:
    several_shops = len({s.shop for s in report.shops}) > 1
    sep = "、" if lang == "zh" else ", "
    groups = []
    for steps, drifts in step_groups(report):
        names = dict.fromkeys(f"{d.shop}/{d.subject}" if several_shops else d.subject for d in drifts)
        kinds = dict.fromkeys(_problem(d, lang) for d in drifts)
        label = T["group"].get(lang).format(names=sep.join(names), kinds=sep.join(kinds)).rstrip(":：")
        groups.append(StepGroup(label, tuple(step.get(lang) for step in steps)))
    return tuple(groups)
