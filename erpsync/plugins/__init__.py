"""Write an erpsync plugin: a module with ``@hookimpl`` functions, found through an entry point.

Quickstart::

    # erpsync_myerp.py
    from erpsync.core.connector import Connector
    from erpsync.plugins import hookimpl

    class MyErp(Connector):
        type = "myerp"
        role = "erp"
        Options = MyErpOptions  # a marshmallow Schema for the [shops.erp] table
        ...

    @hookimpl
    def register_connectors(register):
        register(MyErp)

    # pyproject.toml of your distribution
    [project.entry-points.erpsync]
    myerp = "erpsync_myerp"

An aspect declares its ``[aspects.<name>]`` table the same way, as a ``Settings`` schema.
Every hook is documented in ``erpsync/plugins/hookspecs.py``. The built-in connectors, aspects
and alert sinks register through the same hooks (``DEFAULT_PLUGINS`` in ``manager.py``), so
they are also the best examples. ``erpsync plugins`` lists what is loaded, from which
distribution, what each registers, and any installed plugin that could not be loaded.
"""

from pluggy import HookimplMarker

hookimpl = HookimplMarker("erpsync")

__all__ = ["hookimpl"]
