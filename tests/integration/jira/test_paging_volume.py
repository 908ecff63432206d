"""25,000 issues per flavour through the real client with 5 % throttling: complete, unique, flat memory,
resumable. (Speed is measured in bench/bench_jira.py, never asserted here.)"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from jira_port_emulators.jira import JiraFaults
from tests.support.jira_emulator import RunningJira, running_jira

ISSUES = 25_000
PAGE = 500
FIELDS = ["summary"]


class Clock:
    """The emulator's clock, movable by the tests (page tokens expire after 7 days)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


CLOCK = Clock()


@pytest.fixture(scope="module", params=["cloud", "server"])
def big_jira(request: pytest.FixtureRequest) -> Iterator[RunningJira]:
    faults = JiraFaults(throttle_rate=0.05, retry_after=0.0, seed=11)
    with running_jira(request.param, projects=6, issues=ISSUES, faults=faults, clock=CLOCK) as jira:
        yield jira


@pytest.mark.slow
def test_every_issue_exactly_once_with_flat_memory(big_jira: RunningJira) -> None:
    client = big_jira.client(page_size=PAGE)
    assert client.deployment == big_jira.flavour
    throttled_before = big_jira.emulator.faults.throttled
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        seen: list[int] = []
        one_page_bytes = 0
        pages = 0
        for page in client.iter_issue_pages(fields=FIELDS):
            if pages == 0:
                # What one page costs to keep; holding all issues would take about this times the pages.
                one_page_bytes = tracemalloc.get_traced_memory()[0] - before
            seen.extend(int(issue["id"]) for issue in page.issues)
            pages += 1
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    # Then: no duplicate, no gap (in key order, which is not id order)
    assert len(seen) == ISSUES and sorted(seen) == sorted(big_jira.emulator.ds.issues)
    assert big_jira.emulator.faults.throttled - throttled_before > 0  # the 429s really happened
    # and memory stayed flat: the peak is a small fraction of keeping every page
    holding_all = one_page_bytes * pages
    seen_list_bytes = 8 * ISSUES + 32 * ISSUES  # the ids this test itself keeps (list slots + ints)
    assert pages >= ISSUES // PAGE
    print(f"peak {peak:,} B vs holding all pages {holding_all:,} B")
    assert peak - seen_list_bytes < holding_all / 4, (peak, holding_all)


@pytest.mark.slow
def test_cursor_resumes_after_an_interruption(
    big_jira: RunningJira, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a run that stopped (a Lambda timing out) after 7 pages, keeping the last cursor
    first: list[int] = []
    cursor: dict[str, Any] | None = None
    for n, page in enumerate(big_jira.client(page_size=1000).iter_issue_pages(fields=FIELDS)):
        first.extend(int(i["id"]) for i in page.issues)
        cursor = page.cursor
        if n == 6:
            break
    assert cursor is not None and len(first) > 5000  # pages end at project boundaries
    # When a new process resumes from that cursor (on Cloud after the 7-day token lifetime)
    CLOCK.now += 8 * 86_400
    try:
        resumed = big_jira.client(page_size=1000).iter_issue_pages(fields=FIELDS, cursor=cursor)
        rest = [int(i["id"]) for page in resumed for i in page.issues]
    finally:
        CLOCK.now -= 8 * 86_400
    # Then nothing is fetched twice and nothing is missed
    assert not set(first) & set(rest)
    assert sorted(first + rest) == sorted(big_jira.emulator.ds.issues)
    if big_jira.flavour == "cloud":  # the expired token was answered 400 and paging went on by anchor
        assert "rejected the page token" in caplog.text
