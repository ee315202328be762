"""What the files ERP's mixins (orders, products, images, shipments) use of the connector they are
mixed into: its options, its directory, its way to show a path in messages, its sweep of the
temp files a killed write left, and its lock timeout.

``FilesErp`` (``connector.py``) provides each; declaring them once here lets every mixin be read
and type-checked alone, without casting itself to ``Any``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["FilesHost"]


class FilesHost:
    """The connector's part of a files ERP mixin."""

    options: Any
    #: seconds a write waits for another program's lock on a file before giving up this run
    lock_timeout: float

    @property
    def directory(self) -> Path:
        """The ERP's directory (the ``path`` option, resolved)."""
        raise NotImplementedError  # the connector's

    def _shown(self, path: Path) -> str:
        """``path`` as messages show it."""
        raise NotImplementedError  # the connector's

    def _sweep_once(self) -> None:
        """Remove, once per run, the temp files a killed write left beside the files erpsync writes."""
        raise NotImplementedError  # the connector's
