"""What ``register()`` checks about a connector class before the host accepts it.

A connector the host cannot use should fail when its plugin registers it, with the fix, not as
a traceback in ``erpsync check`` or a drift silently "not fixable" at ``--apply``. Checked: a
``type`` name (letters, digits, ``-`` and ``_``, starting with a letter), a ``role`` of
``seller`` or ``erp``, an ``Options`` marshmallow schema whose fields include every
``secret_options`` name (a misspelt one would leave a secret unmarked), at least one capability
(``CAPABILITIES`` in ``erpsync/core/erp_connector.py``), every capability's methods present and
callable the way the host calls them, and, for a class that declares its capabilities, no
capability method it does not declare. A method name close to a capability's (``set_handover_mod``)
is named as a likely misspelling.

Imported when the registry is built, never at start-up: it imports marshmallow.
"""

from __future__ import annotations

import difflib
import inspect
import re
from typing import Any

from marshmallow import Schema

from erpsync.core.connector import Connector
from erpsync.core.erp_connector import CAPABILITIES, declared_capabilities, implements, protocol_methods

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
ROLES = ("seller", "erp")


def _public_methods(cls: type) -> list[str]:
    """Callables ``cls`` adds to ``Connector``'s, the names a misspelling would hide among."""
    return [n for n in dir(cls) if not n.startswith("_") and not hasattr(Connector, n) and callable(getattr(cls, n))]


def _spec(protocol: type, method: str) -> str:
    params = list(inspect.signature(getattr(protocol, method)).parameters.values())[1:]
    return f"{method}({', '.join(str(p).split(':')[0] for p in params)})"


def _call_problem(cls: type, protocol: type, method: str) -> str | None:
    """Why the host's call of ``method`` would fail on ``cls``, or None: bound as the host calls it."""
    value = inspect.getattr_static(cls, method)
    func = getattr(cls, method)
    spec = list(inspect.signature(getattr(protocol, method)).parameters.values())[1:]
    args = [object() for p in spec if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    kwargs = {p.name: object() for p in spec if p.kind is p.KEYWORD_ONLY}
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None  # a builtin or C callable without a signature: nothing to compare
    if not isinstance(value, staticmethod | classmethod):
        args.insert(0, object())  # self
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        return f"{method}{signature} cannot be called as {_spec(protocol, method)} ({exc})"
    return None


def connector_problems(cls: Any) -> list[str]:
    """Everything that stops the host from using ``cls`` as a connector; empty when it can."""
    if not isinstance(cls, type) or not issubclass(cls, Connector):
        return ["is not a connector class: subclass erpsync.sdk.ErpConnector (or erpsync.sdk.Connector)"]
    problems: list[str] = []
    kind = getattr(cls, "type", None)
    if not isinstance(kind, str) or not NAME.match(kind):
        problems.append(f"type = {kind!r}: set type to a name such as 'myerp' (letters, digits, - and _)")
    role = getattr(cls, "role", None)
    if role not in ROLES:
        problems.append(f"role = {role!r}: set role to 'seller' or 'erp'")
    options = getattr(cls, "Options", None)
    if not (isinstance(options, type) and issubclass(options, Schema)):
        problems.append("Options is not a marshmallow Schema: set Options to a Schema subclass for its table")
    else:
        secrets = getattr(cls, "secret_options", ())
        unknown = [s for s in secrets if s not in options().fields] if isinstance(secrets, tuple | list) else []
        if not isinstance(secrets, tuple | list):
            problems.append("secret_options is not a tuple of option names")
        elif unknown:
            problems.append(f"secret_options names {', '.join(map(repr, unknown))}, which Options does not have")
    problems.extend(_capability_problems(cls))
    return problems


def _capability_problems(cls: type) -> list[str]:
    problems: list[str] = []
    declared = declared_capabilities(cls)
    known = ", ".join(CAPABILITIES)
    if declared is not None:
        for name in declared:
            if name not in CAPABILITIES:
                problems.append(f"capabilities names {name!r}, which is no capability (known: {known})")
        if not declared:
            problems.append(f"capabilities is empty: declare at least one of {known}")
        undeclared = [
            n
            for n, p in CAPABILITIES.items()
            if n not in declared and any(implements(cls, m) for m in protocol_methods(p))
        ]
        for name in undeclared:
            methods = ", ".join(m for m in protocol_methods(CAPABILITIES[name]) if implements(cls, m))
            problems.append(f"defines {methods} but does not declare {name!r}: add it to capabilities")
        used = [n for n in declared if n in CAPABILITIES]
    else:
        used = [n for n, p in CAPABILITIES.items() if all(implements(cls, m) for m in protocol_methods(p))]
    others = _public_methods(cls)
    for name in used if declared is not None else CAPABILITIES:
        protocol = CAPABILITIES[name]
        for method in protocol_methods(protocol):
            if implements(cls, method):
                problem = _call_problem(cls, protocol, method)
                if problem and name in used:
                    problems.append(f"capability {name!r}: {problem}")
                continue
            near = difflib.get_close_matches(method, [m for m in others if m != method], n=1, cutoff=0.8)
            hint = f" ({near[0]} looks misspelt)" if near else ""
            if declared is not None:
                problems.append(f"capability {name!r} needs {_spec(protocol, method)}, which is missing{hint}")
            elif near:
                problems.append(f"defines {near[0]}: did you mean {_spec(protocol, method)} (capability {name!r})?")
    if not used and not problems:
        problems.append(f"implements no capability: subclass erpsync.sdk.ErpConnector and declare one of {known}")
    return problems
