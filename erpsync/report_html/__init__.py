"""A drift table as one self-contained HTML page: the file ``reconcile --format html`` writes and
the email sink attaches.

The page is plain data (``Page``) rendered by one Jinja2 template with autoescaping on: every
value, a warehouse name with ``<script>`` in it included, reaches the reader as text. The page
carries its CSS inline and references nothing outside itself (no fonts, images, scripts or
links), so it opens the same offline, from a mail client's attachment or from a disk, and a mail
client that blocks remote content shows all of it. Both callers fill ``Page`` with words already
in the reader's language; this module holds no words of its own, only the layout.

It depends on nothing of erpsync's but this data, so alert sinks (which sit below the report
renderers) can use it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Template

__all__ = ["COLUMN_KEYS", "Page", "Row", "Section", "Seen", "StepGroup", "render_page"]

#: the table's columns, in order: the class of each cell, the same in every language
COLUMN_KEYS = ("warehouse", "problem", "seller", "erp", "severity", "action")


@dataclass(frozen=True)
class Row:
    """One drift: a cell per ``COLUMN_KEYS`` entry; ``level`` (critical, warning, info) colours it."""

    cells: tuple[str, str, str, str, str, str]
    level: str


@dataclass(frozen=True)
class Seen:
    """What erpsync saw about one drift, and the reasons under it."""

    text: str
    why: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """One table: a shop and aspect, or an alert's shop."""

    title: str
    rows: tuple[Row, ...]
    seen: tuple[Seen, ...] = ()


@dataclass(frozen=True)
class StepGroup:
    """A guided fix shared by several drifts, printed once under their names."""

    label: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """Everything the page shows, in its reader's language (``lang``: ``en`` or ``zh``).

    ``headings`` names the column headers (``columns``) and the page's own parts: ``seen``,
    ``steps``, ``note`` and ``error``; ``in_sync`` marks a report with nothing open (a calmer
    summary box).
    """

    lang: str
    title: str
    columns: tuple[str, ...]
    sections: tuple[Section, ...]
    summary: str
    generated: str
    headings: dict[str, str]
    in_sync: bool = False
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    steps: tuple[StepGroup, ...] = ()


@cache
def _template() -> Template:
    """Built on first use: ``erpsync --help`` and sinks without attachments never import Jinja2."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("erpsync.report_html", "templates"),
        autoescape=True,  # every value is text, whatever markup it holds
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("report.html")


def render_page(page: Page) -> str:
    """The page as one HTML document (UTF-8 text; the ``<meta charset>`` says so)."""
    return _template().render(page=page, keys=COLUMN_KEYS)
