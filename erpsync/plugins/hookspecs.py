"""Every hook erpsync calls, in the order a run meets them.

Hooks are called only by the host (``erpsync.sync``, and ``erpsync.cli`` for commands), always
with keyword arguments, so an implementation may accept fewer arguments than its spec and a spec
can grow without breaking plugins. The set is small on purpose: a hook is added when a second
implementation needs it.

Registration hooks receive a ``register`` callback rather than returning values: the host keeps
control of validation and refuses a duplicate name with an error that names both plugins. To know
which plugin calls ``register``, the host calls each registration hook (and ``register_commands``)
through pluggy once per implementing plugin, in pluggy's order; a wrapper of such a hook therefore
runs around each plugin's call, and a plugin that both wraps and implements it wraps only its own.

``docs/plugins.md`` ("Every hook") gives each hook's signature, when it runs, what it returns,
and an example implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pluggy import HookspecMarker

if TYPE_CHECKING:
    import click

    from erpsync.core.aspects.base import Aspect, Winner
    from erpsync.core.connector import Connector
    from erpsync.core.listings import ErpProduct
    from erpsync.core.models import Drift, RunReport
    from erpsync.core.policy import Policy

hookspec = HookspecMarker("erpsync")


@hookspec
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Register connector classes. Called once when the plugin manager is built.

    :param register: call ``register(ConnectorClass)`` for each connector; the class's ``type``
        is the name configurations use (``erp = { type = "files", ... }``) and its ``role``
        says whether it can stand on the seller or the ERP side.

    ``register`` checks the class (``erpsync/plugins/registration.py``): a ``type`` name, a
    ``role``, an ``Options`` schema holding every ``secret_options`` name, at least one
    capability, and each capability's methods, callable as the host calls them. A class that
    fails is refused with one ``PluginError`` naming the plugin, its distribution and the fix,
    as is a ``type`` another plugin registered. Connector authors subclass
    ``erpsync.sdk.ErpConnector`` (``docs/plugins.md``).
    """


@hookspec
def register_aspects(register: Callable[[Aspect], None]) -> None:
    """Register aspects (what is reconciled). Called once when the plugin manager is built.

    :param register: call ``register(AspectInstance)``; its ``name`` is what ``--aspect`` takes
        and names its configuration table ``[aspects.<name>]``, which the aspect's ``Settings``
        marshmallow schema validates when the config loads (see ``erpsync.core.aspects.base``).
    """


@hookspec
def register_alert_sinks(register: Callable[[type[Any]], None]) -> None:
    """Register alert sink classes. Called once when the plugin manager is built.

    :param register: call ``register(SinkClass)``. A sink class has a ``type`` name, an
        ``Options`` marshmallow schema, ``__init__(options, *, base_dir)`` and
        ``send(event: AlertEvent)``; see ``erpsync/plugins/alerts/base.py``.
    """


@hookspec(firstresult=True)
def resolve_drift(drift: Drift, policy: Policy) -> Winner | None:
    """Decide which side wins one drift: ``"seller"``, ``"erp"`` or ``"report"``.

    Called once per drift during planning. Stops at the first non-None result; the built-in
    implementation is ``trylast`` and answers from the configured policy, so a plugin can
    override single cases (say, keep the ERP's phone for one warehouse) and return None for
    the rest.

    The listings aspect also asks about a drift the run did not find: an edit that adds SKUs
    lists those the listing keeps, and whether it sends their price (stock) is asked as for the
    product's ``price_changed`` (``inventory_changed``) drift. When the product has none this
    run, the drift asked about is one with no values (``seller_value`` and ``erp_value`` None),
    its message naming the product; answer as for that product's price (stock).
    """


@hookspec
def map_listing(product: ErpProduct, body: dict[str, Any]) -> None:
    """Shape one ERP product's listing where ``[aspects.listings]`` cannot (listings aspect).

    :param product: the ERP product (``erpsync.core.listings.ErpProduct``).
    :param body: the listing's content as the API takes it (``title``, ``description``,
        ``category_id``, ``main_images``, ``brand_id``, ``product_attributes``,
        ``package_weight``), built from the configuration; change it in place.

    Called while the listings aspect observes, once per ERP product and run, by every
    implementation in turn. Price and stock are not in ``body``: they have their own endpoints.
    What the hook changes is content, so a change in its output edits the listing once.
    Returns nothing. An exception makes that product a record error (not pushed this run);
    the other products go on.
    """


@hookspec
def sync_started(run: dict[str, Any]) -> None:
    """Observation only: a run is about to start.

    :param run: ``{"run_id", "shops", "aspects", "apply"}``.

    Called once per run, before the first shop is read. Returns nothing; an exception here is
    logged and the run goes on.
    """


@hookspec
def sync_finished(report: RunReport) -> None:
    """Observation only: a run finished (also after errors). Exceptions here are logged, not raised.

    Called once per run, after the last shop, with the run's ``RunReport``. Returns nothing.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add CLI commands: ``cli.add_command(my_command)``. Called when the CLI starts, before
    the command line is parsed (so ``--help`` lists them).

    A command reaches the configuration and the plugins through ``ctx.obj``, a
    ``erpsync.plugins.context.CommandContext`` (``@click.pass_obj``): ``settings()``,
    ``registry``, ``pm``. Import command modules inside the implementation, so that loading the
    plugin for a run does not import the command's dependencies. An exception here sets the
    plugin aside (reported by the commands that need plugins), it never breaks ``--help``.
    The built-in commands are imported when first used, so ``cli.commands`` lacks most of them:
    a built-in group is ``cli.get_command(click.Context(cli), "pickup")``.
    """
