"""Which version an event gives each action (the guard's ordering key)."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.actions import Action
from jira_port.live.versions import action_version, event_timestamp_ms, parse_jira_datetime_ms
from tests.support.fixtures import load_fixture

UPSERT = Action("upsert", "jiraIssue", {"identifier": "TES-41"})
DELETE = Action("delete", "jiraIssue", {"identifier": "TES-41"})


def test_issue_upserts_use_the_issue_updated_time() -> None:
    body = load_fixture("jira-webhooks/webhook-issue-updated-assigned.json")
    # "updated": "2019-02-15T19:18:01.707-0800"
    assert action_version(body, UPSERT, 0) == 1550287081707
    assert body["timestamp"] == 1550287081752  # the event is a few ms later


def test_deletes_use_the_event_timestamp_even_when_the_body_has_updated() -> None:
    body = load_fixture("jira-webhooks/webhook-issue-deleted.json")
    assert action_version(body, DELETE, 0) == body["timestamp"]
    # an upsert produced by a deletion event must not tie with the last state either
    assert action_version(body, UPSERT, 0) == body["timestamp"]


def test_other_events_use_the_timestamp_then_the_receive_time() -> None:
    project = {"webhookEvent": "project_updated", "timestamp": 1700000000000, "project": {"key": "A"}}
    assert action_version(project, UPSERT, 5) == 1700000000000
    assert action_version({"webhookEvent": "project_updated"}, UPSERT, 5) == 5
    comment = load_fixture("jira-webhooks/webhook-cloud-comment-created-mention-user.json")
    assert action_version(comment, UPSERT, 0) == comment["timestamp"]  # trimmed issue: no updated


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-02-15T19:01:52.971-0800", 1550286112971),
        ("2019-08-14T11:07:58.354+0800", 1565752078354),
        ("2026-01-01T10:00:00.123+01:00", 1767258000123),
        ("2026-01-01T09:00:00Z", 1767258000000),
        ("2026-01-01T10:00:00", None),  # no zone: ambiguous
        ("yesterday", None),
        (None, None),
        (1767258000000, None),
    ],
)
def test_parse_jira_datetime(value: Any, expected: int | None) -> None:
    assert parse_jira_datetime_ms(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(1.5e12, 1500000000000), ("1700000000001", 1700000000001), ("x", 7), (True, 7)]
)
def test_event_timestamp(value: Any, expected: int) -> None:
    assert event_timestamp_ms({"timestamp": value}, 7) == expected
