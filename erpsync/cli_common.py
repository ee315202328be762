"""What every ``erpsync`` command module shares: exit codes, the ``--lang`` option, shop lookup.

The commands live in several modules (``cli``, ``cli_admin``, ``cli_pickup``) so that each stays
small; this one sits under them all, so none of them imports another to reach these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from erpsync.core.config import Settings, ShopSettings
from erpsync.core.errors import UsageError
from erpsync.core.models import LANGS, Lang

__all__ = ["EXIT_DRIFT", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "chosen_lang", "known_shop", "lang_option"]

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
