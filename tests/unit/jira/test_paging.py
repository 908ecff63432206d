"""The paging loops with a scripted ``fetch``: key anchors, sentinels, stop rules, token fallback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_port.jira.errors import JiraAPIError, JiraResponseError
from jira_port.jira.models import SearchAnswer
from jira_port.jira.paging import (
    MAX_ANCHORS,
    MAX_EMPTY_PAGES,
    iter_cloud_pages,
    iter_server_pages,
    parse_cursor,
    spread_anchors,
)

OPTS: dict[str, Any] = {"fields": ["summary"], "expand": None, "page_size": 3}
WHERE = "project = 10000"


def _issues(*numbers: int, project: str = "A") -> list[dict[str, Any]]:
    # ids deliberately unrelated to key order (moved-in issues have low ids under high numbers)
    return [{"id": str(90_000 - n), "key": f"{project}-{n}"} for n in numbers]


def _gone(key: str) -> JiraAPIError:
    return JiraAPIError(
        400,
        "POST",
        "/rest/api/2/search",
        messages=[f"An issue with key '{key}' does not exist for field 'key'."],
    )


class Script:
    """Answers in order and records the request bodies."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]


def _keys(pages: Any) -> list[str]:
    return [i["key"] for p in pages for i in p.issues]


def _anchored(anchor: str) -> str:
    return f'(({WHERE}) OR key = "{anchor}") AND key >= "{anchor}" ORDER BY key ASC'


def test_server_pages_by_key_anchor_with_start_at_zero_and_drops_the_sentinel() -> None:
    fetch = Script(
        {"total": 5, "issues": _issues(1, 2, 3)},
        {"total": 3, "issues": _issues(3, 4, 5)},  # the anchor A-3 comes back first
    )
    pages = list(iter_server_pages(fetch, WHERE, **OPTS))
    assert _keys(pages) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert [b["jql"] for b in fetch.bodies] == [f"{WHERE} ORDER BY key ASC", _anchored("A-3")]
    assert {b["startAt"] for b in fetch.bodies} == {0}  # never deep paging: no 10,000-result window
    assert [b["maxResults"] for b in fetch.bodies] == [3, 4]  # room for the sentinel
    assert pages[0].cursor == {"anchors": ["A-3", "A-2"]} and pages[-1].cursor is None


def test_server_capped_pages_continue_and_empty_result_ends() -> None:
    fetch = Script({"issues": _issues(1)}, {"issues": _issues(1)})  # no total: only an empty page ends
    pages = list(iter_server_pages(fetch, WHERE, **OPTS))
    assert len(fetch.bodies) == 2 and pages[-1].issues == [] and pages[-1].cursor is None


def test_a_deleted_anchor_falls_back_to_an_older_one() -> None:
    # Given a cursor whose newest anchor was deleted between invocations
    fetch = Script(_gone("A-9"), {"total": 2, "issues": _issues(8, 10)})
    pages = list(iter_server_pages(fetch, WHERE, cursor={"anchors": ["A-9", "A-8"]}, **OPTS))
    assert [b["jql"] for b in fetch.bodies] == [_anchored("A-9"), _anchored("A-8")]
    assert _keys(pages) == ["A-10"]


def test_a_moved_anchor_is_detected_by_its_sentinel_and_all_gone_restarts_the_project() -> None:
    # A-9 moved to B (key > A-9 would now act in B): the first issue is not A-9; A-8 was deleted
    moved = {"total": 1, "issues": [{"id": "1", "key": "B-77"}]}
    fetch = Script(moved, _gone("A-8"), {"total": 2, "issues": _issues(1, 2)})
    pages = list(iter_server_pages(fetch, WHERE, cursor={"anchors": ["A-9", "A-8"]}, **OPTS))
    assert [b["jql"] for b in fetch.bodies] == [
        _anchored("A-9"),
        _anchored("A-8"),
        f"{WHERE} ORDER BY key ASC",
    ]
    assert _keys(pages) == ["A-1", "A-2"]


def test_a_page_holding_only_the_anchor_while_more_match_is_an_error_not_a_loop() -> None:
    fetch = Script({"total": 5, "issues": _issues(3)})
    with pytest.raises(JiraResponseError, match="only the anchor"):
        list(iter_server_pages(fetch, WHERE, cursor={"anchors": ["A-3"]}, **OPTS))


def test_other_errors_propagate() -> None:
    fetch = Script(JiraAPIError(400, "POST", "/x", messages=["bad JQL"]))
    with pytest.raises(JiraAPIError, match="bad JQL"):
        list(iter_server_pages(fetch, WHERE, cursor={"anchors": ["A-1"]}, **OPTS))


def test_cloud_follows_tokens_through_short_and_empty_pages() -> None:
    fetch = Script(
        {"issues": _issues(1), "nextPageToken": "t1", "isLast": False},  # short page
        {"issues": [], "nextPageToken": "t2", "isLast": False},  # empty page with a token: not the end
        {"issues": _issues(2, 3), "nextPageToken": "t3"},
        {"issues": _issues(4), "isLast": True},
    )
    pages = list(iter_cloud_pages(fetch, WHERE, **OPTS))
    assert _keys(pages) == ["A-1", "A-2", "A-3", "A-4"]
    assert [b.get("nextPageToken") for b in fetch.bodies] == [None, "t1", "t2", "t3"]
    assert {b["jql"] for b in fetch.bodies} == {f"{WHERE} ORDER BY key ASC"}  # a chain repeats its JQL
    assert pages[2].cursor == {"anchors": ["A-3", "A-2", "A-1"], "nextPageToken": "t3", "chainAnchor": None}
    assert pages[-1].cursor is None


