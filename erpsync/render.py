"""Turn a RunReport into what operators read: a rich table per shop and aspect, what was seen
and why, the guided steps, and a one-line summary (JSON: ``render_json``).

Output that is not a terminal (a pipe, a file, cron's mail) is never wrapped: a log reader or a
``grep`` must find a whole message on one line, so :func:`make_console` gives such output no width
limit, and the terminal's width only to a terminal. Values are spelled one way per audience:
tables use the operator's spelling (``DROP OFF``, in Chinese ``DROP OFF（自寄）``), JSON the enum
value (``DROP_OFF``), the value an action carries and the Open API uses. The table speaks the
report's language (``--lang``); the words are in ``render_text``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from erpsync.core.models import ActionResult, AspectReport, Drift, RunReport, Texts
from erpsync.core.timefmt import beijing_time
from erpsync.logs import progress_record
from erpsync.render_json import UNCONFIRMED, action_by_drift, dumps, error_json, json_value, report_json, unconfirmed
from erpsync.render_text import ASPECTS, COLUMNS, FIELDS, SEVERITIES, T, action_text, kind_label, value_label

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "UNWRAPPED_WIDTH",
    "action_by_drift",
    "drift_sections",
    "dumps",
    "error_json",
    "escape",
    "json_value",
    "make_console",
    "progress",
    "render_table",
    "report_json",
    "shown_value",
    "summary",
    "unconfirmed",
]

#: the width of output that is not a terminal: wide enough that nothing ever wraps
UNWRAPPED_WIDTH = 10_000
_COLOURS = {"critical": "red", "warning": "yellow", "info": "cyan"}


def escape(text: str) -> str:
    """``text`` shown as it is in rich markup (``[b]`` stays two brackets and a letter).

    rich is imported on the first call, not with this module: ``erpsync --help`` prints no markup.
    """
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def make_console(*, stderr: bool = False) -> Console:
    """A console that wraps only on a terminal: anything else gets whole lines, no colour."""
    from rich.console import Console

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

    def say(message: str) -> None:
        as_json = progress_record(message)  # with JSON logs, a JSON line like theirs
        if as_json is not None:
            console.file.write(as_json + "\n")
            console.file.flush()
        else:
            console.print(escape(message), highlight=False, soft_wrap=True)

    yield say


def shown_value(value: str | None, lang: str = "en") -> str | None:
    """A value as operators spell it: handover modes as ``PICK UP`` / ``DROP OFF``."""
    return value_label(value, lang, statuses=False) if value is not None else None


def _cell(d: Drift, value: str | None, lang: str) -> str:
    """One side's value; pickup values also name subscription statuses in words (``审核中``)."""
    return value_label(value, lang, statuses=d.aspect == "pickup") if value is not None else "—"


def _action_text(result: ActionResult | None, lang: str = "en") -> str:
    """Short enough for an 80-column table; the full description is in --format json."""
    if result is None:
        return action_text(None, None, None, lang)
    return action_text(result.status, result.action.target, result.detail, lang, unverified=result.unverified)


def _severity(d: Drift, lang: str) -> str:
    colour = _COLOURS[d.severity.value]
    return f"[{colour}]{escape(SEVERITIES[d.severity.value].get(lang))}[/{colour}]"


def _problem(d: Drift, lang: str) -> str:
    """The pickup kind in ops words; an address drift names its field the way Seller Center's
    form does (``street`` → street address / 详细地址), unknown fields as they are."""
    label = kind_label(d.kind, lang)
    if label != d.kind:
        return label
    words = FIELDS.get(d.field or "")
    return words.get(lang) if words is not None else (d.field or d.kind)


def _indented(console: Console, text: str, indent: int) -> None:
    """``text`` indented, wrapped lines too (on a terminal); unpadded, so pipes get no trailing blanks."""
    from rich.padding import Padding
    from rich.text import Text

    console.print(Padding(Text(text), (0, 0, 0, indent), expand=False), highlight=False)


def drift_sections(report: RunReport, lang: str = "en") -> Iterator[tuple[str, AspectReport]]:
    """Each (shop, aspect) with drift, as its section title and its report: the terminal table and
    the HTML report title their sections alike (``shop · aspect``, and "after apply" on an apply run)."""
    for s in report.shops:
        for a in s.aspects:
            if not a.drifts:
                continue
            aspect = ASPECTS[a.aspect].get(lang) if a.aspect in ASPECTS else a.aspect
            yield f"{s.shop} · {aspect}" + (T["after_apply"].get(lang) if report.apply else ""), a


