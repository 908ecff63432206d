"""FIFO message group and deduplication ids."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from jira_port.live.queue import deduplication_id, message_group_id, sqs_id
from tests.support.fixtures import fixture_paths, load_fixture

SQS_ID = re.compile(r"^[!-~]{1,128}$")


@pytest.mark.parametrize("path", fixture_paths("jira-webhooks"), ids=lambda p: p.stem)
def test_every_real_capture_gets_a_valid_entity_group(path: Any) -> None:
    body = load_fixture(f"jira-webhooks/{path.name}")
    group = message_group_id(body)
    assert SQS_ID.match(group)
    issue = body.get("issue")
    if issue:
        assert group == f"issue:{issue['id']}"  # the immutable id, never the key


@pytest.mark.parametrize("path", fixture_paths("jira-webhooks/kinds"), ids=lambda p: p.stem)
def test_every_kind_gets_one_group_per_entity(path: Any) -> None:
    body = load_fixture(f"jira-webhooks/kinds/{path.name}")
    kind = next(k for k in ("user", "board", "sprint", "version", "component") if k in body)
    ident = body[kind].get("accountId") or body[kind].get("key") or body[kind].get("id")
    assert message_group_id(body) == f"{kind}:{ident}"


def test_server_comment_without_issue_joins_its_issue_group() -> None:
    body = load_fixture("jira-webhooks/webhook-server-comment-created.json")
    assert "issue" not in body
    assert message_group_id(body) == "issue:10013"


@pytest.mark.parametrize(
    ("body", "group"),
    [
        ({"webhookEvent": "project_created", "project": {"id": 10002, "key": "OPS"}}, "project:10002"),
        ({"webhookEvent": "project_deleted", "project": {"key": "OPS"}}, "project:OPS"),
        ({"webhookEvent": "jira:issue_deleted", "issue": {"key": "OPS-7"}}, "issue:OPS-7"),
        ({"webhookEvent": "worklog_created", "worklog": {"id": "9", "issueId": "10042"}}, "issue:10042"),
        ({"webhookEvent": "jira:version_released", "version": {"id": "7"}}, "version:7"),
        ({"webhookEvent": "user_updated", "user": {"name": "jdoe"}}, "user:jdoe"),
        ({"webhookEvent": "sprint_started", "sprint": {"id": 3}}, "sprint:3"),
        (
            {"webhookEvent": "user_updated", "user": {"name": "jdoe", "key": "JIRAUSER10100"}},
            "user:JIRAUSER10100",
        ),
        ({"webhookEvent": "user_deleted", "user": {"accountId": "712020:ab", "key": "k"}}, "user:712020:ab"),
        ({"webhookEvent": "board_configuration_changed", "board": {"id": 84}}, "board:84"),
        ({"webhookEvent": "component_archived", "component": {"id": "10050"}}, "component:10050"),
        # The kind the event names wins over another kind's object in the same body.
        ({"webhookEvent": "jira:version_moved", "version": {"id": "7"}, "project": {"id": 1}}, "version:7"),
        ({"webhookEvent": "sprint_closed", "sprint": {"id": 3}, "board": {"id": 84}}, "sprint:3"),
        (
            {"webhookEvent": "jira:version_merged", "version": {"id": "8"}, "mergedTo": {"id": "7"}},
            "version:8",
        ),
        ({"webhookEvent": "option_voting_changed"}, "event:option_voting_changed"),
        ({}, "event:unknown"),
        ({"issue": {"id": True, "key": "A-1"}}, "issue:A-1"),
    ],
)
def test_groups_by_entity(body: dict[str, Any], group: str) -> None:
    assert message_group_id(body) == group


def test_invalid_characters_or_length_are_hashed() -> None:
    user = {"webhookEvent": "user_updated", "user": {"name": "jürgen müller"}}
    group = message_group_id(user)
    assert group == "user#" + hashlib.sha256("jürgen müller".encode()).hexdigest()
    assert SQS_ID.match(group)
    long = sqs_id("issue", "x" * 200)
    assert SQS_ID.match(long) and long.startswith("issue#")


def test_deduplication_id_prefers_jira_identifier_case_insensitively() -> None:
    raw = b'{"a":1}'
    assert deduplication_id({"X-Atlassian-Webhook-Identifier": " 1234-abc "}, raw) == "1234-abc"
    assert deduplication_id({"x-atlassian-webhook-identifier": "1234-abc"}, raw) == "1234-abc"
    assert deduplication_id({}, raw) == hashlib.sha256(raw).hexdigest()
    assert deduplication_id({"x-atlassian-webhook-identifier": ""}, raw) == hashlib.sha256(raw).hexdigest()
    odd = deduplication_id({"x-atlassian-webhook-identifier": "id with spaces"}, raw)
    assert SQS_ID.match(odd) and odd != hashlib.sha256(raw).hexdigest()
