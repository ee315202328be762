"""What every ``erpsync`` command module shares: exit codes, the ``--lang`` option, shop lookup,
durations typed on the command line.

The commands live in several modules (``cli``, ``cli_admin``, ``cli_pickup``) so that each stays
small; this one sits under them all, so none of them imports another to reach these.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from erpsync.core.errors import UsageError
from erpsync.core.lang import LANGS, Lang

if TYPE_CHECKING:
    from erpsync.core.config import Settings, ShopSettings

__all__ = [
    "EXIT_DRIFT",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "Duration",
    "chosen_lang",
    "known_shop",
    "lang_option",
    "parse_duration",
    "serve_until_stopped",
    "wait_option",
]

EXIT_OK, EXIT_ERROR, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2, 64

F = TypeVar("F", bound=Callable[..., Any])


def lang_option(what: str) -> Callable[[F], F]:
    """``--lang en|zh`` for a command whose ``what`` people read; unset, the config's ``lang`` decides."""
    return click.option(
        "--lang",
        type=click.Choice(LANGS),
        default=None,
        help=f"Language of {what}: en (English) or zh (中文, in Seller Center's terms: 商家后台, "
        "审核中, 上门揽收/自寄). Default: `lang` in the config, else en.",
    )


def wait_option(what: str) -> Callable[[F], F]:
    """``--wait SECONDS`` for a command that takes a shop's lease: ``what`` says when it waits;
    unset (0), a shop another run holds is refused at once, naming the holder."""
    return click.option("--wait", type=click.FloatRange(min=0), default=0.0, metavar="SECONDS", help=what)


def chosen_lang(option: str | None, settings: Settings) -> Lang:
    """``--lang`` when given, else the configuration's."""
    return "zh" if option == "zh" else "en" if option == "en" else settings.lang


def known_shop(settings: Settings, name: str) -> ShopSettings:
    """The configured shop ``name``; a usage error (exit 64) naming the configured shops otherwise."""
    shop = settings.shop(name)
    if shop is None:
        known = ", ".join(s.name for s in settings.shops)
        raise UsageError(f"unknown shop {name!r} (configured: {known})")
    return shop


_DURATION = re.compile(r"\s*(\d+)\s*([hd])\s*")


def parse_duration(text: str) -> timedelta | None:
    """``12h`` → 12 hours, ``3d`` → 3 days; None for anything else (whole hours or days only:
    an operator silencing or keeping something thinks in hours and days, not minutes)."""
    match = _DURATION.fullmatch(text.lower())
    if match is None:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount)


class Duration(click.ParamType):
    """``12h`` or ``3d``, between ``shortest`` and ``longest``; ``what`` names the bound in the
    error (``keep a confirmation between 1h and 30d``)."""

    name = "duration"

    def __init__(self, *, longest: timedelta, what: str, shortest: timedelta = timedelta(hours=1)) -> None:
        self.shortest, self.longest, self.what = shortest, longest, what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        length = parse_duration(str(value))
        if length is None:
            self.fail(f"{value!r} is not a duration: use hours or days, e.g. 12h or 3d", param, ctx)
        if not self.shortest <= length <= self.longest:
            self.fail(f"{value!r}: {self.what} between {_span(self.shortest)} and {_span(self.longest)}", param, ctx)
        return length


def _span(length: timedelta) -> str:
    """``30d`` or ``1h``: a bound as it would be typed."""
    return f"{length.days}d" if length % timedelta(days=1) == timedelta(0) else f"{length // timedelta(hours=1)}h"


class _Server(Protocol):
    def run(self) -> None: ...
    def close(self) -> None: ...


def serve_until_stopped(server: _Server) -> None:
    """Run a waitress server until SIGTERM or Ctrl-C, then close it (``erpsync ui``, ``webhooks serve``).

    waitress ends its loop on ``SystemExit`` and finishes the requests in hand, so SIGTERM raises
    one; the previous handler is put back afterwards.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()


def checked_listen(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A ``--listen`` option's callback: ``host:port`` (or "", where it turns the endpoint off)
    is checked before anything starts, naming the option, as the config's key is checked."""
    if not value:
        return value
    from erpsync.core.config_service import parse_listen  # the config's own check, not for --help

    try:
        parse_listen(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def output_folder_exists(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    """An ``--output`` callback: the file's folder must exist, checked before the run, since the
    report is written after it (with ``--apply``, after its writes were made)."""
    if value is not None and not value.absolute().parent.is_dir():
        raise click.BadParameter(f"no folder {str(value.absolute().parent)!r} to write {value.name!r} in")
    return value
