"""Where ``erpsync reconcile`` puts its report: stdout, or a file (``-o``) in any format.

A file is written beside its name and renamed over it, so whatever reads it (a mail job, a web
server, a browser refreshing) sees the previous report or the whole new one, never half of one.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from erpsync.core.models import RunReport

__all__ = ["FORMATS", "report_text", "show_report"]

#: ``--format``: the terminal table, one JSON document, one self-contained HTML page
FORMATS = ("table", "json", "html")


def show_report(report: RunReport, fmt: str, output: Path | None, lang: str) -> None:
    """``report`` in ``fmt`` on stdout, or in ``output`` with its one-line summary on stderr."""
    from erpsync import render  # the renderer and the models: not for ``--help``, which imports this

    if fmt == "table" and output is None:
        render.render_table(report, render.make_console(), lang)  # a terminal gets colour and width
        return
    text = report_text(report, fmt, lang)
    if output is None:
        click.echo(text, nl=False)
        return
    partial = output.with_name(f".{output.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(output)
    click.echo(f"{output}: {render.summary(report, lang)}", err=True)


def report_text(report: RunReport, fmt: str, lang: str) -> str:
    """The whole report as text: the table unwrapped and without colour, as a file holds it."""
    from erpsync import render

    if fmt == "html":
        from erpsync.render_html import render_report  # Jinja2 only for the format that needs it

        return render_report(report, lang)
    if fmt == "json":
        return render.dumps(report, lang) + "\n"
    from rich.console import Console

    buffer = io.StringIO()
    render.render_table(report, Console(file=buffer, width=render.UNWRAPPED_WIDTH, soft_wrap=True), lang)
    return buffer.getvalue()
