"""Partition JQL, the incremental lower bound, and events shaped like webhooks."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.backfill.mapper import issue_event, project_event
from jira_port.backfill.partitions import (
    account_timezone,
    incremental_partitions,
    jql_since,
    plan_partitions,
    project_partitions,
    scope_restriction,
)
from jira_port.backfill.store import RunState
from jira_port.settings.backfill import BackfillSettings


def test_one_partition_per_project_by_id_with_the_scope():
    parts = project_partitions(
        [{"id": "10001", "key": "B"}, {"id": 10000, "key": "A"}, {"key": "NOID"}, {"id": ""}],
        scope_restriction("status = Open ORDER BY created DESC"),
    )
    assert [(p.key, p.jql) for p in parts] == [
        ("A", "project = 10000 AND (status = Open)"),
        ("B", "project = 10001 AND (status = Open)"),
        ("NOID", 'project = "NOID" AND (status = Open)'),
    ]
    assert all(p.status == "pending" and p.cursor is None for p in parts)


def test_the_default_scope_is_every_project():
    assert scope_restriction(None) == scope_restriction("") == "project IS NOT EMPTY"


class Probe:
    def __init__(self, answer: set[str] | None) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def changed_projects(self, jql: str) -> set[str] | None:
        self.asked.append(jql)
        return self.answer


PROJECTS = [{"id": "1", "key": "A"}, {"id": "2", "key": "B"}, {"id": "3", "key": "C"}]


class Counter:
    """Counts (per project id in the JQL) and created windows, recording which projects were counted."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.counted: list[str] = []

    def issue_count(self, jql: str) -> int:
        pid = jql.split()[2]
        self.counted.append(pid)
        return self.counts[pid]

    def created_windows(self, jql: str, parts: int) -> list[str]:
        return [f"w{n}" for n in range(parts)]


def test_a_full_pass_counts_only_projects_the_listing_does_not_bound_below_the_split():
    jira = Counter({"1": 900, "2": 2500, "3": 3000})
    projects: list[dict[str, Any]] = [
        {"id": "1", "key": "A", "insight": {"totalIssueCount": 1000}},  # at the limit: not counted
        {
            "id": "2",
            "key": "B",
            "insight": {"totalIssueCount": 5000},
        },  # above: counted (the scope may be narrower)
        {"id": "3", "key": "C"},  # Server/DC lists no insight: counted
    ]
    run = RunState(run_id="r", mode="full", scope="project IS NOT EMPTY", started_ms=0)
    parts = plan_partitions(jira, projects, run, BackfillSettings(split_issues=1000))
    assert sorted(jira.counted) == ["2", "3"]
    assert [p.key for p in parts] == ["A", "B#001", "B#002", "B#003", "C#001", "C#002", "C#003"]


def test_incremental_partitions_are_per_project_and_only_where_the_probe_found_changes():
    probe = Probe({"2"})
    parts = incremental_partitions(probe, PROJECTS, "labels = x", "2026-01-02 03:04")
    assert probe.asked == ['(labels = x) AND updated >= "2026-01-02 03:04"']
    assert [(p.key, p.jql) for p in parts] == [
        ("B", 'project = 2 AND (labels = x) AND (updated >= "2026-01-02 03:04")')
    ]
    # a probe that cannot tell (too many changes) means every project
    assert [p.key for p in incremental_partitions(Probe(None), PROJECTS, "x = 1", "2026-01-02 03:04")] == [
        "A",
        "B",
        "C",
    ]


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", "2026-03-01 11:58"),
        ("Europe/Berlin", "2026-03-01 12:58"),
        ("Pacific/Kiritimati", "2026-03-02 01:58"),
    ],
)
def test_jql_since_is_floored_wall_clock_time_in_the_account_zone(zone, expected):
    watermark = 1_772_366_400_000 + 59_999  # 2026-03-01T12:00:59.999Z
    assert jql_since(watermark, 120, zone) == expected


def test_account_timezone_falls_back_to_utc():
    class Jira:
        def __init__(self, zone: str) -> None:
            self.zone = zone

        def myself(self) -> dict[str, str]:
            return {"timeZone": self.zone}

    assert account_timezone(Jira("Asia/Tokyo")) == "Asia/Tokyo"
    assert account_timezone(Jira("Mars/Olympus")) == "UTC"
    assert account_timezone(object()) == "UTC"


def test_events_carry_the_item_and_the_read_time():
    issue = {"id": "1", "key": "A-1", "fields": {}}
    assert issue_event(issue, 42) == {"webhookEvent": "jira:issue_updated", "timestamp": 42, "issue": issue}
    assert project_event({"key": "A"}, 7) == {
        "webhookEvent": "project_updated",
        "timestamp": 7,
        "project": {"key": "A"},
    }
