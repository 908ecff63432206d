"""The paging loops with a scripted ``fetch``: stop rules, cursors, keyset, token fallback."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.jira.errors import JiraAPIError, JiraResponseError
from jira_port.jira.paging import iter_cloud_pages, iter_server_pages, parse_cursor

OPTS: dict[str, Any] = {"fields": ["summary"], "expand": None, "page_size": 2}


def _issues(*ids: int) -> list[dict[str, Any]]:
    return [{"id": str(i), "key": f"A-{i}"} for i in ids]


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


def test_cloud_follows_tokens_and_stops_on_is_last() -> None:
    fetch = Script(
        {"issues": _issues(1, 2), "nextPageToken": "t1", "isLast": False},
        {"issues": _issues(3, 4), "nextPageToken": "t2"},
        {"issues": _issues(5), "isLast": True},
    )
    pages = list(iter_cloud_pages(fetch, "project = A", **OPTS))
    assert [[i["id"] for i in p.issues] for p in pages] == [["1", "2"], ["3", "4"], ["5"]]
    assert [p.cursor for p in pages] == [
        {"nextPageToken": "t1", "afterId": 2},
        {"nextPageToken": "t2", "afterId": 4},
        None,
    ]
    # Every request of the chain repeats the JQL that started it, ordered by id.
    assert {b["jql"] for b in fetch.bodies} == {"project = A ORDER BY id ASC"}
    assert [b.get("nextPageToken") for b in fetch.bodies] == [None, "t1", "t2"]
    assert fetch.bodies[0]["maxResults"] == 2 and fetch.bodies[0]["fields"] == ["summary"]


@pytest.mark.parametrize(
    "last_answer",
    [
        {"issues": _issues(3)},  # no token, no isLast (isLast is optional in the spec)
        {"issues": [], "nextPageToken": "t9"},  # an empty page ends it even with a token
        {"issues": _issues(3), "nextPageToken": "t9", "isLast": True},
    ],
)
def test_cloud_stop_rules(last_answer: dict[str, Any]) -> None:
    fetch = Script({"issues": _issues(1, 2), "nextPageToken": "t1"}, last_answer)
    pages = list(iter_cloud_pages(fetch, "project = A", **OPTS))
    assert len(pages) == 2 and pages[-1].cursor is None
    assert len(fetch.bodies) == 2


def test_cloud_resume_from_cursor_and_fallback_when_token_rejected() -> None:
    # Given a cursor whose token Jira no longer accepts (expired after 7 days)
    rejected = JiraAPIError(400, "POST", "/rest/api/2/search/jql", messages=["The token is invalid"])
    fetch = Script(rejected, {"issues": _issues(7, 8), "nextPageToken": "n1"}, {"issues": _issues(9)})
    pages = list(
        iter_cloud_pages(fetch, "project = A", cursor={"nextPageToken": "old", "afterId": 6}, **OPTS)
    )
    # Then paging continues by keyset after the last seen id, and the new chain remembers that JQL
    assert fetch.bodies[0]["nextPageToken"] == "old"
    assert fetch.bodies[1]["jql"] == "(project = A) AND id > 6 ORDER BY id ASC"
    assert "nextPageToken" not in fetch.bodies[1]
    assert pages[0].cursor == {"nextPageToken": "n1", "afterId": 8, "queryAfterId": 6}
    assert fetch.bodies[2]["jql"] == "(project = A) AND id > 6 ORDER BY id ASC"
    assert [i["id"] for p in pages for i in p.issues] == ["7", "8", "9"]


def test_cloud_other_errors_propagate() -> None:
    fetch = Script(JiraAPIError(400, "POST", "/x", messages=["bad JQL"]))
    with pytest.raises(JiraAPIError, match="bad JQL"):
        list(iter_cloud_pages(fetch, "nope", **OPTS))


def test_server_keyset_pages_and_capped_pages_continue() -> None:
    # Given a server that caps maxResults below what was asked (2 -> 1 issue per page)
    fetch = Script(
        {"startAt": 0, "maxResults": 1, "total": 3, "issues": _issues(10)},
        {"startAt": 0, "maxResults": 1, "total": 2, "issues": _issues(11)},
        {"startAt": 0, "maxResults": 1, "total": 1, "issues": _issues(12)},
    )
    pages = list(iter_server_pages(fetch, "project = A", **OPTS))
    assert [p.cursor for p in pages] == [{"afterId": 10}, {"afterId": 11}, None]
    assert [b["jql"] for b in fetch.bodies] == [
        "project = A ORDER BY id ASC",
        "(project = A) AND id > 10 ORDER BY id ASC",
        "(project = A) AND id > 11 ORDER BY id ASC",
    ]
    assert {b["startAt"] for b in fetch.bodies} == {0}  # never deep paging: no 10,000-result window


def test_server_resume_and_empty_result() -> None:
    fetch = Script({"startAt": 0, "total": 0, "issues": []})
    pages = list(iter_server_pages(fetch, "project = A", cursor={"afterId": 99}, **OPTS))
    assert fetch.bodies[0]["jql"] == "(project = A) AND id > 99 ORDER BY id ASC"
    assert len(pages) == 1 and pages[0].issues == [] and pages[0].cursor is None


def test_server_without_total_pages_until_empty() -> None:
    fetch = Script({"issues": _issues(1)}, {"issues": []})
    pages = list(iter_server_pages(fetch, "x = 1", **OPTS))
    assert len(fetch.bodies) == 2 and pages[-1].cursor is None


def test_keyset_uses_the_largest_id_of_a_page() -> None:
    fetch = Script({"total": 5, "issues": _issues(4, 9, 7)}, {"total": 2, "issues": _issues(10, 11)})
    pages = list(iter_server_pages(fetch, "x = 1", **{**OPTS, "page_size": 3}))
    assert pages[0].cursor == {"afterId": 9}


def test_issue_without_numeric_id_is_a_response_error() -> None:
    fetch = Script({"total": 1, "issues": [{"key": "A-1"}]})
    with pytest.raises(JiraResponseError):
        list(iter_server_pages(fetch, "x = 1", **OPTS))


@pytest.mark.parametrize(
    "cursor",
    [
        {},
        {"afterId": -1},
        {"afterId": "x"},
        {"afterId": True},
        {"nextPageToken": ""},
        {"nextPageToken": 5},
        "c",
    ],
)
def test_invalid_cursors_are_rejected(cursor: Any) -> None:
    with pytest.raises(ValueError, match="cursor"):
        parse_cursor(cursor)


def test_cursor_accepts_string_ids() -> None:
    assert parse_cursor({"afterId": "10042"}) == (None, 10042)
    assert parse_cursor(None) == (None, None)
