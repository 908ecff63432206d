"""The issue pass raises the collector's first threshold while it runs, and every pass's end restores it."""

from __future__ import annotations

import gc
import threading
from typing import Any

from jira_port.backfill import BackfillRequest
from jira_port.backfill.collector import PASS_THRESHOLD, fewer_collections
from tests.unit.backfill.fakes import harness


def test_a_pass_raises_the_threshold_and_restores_it() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (max(PASS_THRESHOLD, before[0]), *before[1:])
    assert gc.get_threshold() == before


def test_overlapping_passes_restore_the_process_setting_once_the_last_ends() -> None:
    before = gc.get_threshold()
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_done.wait(5)
            seen.append(gc.get_threshold())

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with fewer_collections():
        pass
    second_done.set()
    thread.join(5)
    assert seen == [(max(PASS_THRESHOLD, before[0]), *before[1:])]  # still raised: the first pass runs on
    assert gc.get_threshold() == before


def test_an_error_in_the_pass_restores_the_threshold() -> None:
    before = gc.get_threshold()
    try:
        with fewer_collections():
            raise RuntimeError("the pass failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_the_issue_pass_writes_its_pages_under_the_raised_threshold() -> None:
    h = harness()
    seen: list[int] = []
    apply = h.port.apply

    def recording(actions: Any) -> Any:
        if any(a.blueprint == "jiraIssue" for a in actions):
            seen.append(gc.get_threshold()[0])
        return apply(actions)

    h.port.apply = recording  # type: ignore[method-assign]
    before = gc.get_threshold()
    assert h.service().invoke(BackfillRequest("full")).ok
    assert seen and set(seen) == {max(PASS_THRESHOLD, before[0])}
    assert gc.get_threshold() == before
