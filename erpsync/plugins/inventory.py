"""What ``erpsync plugins`` shows about a connector: the capabilities it implements.

Aspects ask for capabilities (``erpsync.core.ports``), not for connectors, so an operator
choosing a connector needs to see them: a connector that is no ``WarehouseWriter`` cannot have
an address corrected, whatever the policy says.
"""

from __future__ import annotations

import inspect
from typing import Protocol

from erpsync.core import ports


def _capabilities() -> dict[str, tuple[str, ...]]:
    """Every protocol of ``core/ports.py`` with the methods it asks for, by name."""
    out: dict[str, tuple[str, ...]] = {}
    for name, obj in vars(ports).items():
        if inspect.isclass(obj) and obj.__module__ == ports.__name__ and Protocol in obj.__mro__:
            out[name] = tuple(m for m, v in vars(obj).items() if not m.startswith("_") and callable(v))
    return out


def capabilities(cls: type) -> list[str]:
    """The capability protocols ``cls`` implements: those whose every method it defines."""
    return [
        name
        for name, methods in _capabilities().items()
        if methods and all(callable(getattr(cls, m, None)) for m in methods)
    ]