@pytest.mark.parametrize(
    "last_answer",
    [
        {"issues": _issues(3)},  # no token, no isLast (isLast is optional in the spec)
        {"issues": _issues(3), "nextPageToken": "t9", "isLast": True},
        {"issues": [], "isLast": True},
    ],
)
def test_cloud_stop_rules(last_answer: dict[str, Any]) -> None:
    fetch = Script({"issues": _issues(1, 2), "nextPageToken": "t1"}, last_answer)
    pages = list(iter_cloud_pages(fetch, WHERE, **OPTS))
    assert len(pages) == 2 and pages[-1].cursor is None


def test_cloud_endless_empty_pages_are_an_error_not_a_hang() -> None:
    fetch = Script(*[{"issues": [], "nextPageToken": f"t{n}"} for n in range(MAX_EMPTY_PAGES + 2)])
    with pytest.raises(JiraResponseError, match="empty pages"):
        list(iter_cloud_pages(fetch, WHERE, **OPTS))


def test_cloud_rejected_token_resumes_from_anchors_never_by_id() -> None:
    # Given a cursor whose token Jira no longer accepts (expired after 7 days)
    rejected = JiraAPIError(400, "POST", "/rest/api/2/search/jql", messages=["The token is invalid"])
    fetch = Script(
        rejected,
        {"issues": [], "nextPageToken": "n0"},  # the new chain's first page may even be empty
        {"issues": _issues(6, 7), "nextPageToken": "n1"},
        {"issues": _issues(8), "isLast": True},
    )
    cursor = {"nextPageToken": "old", "anchors": ["A-6", "A-5"], "chainAnchor": None}
    pages = list(iter_cloud_pages(fetch, WHERE, cursor=cursor, **OPTS))
    assert fetch.bodies[0]["nextPageToken"] == "old"
    assert fetch.bodies[1]["jql"] == _anchored("A-6") and "nextPageToken" not in fetch.bodies[1]
    assert all(" id >" not in b["jql"] for b in fetch.bodies)
    assert {b["jql"] for b in fetch.bodies[1:]} == {_anchored("A-6")}  # the new chain repeats its JQL
    assert _keys(pages) == ["A-7", "A-8"]  # the sentinel A-6 was dropped
    assert pages[1].cursor is not None and pages[1].cursor["chainAnchor"] == "A-6"


def test_cloud_chain_that_ends_before_its_sentinel_tries_an_older_anchor() -> None:
    fetch = Script({"issues": [], "isLast": True}, {"issues": _issues(4, 5), "isLast": True})
    pages = list(iter_cloud_pages(fetch, WHERE, cursor={"anchors": ["A-9", "A-4"]}, **OPTS))
    assert [b["jql"] for b in fetch.bodies] == [_anchored("A-9"), _anchored("A-4")]
    assert _keys(pages) == ["A-5"]


def test_cloud_deleted_anchor_400_tries_the_next() -> None:
    fetch = Script(_gone("A-9"), {"issues": _issues(4, 5), "isLast": True})
    pages = list(iter_cloud_pages(fetch, WHERE, cursor={"anchors": ["a-9", "A-4"]}, **OPTS))
    assert _keys(pages) == ["A-5"]


def test_anchors_spread_over_pages_and_stay_bounded() -> None:
    anchors = spread_anchors(_issues(*range(1, 101)), ["A-0"])
    assert anchors[:4] == ["A-100", "A-99", "A-97", "A-93"] and anchors[-1] == "A-0"
    assert len(anchors) <= MAX_ANCHORS
    many = spread_anchors(_issues(*range(1, 5000)), [f"Z-{n}" for n in range(20)])
    assert len(many) == MAX_ANCHORS and many[-1] == "Z-19"  # the oldest survives for deep fallbacks


@pytest.mark.parametrize(
    "cursor",
    [{}, {"anchors": "A-1"}, {"anchors": [1]}, {"anchors": [], "nextPageToken": ""}, "c"],
)
def test_invalid_cursors_are_rejected(cursor: Any) -> None:
    with pytest.raises(ValueError, match="cursor"):
        parse_cursor(cursor)


def test_a_cursor_of_the_old_numeric_id_form_restarts_the_project() -> None:
    state = parse_cursor({"afterId": 10042})
    assert state.anchors == [] and state.token is None
    assert parse_cursor(None).anchors == []


@pytest.mark.parametrize("pager", [iter_server_pages, iter_cloud_pages])
def test_the_raw_body_rides_along_with_the_sentinel_to_skip(pager: Any) -> None:
    def answer(data: dict[str, Any]) -> SearchAnswer:
        return SearchAnswer(data, json.dumps(data).encode())

    resumed = {"anchors": ["A-3"]}
    first = answer({"total": 3, "issues": _issues(3, 4, 5), "isLast": True})
    pages = list(pager(Script(first), WHERE, cursor=resumed, **OPTS))
    assert [(p.raw, p.raw_skip) for p in pages] == [(first.raw, 1)]
    assert _keys(pages) == ["A-4", "A-5"]
    plain = list(pager(Script({"total": 1, "issues": _issues(1), "isLast": True}), WHERE, **OPTS))
    assert [(p.raw, p.raw_skip) for p in plain] == [(None, 0)]
