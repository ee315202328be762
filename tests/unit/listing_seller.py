"""Test helper (not a test module): the TikTok seller's listings mixin over the real client.

``ListingPush`` as the TikTok connector holds it, with a client whose clock is fixed and which
tries each call once, for tests that answer it with ``responses``. Imported as
``from listing_seller import Seller``.
"""

from __future__ import annotations

from open_api_fakes import APP_KEY, BASE, CIPHER, NOW, SECRET, TOKEN

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.listing_push import ListingPush
from erpsync.core.http import HttpPolicy


class Seller(ListingPush):
    """The mixin as the TikTok connector holds it: a client and the shop's cipher."""

    def __init__(self) -> None:
        self._client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=lambda: NOW)

    @property
    def client(self) -> TikTokClient:
        return self._client

    def cipher(self) -> str:
        return CIPHER
