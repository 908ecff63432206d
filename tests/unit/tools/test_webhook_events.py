"""Which Jira webhook events a mapping's filters select (``register-webhook``)."""

from __future__ import annotations

import json

import pytest

from jira_port.mapping import load_mapping, load_mapping_text
from jira_port_tools.webhook_events import derive_events


def _one_rule(flt: str) -> str:
    return json.dumps([{"blueprint": "b", "filter": flt, "entity": {"identifier": ".body.issue.key"}}])


def test_the_default_mapping_selects_issue_and_project_events_including_cloud_trash_and_archive() -> None:
    derived = derive_events(load_mapping("default"), "cloud")
    assert derived.note is None
    assert derived.events == [
        "jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
        "project_created", "project_updated", "project_deleted", "project_soft_deleted",
        "project_archived", "project_restored_archived", "project_restored_deleted",
    ]  # fmt: skip


def test_data_center_gets_only_the_events_it_offers_and_a_note_about_the_rest() -> None:
    derived = derive_events(load_mapping("default"), "server")
    assert derived.events == [
        "jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
        "project_created", "project_updated", "project_deleted",
    ]  # fmt: skip
    assert derived.note is not None and "project_soft_deleted" in derived.note


@pytest.mark.parametrize(
    ("flt", "events"),
    [
        ('.body.webhookEvent == "comment_created"', ["comment_created"]),
        ("'comment_created' == .body.webhookEvent", ["comment_created"]),  # Port's single quotes
        (
            '.body.webhookEvent | IN("worklog_created", "worklog_updated")',
            ["worklog_created", "worklog_updated"],
        ),
    ],
)
def test_literals_compared_with_webhook_event_are_the_events(flt: str, events: list[str]) -> None:
    derived = derive_events(load_mapping_text(_one_rule(flt), limits=None), "cloud")
    assert (derived.events, derived.note) == (events, None)


@pytest.mark.parametrize(
    "flt", ["true", '.body.webhookEvent != "jira:issue_deleted"', '.body.webhookEvent | test("^jira:")']
)
def test_filters_that_name_no_event_fall_back_with_a_note(flt: str) -> None:
    derived = derive_events(load_mapping_text(_one_rule(flt), limits=None), "cloud")
    assert derived.note is not None and "rule 0 (b)" in derived.note
    assert "jira:issue_updated" in derived.events and "project_created" in derived.events
