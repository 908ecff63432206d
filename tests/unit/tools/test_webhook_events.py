"""Which Jira webhook events a mapping's filters select (``register-webhook``)."""

from __future__ import annotations

import json

import pytest

from jira_port.mapping import load_mapping, load_mapping_text
from jira_port_tools.webhook_events import derive_events


def _one_rule(flt: str) -> str:
    return json.dumps([{"blueprint": "b", "filter": flt, "entity": {"identifier": ".body.issue.key"}}])


KINDS = [
    "board_configuration_changed", "board_created", "board_deleted", "board_updated",
    "jira:version_created", "jira:version_deleted", "jira:version_moved", "jira:version_released",
    "jira:version_unreleased", "jira:version_updated", "sprint_closed", "sprint_created", "sprint_deleted",
    "sprint_started", "sprint_updated", "user_created", "user_deleted", "user_updated",
]  # fmt: skip
COMPONENTS = "component_archived, component_created, component_deleted, component_updated"


def test_the_default_mapping_selects_every_kinds_events_including_cloud_trash_and_archive() -> None:
    derived = derive_events(load_mapping("default"), "cloud")
    assert derived.events == [
        "jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
        "project_created", "project_updated", "project_deleted", "project_soft_deleted",
        *sorted([*KINDS, "project_archived", "project_restored_archived", "project_restored_deleted"]),
    ]  # fmt: skip
    # Cloud sends a merge as jira:version_deleted and offers no component events.
    assert derived.note == f"not offered by Jira Cloud webhooks, left out: {COMPONENTS}, jira:version_merged"


def test_data_center_gets_only_the_events_it_offers_and_a_note_about_the_rest() -> None:
    derived = derive_events(load_mapping("default"), "server")
    assert derived.events == [
        "jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
        "project_created", "project_updated", "project_deleted", *sorted([*KINDS, "jira:version_merged"]),
    ]  # fmt: skip
    assert derived.note is not None and "project_soft_deleted" in derived.note and COMPONENTS in derived.note


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
