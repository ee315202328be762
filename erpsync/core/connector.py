"""The base every connector subclasses, built-in or third-party.

A connector is a class with a ``type`` name, a ``role`` ("seller" or "erp") and a marshmallow
``Options`` schema for its configuration table; it implements capability protocols from
``core/ports.py``. It does I/O only through ``core/http.py`` (or a database driver), so retries,
rate limits, timeouts and secret redaction live in one place.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from marshmallow import Schema

from erpsync.core.ports import PackageCache, TokenStore, TrackedCache


@dataclass(frozen=True)
class ShopContext:
    """What a connector knows about the shop it serves."""

    name: str
    base_dir: Path  # relative paths in options resolve against the config file's folder
    tokens: TokenStore | None = None  # the shop's stored API tokens (seller connectors that need them)
    #: what a seller connector kept of the shop's packages (None: no store, read everything)
    packages: PackageCache | None = None
    #: the same for the packages of the ERP's shipments the tracking read read (None: read them all)
    tracked: TrackedCache | None = None
    #: the run's clock (None: the wall clock), for a connector that dates what it read, e.g. a cursor
    clock: Callable[[], datetime] | None = None


class Connector:
    """Subclass, set the class attributes, implement capabilities, register via the hook."""

    type: ClassVar[str]
    role: ClassVar[Literal["seller", "erp"]]
    description: ClassVar[str] = ""
    Options: ClassVar[builtins.type[Schema]]  # builtins.: ``type`` above names the connector
    #: option names whose values are secrets: never logged, never shown
    secret_options: ClassVar[tuple[str, ...]] = ()
    #: whether two of its reads may run at once on two threads (one read ahead for a later aspect
    #: beside the current aspect's own, ``erpsync.shop_reads``): set it only when the reads share
    #: nothing unguarded (a lazily built client, a cache). False: every read on the shop's thread
    reads_side_by_side: ClassVar[bool] = False

    def __init__(self, options: dict[str, Any], *, shop: ShopContext) -> None:
        self.options = options
        self.shop = shop

    def check(self) -> str:
        """Test the connection; return a one-line summary or raise ConnectorError."""
        raise NotImplementedError

    def close(self) -> None:
        """Release sessions and files. Called once when the run is done with the connector."""
