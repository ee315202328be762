"""The Syncer's connectors: a shop's two sides built from its config, and the check of each.

A run builds each shop's seller and ERP connectors on the thread that works for the shop, and
``erpsync check`` builds the same ones to call ``check()``: one place says how, so what is
checked is what a run uses. Each connector is handed the store's memory for its shop (the
tokens, and for the seller the packages it has read, so the next run reads only changes).

A mixin rather than free functions, as ``sync_apply.py`` is: building reads the host's settings,
registry, store and clock. The class attributes below are what it needs of its host, which
``erpsync.sync.Syncer`` sets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from erpsync.core.config import Settings, ShopSettings
from erpsync.core.connector import Connector, ShopContext
from erpsync.core.errors import ErpsyncError
from erpsync.core.store import Store
from erpsync.plugins.manager import Registry


class SyncConnectors:
    """Builds the connectors of ``Syncer``: ``_connector`` for a run, ``check_connections`` for a check."""

    # what the host provides
    settings: Settings
    registry: Registry
    store: Store
    clock: Callable[[], datetime]
    _redact: Callable[[str], str]  # masks the configured secrets in a message

    def check_connections(self, progress: Callable[[str], None] | None = None) -> list[tuple[str, str, bool, str]]:
        """Build every shop's connectors and call ``check()``: (shop, role, ok, message) rows."""
        rows = []
        for shop in self.settings.shops:
            for role, conf in (("seller", shop.seller), ("erp", shop.erp)):
                if progress:
                    progress(f"{shop.name}: checking {role} ({conf.type})")
                connector = self._connector(shop, role)
                try:
                    rows.append((shop.name, role, True, self._redact(connector.check())))
                except ErpsyncError as exc:
                    rows.append((shop.name, role, False, self._redact(str(exc))))
                finally:
                    connector.close()
        return rows

    def _connector(self, shop: ShopSettings, role: str) -> Connector:
        conf = shop.seller if role == "seller" else shop.erp
        cls = self.registry.connectors[conf.type]
        # a seller connector keeps what it read of the shop's packages, so the next run reads only changes
        seller = role == "seller"
        context = ShopContext(
            name=shop.name,
            base_dir=self.settings.base_dir,
            tokens=self.store.tokens,
            packages=self.store.packages.for_shop(shop.name) if seller else None,
            tracked=self.store.tracked.for_shop(shop.name) if seller else None,
            clock=self.clock,
        )
        return cls(dict(conf.options), shop=context)
