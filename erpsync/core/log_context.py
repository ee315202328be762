"""Which run, shop and aspect a log line belongs to, and the secret values no line may show.

A run logs from several threads at once (one per shop side by side, the heartbeat), and a
service runs many jobs in one process: a line that does not say which run, shop and aspect it
came from cannot be followed. The host binds them here (``bound``) around the work; the log
formatter (``erpsync/logs.py``) reads them (``current``) for every line, erpsync's own and any
library's or plugin's, which keep plain ``logging.getLogger``.

They live in a ``contextvars.ContextVar``: each thread starts with an empty context, so a thread
working for a shop binds the run and shop itself. Plain ``contextvars`` rather than structlog's
helpers: importing structlog loads its console renderer (and rich), which a run that logs text,
and ``erpsync --help``, never need.

``hide`` registers secret values (the configuration's credentials) that the formatter masks in
every line, on top of the ``access_token=...``-style rule of ``core/redaction.py``: a line a
library or plugin builds from a token is masked too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: the fields every line inside a run carries, in the order the text format shows them
FIELDS = ("run_id", "shop", "aspect")

_fields: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("erpsync_log_fields", default=())
_lock = threading.Lock()
_hidden: frozenset[str] = frozenset()


@contextmanager
def bound(*, run_id: str | None = None, shop: str | None = None, aspect: str | None = None) -> Iterator[None]:
    """Lines logged in this block (on this thread) carry the given fields; the old ones come back after."""
    given = {"run_id": run_id, "shop": shop, "aspect": aspect}
    merged = dict(_fields.get()) | {k: v for k, v in given.items() if v is not None}
    token = _fields.set(tuple((k, merged[k]) for k in FIELDS if k in merged))
    try:
        yield
    finally:
        _fields.reset(token)


def current() -> dict[str, str]:
    """The run, shop and aspect bound on this thread now (only those bound)."""
    return dict(_fields.get())


def hide(secrets: Iterable[str]) -> None:
    """Mask these values in every log line from now on (empty values are ignored)."""
    global _hidden
    fresh = {s for s in secrets if s}
    with _lock:
        _hidden = _hidden | fresh


def hidden() -> frozenset[str]:
    """The secret values registered with ``hide``."""
    return _hidden
