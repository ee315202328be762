"""Write an erpsync plugin: a module with ``@hookimpl`` functions, found through an entry point.

Plugins import what they need from ``erpsync.sdk``, the one stable module (``docs/plugins.md``
has a complete ERP connector); this package is internal. Quickstart::

    # erpsync_myerp.py
    from erpsync import sdk

    class MyErp(sdk.ErpConnector):
        type = "myerp"
        Options = MyErpOptions  # a marshmallow Schema for the [shops.erp] table
        capabilities = ("warehouses", "addresses")
        ...  # list_warehouses, set_warehouse_address

    @sdk.hookimpl
    def register_connectors(register):
        register(MyErp)

    # pyproject.toml of your distribution
    [project.entry-points.erpsync]
    myerp = "erpsync_myerp"

An aspect declares its ``[aspects.<name>]`` table the same way, as a ``Settings`` schema.
Every hook is documented in ``erpsync/plugins/hookspecs.py``. The built-in connectors, aspects
and alert sinks register through the same hooks (``DEFAULT_PLUGINS`` in ``manager.py``), so
they are also the best examples. ``erpsync plugins`` lists what is loaded, from which
distribution, what each registers (a connector's capabilities too), and any installed plugin
that could not be loaded or is blocked (``ERPSYNC_BLOCK_PLUGINS``, ``[plugins] blocked``).
"""

from pluggy import HookimplMarker

hookimpl = HookimplMarker("erpsync")

__all__ = ["hookimpl"]
