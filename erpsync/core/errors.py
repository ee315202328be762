"""The error tree. The type of an error says what the caller should do with it.

::

    ErpsyncError                    anything erpsync reports to a user in one line
     ├── ConfigError               the configuration is wrong: names file, key and reason
     ├── UsageError                the command line asked for something that does not exist
     ├── LockedError               another run holds the shop's lease
     ├── ConnectorError            an external system failed (connector, operation, request id)
     │    ├── TemporaryError       worth retrying, after ``retry_after`` seconds if known
     │    │    └── OutcomeUnknownError  a write may or may not have happened (read timeout,
     │    │                             5xx after sending): never blindly resent; reconcile first
     │    └── PermanentError       retrying will not help: fix credentials, input or config
     │         ├── AuthError        credentials or authorisation: refresh the token, re-authorise
     │         │                    the shop, or fix the app's keys or grants
     │         ├── AlreadyDoneError the write had already happened (e.g. the package was already
     │         │                    shipped): a push treats it as success
     │         └── NotFoundError    the record does not exist, or is not this shop's: drop or
     │                              re-check the binding; other records go on
     └── RecordError               one record is malformed; collected per record, never fatal

Only the CLI turns these into exit codes (1 for errors, 64 for usage errors). Unexpected
exceptions keep their traceback: they are bugs, not user errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypedDict, Unpack


class ErpsyncError(Exception):
    """Base of every error erpsync reports to a user as one clear line."""


class ConfigError(ErpsyncError):
    """A configuration file is invalid. ``str()`` reads ``file: key: reason``."""

    #: every ``(key, reason)`` found when a file is checked whole (set by ``core/config.py``)
    problems: list[tuple[str, str]]

    def __init__(self, reason: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        self.reason = reason
        parts = [p for p in (path, key) if p]
        super().__init__(": ".join([*parts, reason]))


class UsageError(ErpsyncError):
    """The user asked for something that does not exist (an unknown shop, aspect, ...)."""


class LockedError(ErpsyncError):
    """Another run holds the lease on a shop; two runs on one shop never overlap."""


class StaleFenceError(LockedError):
    """A worker's fencing epoch for a shop is older than the shop's current one: another worker
    took the shop over since, so this one must not write (its ledger ``begin`` recorded nothing)."""


class CallContext(TypedDict, total=False):
    """Where a connector error happened: the keyword arguments every ``ConnectorError`` takes."""

    connector: str | None
    operation: str | None
    request_id: str | None
    code: int | str | None
    status: int | None


class ConnectorError(ErpsyncError):
    """An external system failed. Carries enough context to find the call in the remote logs."""

    def __init__(
        self,
        message: str,
        *,
        connector: str | None = None,
        operation: str | None = None,
        request_id: str | None = None,
        code: int | str | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message
        self.connector = connector
        self.operation = operation
        self.request_id = request_id
        self.code = code
        self.status = status
        super().__init__(self._render())

    @property
    def context(self) -> CallContext:
        """Where it happened, as keyword arguments: ``OtherError(text, **exc.context)`` restates it."""
        return CallContext(
            connector=self.connector,
            operation=self.operation,
            request_id=self.request_id,
            code=self.code,
            status=self.status,
        )

    def redact(self, redact: Callable[[str], str]) -> None:
        """Hide the secrets ``redact`` knows in the message, in place (the text is rendered again)."""
        hidden = redact(self.message)
        if hidden != self.message:
            self.message = hidden
            self.args = (self._render(), *self.args[1:])

    def _render(self) -> str:
        where = " ".join(p for p in (self.connector, self.operation) if p)
        text = f"{where}: {self.message}" if where else self.message
        extras = []
        if self.code is not None:
            extras.append(f"code {self.code}")
        if self.status is not None:
            extras.append(f"HTTP {self.status}")
        if self.request_id:
            extras.append(f"request_id {self.request_id}")
        return f"{text} ({', '.join(extras)})" if extras else text


#: the end ``ConnectorError._render`` gives a message with a code: "(code X[, HTTP N][, request_id R])"
_RENDERED_CODE = re.compile(r"\(code ([^\s,()]+)(?:, HTTP \d+)?(?:, request_id [^()]*)?\)$")


def recorded_code(text: str) -> str | None:
    """The code a ``ConnectorError`` rendered into ``text`` (``str(exc)``), or None.

    The ledger keeps a failed write's error as that text, so a later run that needs the
    answer's code (the tracking aspect: an update refused as the order's second) reads it back
    from the end ``_render`` gives it; a code that only appears inside the message is not one.
    """
    found = _RENDERED_CODE.search(text.rstrip())
    return found.group(1) if found else None


class TemporaryError(ConnectorError):
    """Retrying may succeed: rate limits, 5xx, timeouts, dropped connections."""

    def __init__(self, message: str, *, retry_after: float | None = None, **context: Unpack[CallContext]) -> None:
        self.retry_after = retry_after
        super().__init__(message, **context)


class OutcomeUnknownError(TemporaryError):
    """A non-idempotent write was sent but its answer was lost (read timeout, 5xx).

    It is not retried automatically: resending could create a second product or shipment.
    The caller checks the remote state first (the next run's observation does exactly that).
    """


class PermanentError(ConnectorError):
    """Retrying will not help: bad credentials, bad signature, invalid parameters."""


class AuthError(PermanentError):
    """The credentials or the authorisation were refused (expired token, bad signature, missing scope).

    Every call of the shop will fail the same way, so a run stops on it rather than skipping
    records; the fix is the operator's: refresh the token, re-authorise the shop, or correct the
    app's keys or API permissions.
    """


class AlreadyDoneError(PermanentError):
    """The write had already happened before this request (e.g. the package was already shipped).

    Not retried, since sending it again changes nothing; a caller pushing writes may count it as success. It is
    still an error so a caller that did not expect the state to have moved can notice.
    """


class NotFoundError(PermanentError):
    """The record the call names does not exist, or does not belong to this shop.

    A record-level problem: the caller drops or re-checks that record's binding and goes on with
    the others, unlike an AuthError, which would fail every record.
    """


class RecordError(ErpsyncError):
    """One record could not be read or written. The run goes on without it.

    ``str()`` names where the record came from, which record, which field and why, e.g.
    ``erp/warehouses.csv:4: warehouse 'WH-2': phone: not a phone number``.

    ``record`` is for people, and may be cut short or name a record by its position
    (``product #3``); ``record_id`` is the record's own id, whole and as its system gives it,
    when the reader knew it: what code matches the error to a record by. None: which record it
    is, is not known, and a caller that must not guess treats it as possibly any.

    ``package_id`` is the Seller Center package an ERP shipment is of, when the reader could read
    it from a shipment it refused: the tracking aspect pushes nothing for a package one of whose
    shipments it could not read, since that shipment may say another number.
    """

    def __init__(
        self,
        reason: str,
        *,
        record: str | None = None,
        field: str | None = None,
        source: str | None = None,
        record_id: str | None = None,
        package_id: str | None = None,
    ) -> None:
        self.reason = reason
        self.record = record
        self.field = field
        self.source = source
        self.record_id = record_id
        self.package_id = package_id
        parts = [p for p in (source, record, field) if p]
        super().__init__(": ".join([*parts, reason]))

    @property
    def about(self) -> str:
        """The record this error names, as ``str()`` begins with it (``source: record``); "" when it
        names none. Two errors about one record begin alike however their reasons are worded."""
        if not self.record:
            return ""
        return ": ".join(p for p in (self.source, self.record) if p)
