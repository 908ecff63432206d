"""``paging.read_ahead``: the next page is requested while the caller holds the current one."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from jira_port.jira.errors import JiraResponseError
from jira_port.jira.models import IssuePage
from jira_port.jira.paging import read_ahead


class Source:
    """``count`` pages; records when each page's request starts (by the clock) and when it ends."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.started: list[int] = []
        self.closed = False
        self.now = 0
        self.lock = threading.Lock()

    def clock(self) -> int:
        with self.lock:
            self.now += 1
            return self.now

    def pages(self) -> Generator[IssuePage]:
        try:
            for n in range(self.count):
                self.started.append(n)
                if n == self.fail_at:
                    raise JiraResponseError(f"page {n} is broken")
                last = n == self.count - 1
                yield IssuePage([{"key": f"A-{n}"}], None if last else {"anchors": [f"A-{n}"]})
        finally:
            self.closed = True


def test_pages_come_in_order_each_with_the_time_before_its_request() -> None:
    source = Source(3)
    with ThreadPoolExecutor(1) as pool:
        got = list(read_ahead(source.pages(), pool, source.clock))
    assert [p.issues[0]["key"] for _, p in got] == ["A-0", "A-1", "A-2"]
    times = [t for t, _ in got]
    assert times == sorted(times) and len(set(times)) == 3
    assert source.closed


def test_the_next_page_is_requested_before_the_caller_asks_for_it() -> None:
    source = Source(3)
    with ThreadPoolExecutor(1) as pool:
        pages = read_ahead(source.pages(), pool, source.clock)
        next(pages)
        pool.submit(lambda: None).result()  # the single worker has run the read-ahead by now
        assert source.started == [0, 1]
        pages.close()


def test_nothing_is_read_after_the_last_page() -> None:
    source = Source(1)
    with ThreadPoolExecutor(1) as pool:
        assert len(list(read_ahead(source.pages(), pool, source.clock))) == 1
    assert source.started == [0]


def test_an_error_surfaces_when_its_page_is_asked_for() -> None:
    source = Source(3, fail_at=1)
    with ThreadPoolExecutor(1) as pool:
        pages = read_ahead(source.pages(), pool, source.clock)
        assert next(pages)[1].issues == [{"key": "A-0"}]
        with pytest.raises(JiraResponseError, match="page 1"):
            next(pages)


def test_closing_waits_for_the_request_in_flight_and_closes_the_source() -> None:
    entered, release = threading.Event(), threading.Event()
    source = Source(3)
    inner = source.pages()

    def slow() -> Iterator[IssuePage]:
        yield next(inner)
        entered.set()
        release.wait(5)
        yield from inner

    with ThreadPoolExecutor(1) as pool:
        pages = read_ahead(slow(), pool, source.clock)
        next(pages)
        assert entered.wait(5)  # the next page's request is in flight
        threading.Timer(0.05, release.set).start()
        pages.close()  # must wait for it, not raise "generator already executing"
    assert source.closed and release.is_set()


def test_once_told_to_stop_it_hands_out_the_page_asked_for_and_ends() -> None:
    source = Source(5)
    wanted = [True]
    with ThreadPoolExecutor(1) as pool:
        pages = read_ahead(source.pages(), pool, source.clock, lambda: wanted[0])
        assert next(pages)[1].issues == [{"key": "A-0"}]  # A-1 is being read
        wanted[0] = False
        assert [p.issues[0]["key"] for _, p in pages] == ["A-1"]
    assert source.started == [0, 1] and source.closed
