"""The ``rest`` ERP: a JSON-over-HTTP ERP described by a mapping in config (``docs/erp-rest.md``).

Modules: ``paths`` (the JSON path syntax), ``mapping`` (the ``[shops.erp]`` table's schema),
``fetch`` (list endpoints, paging, decoding), ``records`` and ``build`` (items → erpsync's
records, one RecordError per bad item), ``regions`` (ISO 3166-2:CN province codes),
``connector`` (the connector).
"""

from __future__ import annotations

from collections.abc import Callable

from erpsync.core.connector import Connector
from erpsync.plugins import hookimpl

from .connector import RestErp
from .mapping import RestOptions

__all__ = ["RestErp", "RestOptions", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(RestErp)
