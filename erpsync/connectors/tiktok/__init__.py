"""The built-in TikTok Shop connector: a signed Open API client and the seller-backend connector.

Loaded by the plugin manager like any third-party plugin (``DEFAULT_PLUGINS``); the host never
imports ``TikTokSellerConnector`` directly. ``client.py`` speaks the wire contract in
``docs/open-api-slice.md``; ``seller.py`` turns it into erpsync's models.

One shape: a package per API, with the same modules inside.

- ``products/``, ``orders/``, ``fulfillment/``: ``api.py`` (the calls of one shop, bound to its
  ``shop_cipher``), ``models.py`` (the frozen dataclasses and enums a caller gets, free of HTTP and
  marshmallow), ``schemas.py`` (marshmallow: the wire into those models). A job only one API has
  gets its own module named for it: ``products/checks.py`` (request bodies checked before a
  write), ``fulfillment/errors.py`` (the narrower error classes of shipping).
- ``webhooks/``: ``receiver.py`` in place of ``api.py`` (erpsync is called, it does not call),
  ``models.py``, ``schemas.py``.

A package rather than a module per API, because each API's models, schemas and calls together run
to 400-850 lines: one module each would be up to three times the size the project allows, and the
split by job lets a caller import the models without the HTTP code. What every API shares sits at
the top, one job per module: ``client.py`` (the signed call, plus the two reads it does itself:
the authorised shops, whose cipher every call needs, and the warehouses; their schemas in
``shops.py``), ``signing.py``, ``envelope.py`` and ``error_codes.py`` (+ ``error_codes.csv``),
``versions.py`` (every endpoint's documented path), ``auth.py`` (tokens), ``fields.py`` (the one
base schema, the one text helper, ids, times, enums), ``loading.py`` (one record, or a page of
them, into typed values), ``paging.py`` (following a search page by page), ``commands.py``
(``erpsync auth``, offered through ``register_commands``). Imports point one way: ``fields`` ←
``loading`` ← ``client`` ← ``paging`` ← each API's ``api.py`` ← ``seller.py``; the client never
imports an API package or ``paging``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from erpsync.plugins import hookimpl

if TYPE_CHECKING:
    import click

    from erpsync.connectors.tiktok.seller import TikTokSellerConnector
    from erpsync.core.connector import Connector

__all__ = ["TikTokSellerConnector", "register_commands", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Offer ``type = "tiktok"`` (role seller) to the host."""
    from erpsync.connectors.tiktok.seller import TikTokSellerConnector

    register(TikTokSellerConnector)


def __getattr__(name: str) -> Any:
    """``TikTokSellerConnector`` on first use: the plugin manager imports this package to list
    ``erpsync auth`` for ``--help``, which needs neither the client nor its schemas."""
    if name == "TikTokSellerConnector":
        from erpsync.connectors.tiktok.seller import TikTokSellerConnector

        return TikTokSellerConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Offer ``erpsync auth`` (authorise shops, see their tokens); imported only for the CLI."""
    from erpsync.connectors.tiktok.commands import auth

    cli.add_command(auth)