def render_table(report: RunReport, console: Console, lang: str = "en") -> None:
    """Per shop and aspect with drift: a table, then what was seen and why for each drift.
    Then notes, the guided steps (once per distinct list), errors and a one-line summary."""
    from rich.table import Table

    actions = action_by_drift(report)
    for title, a in drift_sections(report, lang):
        table = Table(title=escape(title), title_justify="left", show_lines=True)
        for col in COLUMNS:
            table.add_column(escape(col.get(lang)), overflow="fold")
        for d in a.drifts:
            cells = (d.subject, _problem(d, lang), _cell(d, d.seller_value, lang), _cell(d, d.erp_value, lang))
            action = escape(_action_text(actions.get(d.fingerprint), lang))
            table.add_row(*map(escape, cells), _severity(d, lang), action)
        console.print(table)
        console.print(T["seen"].get(lang), highlight=False)
        for d in a.drifts:
            _indented(console, f"- {d.text(lang)}", 2)  # drift texts name their warehouse
            for why in d.why:
                _indented(console, f"· {why.get(lang)}", 4)
    for s in report.shops:
        for a in s.aspects:
            for note in a.notes:
                console.print(f"[dim]{T['note'].get(lang)}[/dim] {escape(f'{s.shop}/{a.aspect}: {note}')}")
    for note in report.notes:
        console.print(f"[dim]{T['note'].get(lang)}[/dim] {escape(note)}")
    _render_steps(report, console, lang)
    for line in report.errors:
        console.print(f"[red]{T['error'].get(lang)}[/red] {escape(line)}", highlight=False)
    when = T["at"].get(lang).format(beijing_time(report.started_at, lang))
    console.print(escape(f"{when} {summary(report, lang)}"), highlight=False)


def step_groups(report: RunReport) -> list[tuple[tuple[Texts, ...], list[Drift]]]:
    """Drifts that share one list of steps, in report order: ten warehouses with the same fix
    print it once, under all their names."""
    groups: dict[tuple[Texts, ...], list[Drift]] = {}
    for d in report.drifts:
        if d.steps:
            groups.setdefault(d.steps, []).append(d)
    return list(groups.items())


def _render_steps(report: RunReport, console: Console, lang: str) -> None:
    groups = step_groups(report)
    if not groups:
        return
    several_shops = len({s.shop for s in report.shops}) > 1
    console.print(T["steps"].get(lang), highlight=False)
    for steps, drifts in groups:
        names = dict.fromkeys(f"{d.shop}/{d.subject}" if several_shops else d.subject for d in drifts)
        kinds = dict.fromkeys(_problem(d, lang) for d in drifts)
        label = (
            T["group"]
            .get(lang)
            .format(
                names="、".join(names) if lang == "zh" else ", ".join(names),
                kinds="、".join(kinds) if lang == "zh" else ", ".join(kinds),
            )
        )
        _indented(console, label, 2)
        for number, step in enumerate(steps, start=1):
            _indented(console, f"{number}. {step.get(lang)}", 4)


def summary(report: RunReport, lang: str = "en") -> str:
    shops = sum(1 for s in report.shops if s.ran)  # a shop an error stopped was not checked
    drifts, outstanding, errors = len(report.drifts), len(report.outstanding), len(report.errors)
    statuses = [r.status for s in report.shops for a in s.aspects for r in a.actions]
    planned, report_only = statuses.count("planned"), statuses.count("unsupported")
    # an aspect with nothing configured for it checked nothing: never counted as in sync
    not_run = report.not_run
    parts = []
    if not drifts and not errors and not_run and not report.checked:
        parts.append(T["nothing_checked"].get(lang).format(count=not_run, shops=shops))
        not_run = 0  # said already
    elif not drifts and not errors:
        parts.append(T["in_sync"].get(lang).format(shops=shops))
    elif report.apply:
        fixed = drifts - outstanding
        text = T["found_applied"].get(lang)
        parts.append(text.format(drifts=drifts, shops=shops, fixed=fixed, outstanding=outstanding))
    else:
        parts.append(T["found_planned"].get(lang).format(drifts=drifts, shops=shops, planned=planned))
    if not_run:
        parts.append(T["not_run"].get(lang).format(count=not_run))
    unsure = unconfirmed(report)
    if unsure:  # before the --apply hint: no correction settles these, only the steps do
        guided = any(d.steps for d in report.drifts if d.kind == UNCONFIRMED)
        where = T["where_steps" if guided else "where_table"].get(lang)
        parts.append(T["unconfirmed"].get(lang).format(count=len(unsure), where=where))
    if not report.apply and report_only:
        parts.append(T["report_only"].get(lang).format(count=report_only))
    if not report.apply and planned:
        parts.append(T["run_apply"].get(lang))
    if errors:
        parts.append(T["errors"].get(lang).format(count=errors))
    return ("" if lang == "zh" else " ").join(parts)
