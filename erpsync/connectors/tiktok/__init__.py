"""The built-in TikTok Shop connector: a signed Open API client and the seller-backend connector.

Loaded by the plugin manager like any third-party plugin (``DEFAULT_PLUGINS``); the host never
imports ``TikTokSellerConnector`` directly. ``client.py`` speaks the wire contract in
``docs/open-api-slice.md``; ``seller.py`` turns it into erpsync's models.
"""

from __future__ import annotations

from collections.abc import Callable

from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.connector import Connector
from erpsync.plugins import hookimpl

__all__ = ["TikTokSellerConnector", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Offer ``type = "tiktok"`` (role seller) to the host."""
    register(TikTokSellerConnector)
