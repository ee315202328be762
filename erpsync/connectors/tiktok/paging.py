"""Following a search page by page: the one paging loop of the package, beside the client it calls.

Searches (products, orders, packages) are POSTs answered one page at a time with a
``next_page_token``. :func:`paginate` asks for the next page only when the caller does, so only
one page is in memory, and a token seen twice stops the loop instead of paging forever. It calls
the client; the client never calls it (the client loads its own pages with ``loading.py``), so
the two stay one-way.

A caller that starts calls of its own for each page (the pickup read: each page's package
details and orders) wraps the pages in :class:`PagesAhead`, so the first page is asked for at
once and each next one (and loaded) while it sends those: the pages of a search follow one another
by their tokens, and the calls that wait for the last page (the handover slots) wait for the
chain of pages, not for the work done on each page too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from contextvars import copy_context
from typing import Any, TypeVar, cast

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.fields import LABEL_ID_CHARS
from erpsync.core.errors import PermanentError
from erpsync.core.models import Records

T = TypeVar("T")

MIN_PAGE_SIZE = 1
MAX_PAGE_SIZE = 100


def check_page_size(page_size: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """Catch a bad page size here rather than as a 400/36009004 after a round trip.

    ``maximum`` is the endpoint's limit (100 for products and orders, 50 for packages).
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not MIN_PAGE_SIZE <= page_size <= maximum:
        raise ValueError(f"page_size must be an integer in {MIN_PAGE_SIZE}..{maximum}, not {page_size!r}")
    return page_size


def paginate(
    client: TikTokClient,
    path: str,
    *,
    cipher: str,
    query: Mapping[str, Any],
    body: Mapping[str, Any],
    operation: str,
    load: Callable[[Mapping[str, Any]], Records[T]],
) -> Iterator[Records[T]]:
    """Yield one ``Records`` per page. The next page is requested only when the caller asks for it.

    Every search is a POST that only reads, so it is sent as idempotent: a page whose answer was
    lost is simply asked for again. A ``next_page_token`` that is not text (or an integer) is a
    broken response: PermanentError, never a crash or a request with a garbled token.
    """
    token: str | None = None
    seen: set[str] = set()
    while True:
        page_query = {**query, "page_token": token}
        data = client.call(
            "POST", path, cipher=cipher, query=page_query, body=dict(body), operation=operation, idempotent=True
        )
        yield load(data)
        token = next_page_token(data, seen, connector=client.name, operation=operation)
        if token is None:
            return


def next_page_token(data: Mapping[str, Any], seen: set[str], *, connector: str, operation: str) -> str | None:
    """The answer's ``next_page_token`` (None on the last page), added to ``seen``: the tokens of
    one search so far. One that is not text (or an integer), or that ``seen`` holds already, is a
    broken response: PermanentError, never a crash, a garbled request or a loop."""
    raw_token = data.get("next_page_token")
    if raw_token is None or raw_token == "":
        return None
    if isinstance(raw_token, bool) or not isinstance(raw_token, str | int):
        raise PermanentError(
            f"unexpected response: next_page_token is {type(raw_token).__name__}, not text",
            connector=connector,
            operation=operation,
        )
    token = str(raw_token)
    if token in seen:
        raise PermanentError(
            f"the API returned page_token {token[:LABEL_ID_CHARS]!r} twice: refusing to loop",
            connector=connector,
            operation=operation,
        )
    seen.add(token)
    return token


class PagesAhead(Iterator[T]):
    """``pages`` in order, fetched on a thread of its own: the first at once (the caller may do other
    work while it comes), each next one while the caller works on the one it has; never more than
    one ahead. Use it as a context manager: leaving the block stops the thread (one page may have
    been asked for and not used) and closes ``pages``. The thread runs in a copy of the caller's
    context (the shop's time budget bounds its calls); an error is raised to the caller where its
    page would have come."""

    def __init__(self, pages: Iterator[T]) -> None:
        self._pages = pages
        self._ahead: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._taken = threading.Semaphore(1)  # the page before was taken: the next may be fetched
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(
            target=copy_context().run, args=(self._fetch,), name="erpsync-pages-ahead", daemon=True
        )
        self._thread.start()

    def _fetch(self) -> None:
        try:
            while True:
                self._taken.acquire()
                if self._stop.is_set():
                    return
                try:
                    page = next(self._pages)
                except StopIteration:
                    self._ahead.put(("end", None))
                    return
                self._ahead.put(("page", page))
        except BaseException as exc:  # raised to the caller, where the page would have come
            self._ahead.put(("error", exc))
        finally:
            close = getattr(self._pages, "close", None)
            if close is not None:
                close()

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        kind, value = self._ahead.get()
        if kind == "page":
            self._taken.release()
            return cast(T, value)
        self._done = True
        if kind == "error":
            raise value
        raise StopIteration

    def __enter__(self) -> PagesAhead[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self._done = True
        self._stop.set()
        self._taken.release()  # wakes the thread if it waits to fetch: it sees the stop and ends
        self._thread.join()
