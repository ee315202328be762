"""paging.PagesAhead: a search's first page is asked for at once and each next one while the caller
works on the one it has, and nothing else about the pages changes: their order, where an error is
raised, that leaving the block stops the fetching."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextvars import ContextVar

import pytest

from erpsync.connectors.tiktok.paging import PagesAhead

WAIT = 5.0  # seconds a test waits for the thread; it needs far less
BUDGET: ContextVar[str] = ContextVar("BUDGET", default="none")


class Pages:
    """Pages 0, 1, ... as a search would give them, noting which were fetched and in which context."""

    def __init__(self, count: int, *, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.fetched: list[int] = []
        self.contexts: list[str] = []
        self.closed = threading.Event()
        self.arrived = [threading.Event() for _ in range(count)]

    def __iter__(self) -> Iterator[int]:
        try:
            for page in range(self.count):
                if page == self.fail_at:
                    raise RuntimeError(f"page {page} failed")
                self.fetched.append(page)
                self.contexts.append(BUDGET.get())
                self.arrived[page].set()
                yield page
        finally:
            self.closed.set()


def test_the_first_page_is_asked_for_before_the_caller_asks() -> None:
    """The caller reads its cache meanwhile: the first page is on its way as the block starts."""
    pages = Pages(2)
    with PagesAhead(iter(pages)) as ahead:
        assert pages.arrived[0].wait(WAIT)
        assert list(ahead) == [0, 1]


def test_the_next_page_is_fetched_while_the_caller_works_on_this_one() -> None:
    pages = Pages(3)
    seen = []
    with PagesAhead(iter(pages)) as ahead:
        for page in ahead:
            seen.append(page)
            if page + 1 < pages.count:  # not asked for yet, and on its way already
                assert pages.arrived[page + 1].wait(WAIT)
            assert len(pages.fetched) <= page + 2  # never more than one page ahead
    assert seen == [0, 1, 2]


def test_an_error_is_raised_where_its_page_would_have_come() -> None:
    pages = Pages(4, fail_at=2)
    seen = []
    with pytest.raises(RuntimeError, match="page 2 failed"), PagesAhead(iter(pages)) as ahead:
        for page in ahead:
            seen.append(page)
    assert seen == [0, 1]


def test_leaving_the_block_early_stops_the_fetching_and_closes_the_pages() -> None:
    pages = Pages(10)
    with PagesAhead(iter(pages)) as ahead:
        for page in ahead:
            if page == 1:
                break
    assert pages.closed.wait(WAIT)
    assert pages.fetched in ([0, 1], [0, 1, 2])  # the one in hand and at most one more
    with PagesAhead(iter(Pages(10))) as ahead:  # left before any page was asked for: stopped too
        pass
    assert next(ahead, None) is None


def test_pages_are_fetched_in_the_callers_context() -> None:
    """The shop's time budget is a context variable: the thread's calls keep to it."""
    pages = Pages(2)
    token = BUDGET.set("the shop's")
    try:
        with PagesAhead(iter(pages)) as ahead:
            assert list(ahead) == [0, 1]
    finally:
        BUDGET.reset(token)
    assert pages.contexts == ["the shop's", "the shop's"]
