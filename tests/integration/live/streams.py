"""Synthetic Jira event streams built from real captures (shared by the live-path integration tests)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from tests.support.fixtures import load_fixture

STATUSES = ["To Do", "In Progress", "In Review", "Done"]
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def jira_time(ms: int) -> str:
    """Jira's date-time format, e.g. 2026-01-01T00:00:00.123+0000."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def issue_update(index: int, version: int, timestamp: int) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load_fixture("jira-webhooks/webhook-issue-updated-assigned.json"))
    issue = body["issue"]
    issue["id"], issue["key"] = str(20_000 + index), f"TES-{100 + index}"
    issue["self"] = f"https://some-instance-test.atlassian.net/rest/api/2/issue/{issue['id']}"
    issue["fields"]["summary"] = f"{issue['key']} v{version}"
    issue["fields"]["status"]["name"] = STATUSES[version % len(STATUSES)]
    issue["fields"]["updated"] = jira_time(timestamp - 3)  # the change, a few ms before the event
    body["timestamp"] = timestamp
    return body


def issue_deleted(index: int, timestamp: int) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load_fixture("jira-webhooks/webhook-issue-deleted.json"))
    body["issue"]["id"], body["issue"]["key"] = str(20_000 + index), f"TES-{100 + index}"
    body["timestamp"] = timestamp
    return body


def project_updated(version: int, timestamp: int) -> dict[str, Any]:
    project = dict(
        load_fixture("jira-webhooks/webhook-issue-updated-assigned.json")["issue"]["fields"]["project"]
    )
    project["id"], project["name"] = int(project["id"]), f"test project v{version}"
    return {"timestamp": timestamp, "webhookEvent": "project_updated", "project": project}


def build_stream(issues: int, updates: int) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """(identifier, body) per event in Jira's order, and the expected final state per entity."""
    events: list[tuple[str, dict[str, Any]]] = []
    expected: dict[str, Any] = {}
    for i in range(issues):
        key = f"TES-{100 + i}"
        for version in range(updates):
            ts = BASE_MS + version * 60_000 + i * 7
            events.append((f"{key}-u{version}", issue_update(i, version, ts)))
        expected[key] = {
            "summary": f"{key} v{updates - 1}",
            "status": STATUSES[(updates - 1) % len(STATUSES)],
        }
        if i % 4 == 0:  # a quarter of the issues end deleted
            events.append((f"{key}-deleted", issue_deleted(i, BASE_MS + updates * 60_000 + i * 7)))
            expected[key] = None
    for version in range(updates):
        events.append((f"project-u{version}", project_updated(version, BASE_MS + version * 60_000 + 5)))
    expected["project:TES"] = f"test project v{updates - 1}"
    return events, expected


# A rule that makes Port answer 422 for TES-41: a property the jiraIssue blueprint does not define.
POISON_RULE = {
    "blueprint": "jiraIssue",
    "filter": '.body.issue.key == "TES-41"',
    "entity": {"identifier": ".body.issue.key", "properties": {"notInBlueprint": '"x"'}},
}
