"""Odoo's errors as erpsync's: by the exception's name, which both protocols send.

Both answer an error with the serialised exception (``odoo/http.py``, ``serialize_exception``):
``{"name": "odoo.exceptions.AccessError", "message": ..., "arguments": [...], "context": {},
"debug": "<traceback>"}``: JSON-RPC inside ``{"error": {"code": ..., "message": "Odoo Server
Error", "data": <it>}}`` with HTTP 200, JSON-2 as the body with an HTTP status of its own
(``addons/web/controllers/json2.py``). The name decides; the status only where there is no name
(a proxy's HTML page). ``debug`` is never shown: a traceback is for the server's logs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from erpsync.core.errors import AuthError, ConnectorError, NotFoundError, PermanentError, TemporaryError
from erpsync.core.redaction import quoted

__all__ = ["error_for", "status_error"]

#: exception name → the error class and what the operator should know
_BY_NAME: dict[str, tuple[type[ConnectorError], str]] = {
    "odoo.exceptions.AccessDenied": (AuthError, "the credentials were refused"),
    "werkzeug.exceptions.Unauthorized": (AuthError, "the API key was refused"),
    "odoo.http.SessionExpiredException": (AuthError, "the session expired"),
    "odoo.exceptions.AccessError": (PermanentError, "the Odoo user lacks the access rights"),
    "odoo.exceptions.MissingError": (NotFoundError, "the record does not exist"),
    "odoo.exceptions.ValidationError": (PermanentError, "Odoo refused the values"),
    "odoo.exceptions.UserError": (PermanentError, "Odoo refused the request"),
    "odoo.exceptions.RedirectWarning": (PermanentError, "Odoo refused the request"),
    "odoo.exceptions.LockError": (TemporaryError, "the record is locked by another transaction"),
    "odoo.exceptions.ConcurrencyError": (TemporaryError, "a concurrent update got in the way"),
    "werkzeug.exceptions.NotFound": (PermanentError, "this database has no such model or method"),
    "werkzeug.exceptions.UnprocessableEntity": (PermanentError, "the method refused its parameters"),
    "werkzeug.exceptions.BadRequest": (PermanentError, "Odoo could not read the request"),
}
#: the database driver's modules (psycopg 2 and 3)
_DRIVERS = ("psycopg2.", "psycopg.")
#: the driver errors that pass when the call is made again, by class name (the same in both
#: drivers' ``errors`` modules, one per PostgreSQL SQLSTATE). Each is an ``OperationalError``
#: subclass, and the name Odoo sends is the subclass's, so the base name alone misses them.
_PASSING = frozenset(
    {
        # a transaction that lost a race (class 40, and 55P03)
        "TransactionRollback",
        "TransactionRollbackError",  # psycopg2's base of class 40
        "SerializationFailure",
        "DeadlockDetected",
        "StatementCompletionUnknown",
        "LockNotAvailable",
        # a connection that dropped or could not be made (class 08, but a protocol violation or the
        # server refusing the connection, which recur)
        "OperationalError",
        "InterfaceError",
        "ConnectionException",
        "SqlclientUnableToEstablishSqlconnection",
        "ConnectionDoesNotExist",
        "ConnectionFailure",
        "TransactionResolutionUnknown",
        "ConnectionTimeout",  # psycopg 3's, no SQLSTATE
        # a server shutting down, restarting or full (classes 57 and 53)
        "AdminShutdown",
        "CrashShutdown",
        "CannotConnectNow",
        "IdleSessionTimeout",
        "TooManyConnections",
    }
)


def _driver_kind(name: str, message: str) -> tuple[type[ConnectorError], str]:
    """A database driver's error: temporary when the same call may pass later, else permanent
    (a constraint or a value the database refused fails the same way however often it is sent)."""
    if name.rsplit(".", 1)[-1] not in _PASSING:
        return PermanentError, "the database refused the call"
    if "does not exist" in message:  # OperationalError: database "typo" does not exist
        return PermanentError, "the database does not exist (option database)"
    return TemporaryError, "the database failed"


def _kind(name: str, status: int | None, message: str = "") -> tuple[type[ConnectorError], str]:
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith(_DRIVERS):
        return _driver_kind(name, message)
    if name.startswith("builtins."):
        # a field or method this database lacks (ValueError "Invalid field"), or a bad argument:
        # JSON-2 answers these with HTTP 500, yet sending the same request again cannot help
        return PermanentError, "Odoo could not run the call (a field or argument it does not know?)"
    if status is not None and (status == 429 or status >= 500):
        return TemporaryError, "the server failed"
    return PermanentError, "Odoo refused the request"


def error_for(
    payload: Mapping[str, Any],
    *,
    status: int | None,
    redact: Callable[[str], str],
    connector: str,
    operation: str,
    auth_hint: str,
) -> ConnectorError:
    """The error for a serialised Odoo exception (``payload`` holds ``name`` and ``message``)."""
    name = str(payload.get("name") or "")
    message = quoted(str(payload.get("message") or ""), redact, 300)
    cls, meaning = _kind(name, status, message)
    if cls is AuthError:
        meaning = f"{meaning} ({auth_hint})"
    text = f"{meaning}: {name or 'no exception name'}" + (f": {message}" if message else "")
    return cls(text, connector=connector, operation=operation, status=status, code=name or None)


def status_error(
    status: int, path: str, *, connector: str, operation: str, auth_hint: str, missing_hint: str
) -> ConnectorError | None:
    """401/403 and 404 without an exception name; None leaves the rest to ``HttpClient``'s mapping
    (429 and 5xx temporary, with ``Retry-After`` honoured; other 4xx permanent)."""
    if status in (401, 403):
        return AuthError(f"HTTP {status}: {auth_hint}", connector=connector, operation=operation, status=status)
    if status == 404:
        reason = f"HTTP 404: no {path} ({missing_hint})"
        return PermanentError(reason, connector=connector, operation=operation, status=status)
    return None
