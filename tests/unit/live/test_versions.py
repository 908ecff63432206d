"""Which version an event gives each action (the guard's ordering key)."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.live.guard import action_version, event_timestamp_ms, parse_jira_datetime_ms
from jira_port.port.types import Action
from tests.support.fixtures import load_fixture

UPSERT = Action("upsert", "jiraIssue", {"identifier": "TES-41"})
DELETE = Action("delete", "jiraIssue", {"identifier": "TES-41"})
RECEIVED = 1_800_000_000_000  # when the webhook received the event (after every fixture's timestamp)


def test_issue_upserts_use_the_issue_updated_time() -> None:
    body = load_fixture("jira-webhooks/webhook-issue-updated-assigned.json")
    # "updated": "2019-02-15T19:18:01.707-0800"
    assert action_version(body, UPSERT, RECEIVED) == 1550287081707
    assert body["timestamp"] == 1550287081752  # the event is a few ms later


def test_deletes_use_the_event_timestamp_even_when_the_body_has_updated() -> None:
    body = load_fixture("jira-webhooks/webhook-issue-deleted.json")
    assert action_version(body, DELETE, RECEIVED) == body["timestamp"]
    # an upsert produced by a deletion event must not tie with the last state either
    assert action_version(body, UPSERT, RECEIVED) == body["timestamp"]


def test_other_events_use_the_timestamp_then_the_receive_time() -> None:
    project = {"webhookEvent": "project_updated", "timestamp": 1700000000000, "project": {"key": "A"}}
    assert action_version(project, UPSERT, RECEIVED) == 1700000000000
    assert action_version({"webhookEvent": "project_updated"}, UPSERT, RECEIVED) == RECEIVED
    comment = load_fixture("jira-webhooks/webhook-cloud-comment-created-mention-user.json")
    assert action_version(comment, UPSERT, RECEIVED) == comment["timestamp"]  # trimmed issue: no updated


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


@pytest.mark.parametrize(
    "body",
    [
        {"webhookEvent": "jira:issue_deleted", "timestamp": 1e400},
        {"webhookEvent": "jira:issue_deleted", "timestamp": "1e400"},
        {"webhookEvent": "jira:issue_deleted", "timestamp": float("nan")},
        {"webhookEvent": "jira:issue_deleted", "timestamp": 10**40},
        {"webhookEvent": "jira:issue_deleted", "timestamp": RECEIVED + 16 * 60_000},
        {
            "webhookEvent": "jira:issue_updated",
            "issue": {"fields": {"updated": "9999-12-31T23:59:59.000+0000"}},
        },
    ],
)
def test_absurd_and_far_future_versions_become_the_receive_time(body: dict[str, Any]) -> None:
    action = DELETE if body["webhookEvent"].endswith("deleted") else UPSERT
    assert action_version(body, action, RECEIVED) == RECEIVED


def test_versions_within_the_clock_skew_are_kept_and_negative_ones_become_zero() -> None:
    ahead = RECEIVED + 14 * 60_000
    assert action_version({"webhookEvent": "x", "timestamp": ahead}, DELETE, RECEIVED) == ahead
    assert action_version({"webhookEvent": "x", "timestamp": -5}, DELETE, RECEIVED) == 0
