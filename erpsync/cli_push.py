"""``erpsync push ASPECT``: run one pushing aspect (``tracking``, ``listings``) with its writes.

``reconcile --apply`` runs every aspect; an operator who wants today's tracking numbers out now
wants that one aspect, and a count per outcome rather than a table of drifts. Each push is still
recorded in the ledger before and after, so ``push`` can be run again after any failure: what was
pushed is not pushed twice. ``--dry-run`` plans and shows, and sends
nothing to Seller Center or the ERP (the state store still records what the run learnt).

Progress comes from the host's own step messages (``sync.Progress``, the callback ``reconcile``
uses): on a terminal they drive a rich progress bar that counts the write steps; anywhere else (a
pipe, cron, CI) each step is one plain line on stderr, as ``reconcile`` prints them, so a log
shows where a slow push was. The summary goes to stdout either way.

Aspects carry no flag saying whether they push, so a plugin's aspect is taken at its word; the
built-in aspects that push nothing from the ERP (:data:`RECONCILE_ONLY`) are refused with a usage
error naming ``erpsync reconcile``, where their comparison and corrections belong.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from erpsync import render
from erpsync.core.errors import UsageError
from erpsync.plugins.context import CommandContext
from erpsync.render import escape
from erpsync.render_push import show

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["RECONCILE_ONLY", "is_write_step", "push", "push_progress", "refuse_reconcile_only"]

#: the host's step message after the writes (``Syncer._run_aspect``): a read, not a write
REREAD = "re-reading the corrected records"
#: the built-in aspects that push nothing from the ERP: they compare the two sides and correct the
#: ERP from Seller Center (warehouse_address, pickup, order_status) or only alert (ship_by)
RECONCILE_ONLY = frozenset(["warehouse_address", "pickup", "order_status", "ship_by"])


def refuse_reconcile_only(aspect: str) -> None:
    """UsageError for a built-in aspect that does not push, naming the command that runs it."""
    if aspect in RECONCILE_ONLY:
        raise UsageError(
            f"{aspect} pushes nothing from the ERP: `erpsync push` takes listings, tracking or a "
            f"plugin's aspect; run `erpsync reconcile --aspect {aspect}` (with --apply to make its "
            "corrections)"
        )


def is_write_step(message: str, aspect: str) -> bool:
    """Whether a host step message announces one write of ``aspect`` (``shop: aspect: what``).

    The host says ``shop: starting``, ``shop: aspect``, then one ``shop: aspect: description``
    per write it makes and ``shop: aspect: re-reading ...`` after them: the bar counts writes.
    """
    _shop, sep, rest = message.partition(f": {aspect}: ")
    return bool(sep) and bool(rest) and rest != REREAD


@contextmanager
def push_progress(console: Console, aspect: str, *, bar: bool) -> Iterator[Callable[[str], None]]:
    """The ``progress`` callback for ``Syncer.run``: a bar with ``bar``, else plain lines.

    The bar's length is open (the host does not announce how many writes it planned): it pulses,
    counts the write steps (one per call; a batch of packages shipped in one call is one step)
    and shows the step in hand, and goes away when the push ends, leaving the summary alone on
    screen. Without a bar this is ``render.progress``, reconcile's plain lines.
    """
    if not bar:
        with render.progress(console) as say:
            yield say
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Column

    columns = (
        SpinnerColumn(),
        TextColumn(f"push {escape(aspect)}"),
        BarColumn(),
        TextColumn("{task.completed:.0f} write step(s)"),
        TimeElapsedColumn(),
        # the step in hand on one line, cut to the terminal: a wrapped caption would make the bar jump
        TextColumn("{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis")),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting", total=None)

        def say(message: str) -> None:
            progress.update(task, description=escape(message), advance=1 if is_write_step(message, aspect) else 0)

        yield say


@click.command()
@click.argument("aspect", metavar="ASPECT")
@click.option("--shop", "shops", multiple=True, metavar="NAME", help="Only this shop (repeatable). Default: all.")
@click.option("--dry-run", is_flag=True, help="Plan and count the pushes; send nothing to Seller Center or the ERP.")
@click.pass_obj
def push(state: CommandContext, aspect: str, shops: tuple[str, ...], dry_run: bool) -> int:
    """Push one aspect's changes from the ERP: `erpsync push listings` or `erpsync push tracking`.

    ASPECT is listings, tracking or an aspect a plugin adds; warehouse_address, pickup,
    order_status and ship_by push nothing from the ERP: `erpsync reconcile --aspect NAME` runs
    them.

    Each push is recorded in the ledger before and after it is made, so running it again never
    pushes twice. The summary says, per shop:

    \b
      pushed        written by this run (with --dry-run: "to push")
      written, not verified
                    written, but the read after the writes did not read it back:
                    its drift stays open (exit 2) until a read sees it hold
      already done  done by an earlier run (the ledger says so): not sent again
      failed        refused or unanswered, by id with the reason; run again to retry
      skipped       reported, never written: the policy says report, or the platform
                    does not allow it (a cancelled order, a number past its window)
      bad record    an ERP row that cannot be pushed, by file, line and field
      not run       nothing is configured for the aspect (an ERP that keeps no
                    products or shipments), so nothing was compared or pushed

    Records Seller Center already holds as the ERP does are not counted: a shop with
    nothing else says "nothing to push". On a terminal a progress bar counts the write steps;
    otherwise (a pipe, cron) each step is one line on stderr.

    Exit code: 0 all pushed, 2 something left unpushed, 1 error (a failed push, a bad record),
    64 usage error, 143 / 130 stopped by SIGTERM / SIGINT after recording the push in hand.
    """
    from erpsync.sync import Syncer

    refuse_reconcile_only(aspect)
    settings = state.settings()
    syncer = Syncer(settings, pm=state.pm, registry=state.registry)
    err = render.make_console(stderr=True)
    try:
        with push_progress(err, aspect, bar=sys.stdout.isatty() and err.is_terminal) as say:
            report = syncer.run(
                shops=shops or None, aspects=[aspect], apply=not dry_run, progress=say, handle_signals=True
            )
    finally:
        syncer.close()
    show(report, aspect, dry_run, render.make_console())
    return report.exit_code
