"""The bundled default mapping on real Jira Cloud and Server/DC captures, live and backfilled."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from jira_port.mapping import load_mapping
from jira_port.port.types import Action
from tests.support.fixtures import fixture_paths, load_fixture

BASE = "https://acme.atlassian.net"
LIVE = {"x-jira-port-source": "webhook"}
BACKFILL = {"x-jira-port-source": "backfill"}

# capture -> (operation, identifier, rule) or None when nothing should be written
EXPECTED: dict[str, tuple[str, str, int] | None] = {
    "webhook-cloud-comment-created-mention-user.json": None,
    "webhook-cloud-issue-created-many-fields.json": ("upsert", "KT-22", 0),
    "webhook-cloud-issue-updated-custom-field.json": ("upsert", "TES-14", 0),
    "webhook-issue-created.json": ("upsert", "TES-41", 0),
    "webhook-issue-deleted.json": ("delete", "IDT-19", 2),
    "webhook-issue-updated-assigned-nobody.json": ("upsert", "TES-41", 0),
    "webhook-issue-updated-assigned.json": ("upsert", "TES-41", 0),
    "webhook-issue-updated-components.json": ("upsert", "TES-10", 0),
    "webhook-issue-updated-labels.json": ("upsert", "TES-41", 0),
    "webhook-issue-updated-resolved.json": ("upsert", "TES-41", 0),
    "webhook-issue-updated-sprint.json": ("upsert", "TES-41", 0),
    "webhook-server-comment-created.json": None,
    "webhook-server-issue-updated-closed.json": ("upsert", "TES-4", 0),
    "webhook-server-issue-updated-in-progress.json": ("upsert", "TES-4", 0),
    "webhook-server-issue-updated-many-fields.json": ("upsert", "HEY-15", 0),
    "webhook-server-old-issue-updated-no-event-type-edited.json": ("upsert", "TES-41", 0),
}


def blueprint(name: str) -> dict[str, Any]:
    text = resources.files("jira_port").joinpath("data", "blueprints", f"{name}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def has_type(value: Any, port_type: str) -> bool:
    python_type: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "array": list,
        "number": (int, float),
        "boolean": bool,
        "object": dict,
    }
    return isinstance(value, python_type[port_type])


def assert_fits_blueprint(action: Action) -> None:
    """Every key is declared, every value has the declared type and format (null clears a value)."""
    bp = blueprint(action.blueprint)
    schema = bp["schema"]["properties"]
    for key, value in action.entity["properties"].items():
        assert key in schema, f"{action.blueprint} has no property {key}"
        if value is None:
            continue
        spec = schema[key]
        assert has_type(value, spec["type"]), (key, value)
        if spec["type"] == "array" and spec.get("items", {}).get("type") == "string":
            assert all(isinstance(v, str) for v in value), (key, value)
        if spec.get("format") == "url":
            assert value.startswith(("https://", "http://")) and " " not in value, (key, value)
        if spec.get("format") == "date-time":
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    for key, value in action.entity["relations"].items():
        relation = bp["relations"][key]
        if isinstance(value, dict):  # a Port search query (def-6 of Port's spec)
            assert set(value) == {"combinator", "rules"} and value["rules"], (key, value)
        elif value is not None:
            assert isinstance(value, list) if relation["many"] else isinstance(value, str), (key, value)


def test_expectations_cover_every_capture() -> None:
    assert sorted(p.name for p in fixture_paths("jira-webhooks")) == sorted(EXPECTED)


@pytest.mark.parametrize("path", fixture_paths("jira-webhooks"), ids=lambda p: p.name)
@pytest.mark.parametrize("base_url", [BASE, None])
def test_every_capture_maps_without_warnings(path: Path, base_url: str | None) -> None:
    mapping = load_mapping(None)
    body = load_fixture(f"jira-webhooks/{path.name}")
    result = mapping.evaluate_detailed(body, LIVE, jira_base_url=base_url)
    assert result.warnings == []
    expected = EXPECTED[path.name]
    assert mapping.relevant(body, LIVE, jira_base_url=base_url) is (expected is not None)
    if expected is None:
        assert result.actions == []
        return
    (action,) = result.actions
    assert (action.operation, action.identifier, action.rule) == expected
    if action.operation == "delete":
        assert action.entity == {"identifier": expected[1]}
        assert action.delete_dependents is False
        return
    assert_fits_blueprint(action)
    props = action.entity["properties"]
    if base_url is not None:
        assert props["url"] == props["issueUrl"] == f"{BASE}/browse/{expected[1]}"
    assert props["summary"] == action.entity["title"] == body["issue"]["fields"]["summary"]
    assert props["lastChangeType"] == body.get("issue_event_type_name", "issue_updated")
    assert props["changingUser"] == body["user"]["displayName"]
    assert action.entity["relations"]["project"] == body["issue"]["fields"]["project"]["key"]


def test_cloud_issue_users_are_account_ids_and_components_are_names() -> None:
    body = load_fixture("jira-webhooks/webhook-issue-created.json")
    (action,) = load_mapping(None).evaluate(body, LIVE, jira_base_url=BASE)
    props = action.entity["properties"]
    assert props["reporter"] == props["creator"] == "5c5f880629be9642ba529340"
    assert props["assignee"] is None
    assert props["components"] == ["COMP-1"]
    assert props["labels"] == ["test-label"]
    assert props["status"] == "To Do"
    assert props["issueType"] == "Story"
    assert props["priority"] == "High"
    assert props["created"] == "2019-02-15T19:01:52.971-0800"
    assert props["resolutionDate"] is None
    body = load_fixture("jira-webhooks/webhook-issue-updated-components.json")
    (action,) = load_mapping(None).evaluate(body, LIVE)
    assert action.entity["properties"]["components"] == ["Special Component"]


def test_server_issue_users_are_usernames_and_links_come_from_self_without_base_url() -> None:
    body = load_fixture("jira-webhooks/webhook-server-issue-updated-closed.json")
    (action,) = load_mapping(None).evaluate(body, LIVE)
    props = action.entity["properties"]
    assert props["assignee"] == props["reporter"] == props["creator"] == "admin"
    assert props["url"] == "http://some-instance-test.centralus.cloudapp.azure.com:8080/browse/TES-4"
    assert props["lastChangeType"] == "issue_closed"
    assert props["resolutionDate"] == "2019-08-14T11:03:02.179+0800"


def test_server_guide_payload_maps_with_the_default_mapping() -> None:
    body = load_fixture("port-guides/server-guide-payload.json")
    (action,) = load_mapping(None).evaluate(body, LIVE, jira_base_url="https://jira.yourdomain.com")
    props = action.entity["properties"]
    assert (props["assignee"], props["reporter"], props["creator"]) == ("janedoe", "johndoe", "youruser")
    assert props["url"] == "https://jira.yourdomain.com/browse/BSD-6"
    assert action.entity["relations"] == {
        "project": "BSD", "parentIssue": None, "subtasks": [], "fixVersions": [], "jiraComponents": [],
        "assigneeUser": "JIRAUSER10001", "reporterUser": "JIRAUSER10002", "sprint": None,  # DC: the user key
    }  # fmt: skip


def test_link_fallback_keeps_a_context_path_and_refuses_the_oauth_gateway() -> None:
    mapping = load_mapping(None)
    body = copy.deepcopy(load_fixture("jira-webhooks/webhook-issue-created.json"))
    body["issue"]["self"] = "https://intranet.example.com/jira/rest/api/2/issue/10040"
    (action,) = mapping.evaluate(body, LIVE)
    assert action.entity["properties"]["url"] == "https://intranet.example.com/jira/browse/TES-41"
    body["issue"]["self"] = "https://api.atlassian.com/ex/jira/1234/rest/api/2/issue/10040"
    (action,) = mapping.evaluate(body, LIVE)
    assert action.entity["properties"]["url"] is None  # no dead link; JIRA_BASE_URL gives the right one
    (action,) = mapping.evaluate(body, LIVE, jira_base_url=BASE + "/")
    assert action.entity["properties"]["url"] == f"{BASE}/browse/TES-41"


def test_old_server_payload_without_event_type_name() -> None:
    body = load_fixture("jira-webhooks/webhook-server-old-issue-updated-no-event-type-edited.json")
    (action,) = load_mapping(None).evaluate(body, LIVE)
    assert action.entity["properties"]["lastChangeType"] == "issue_updated"


@pytest.mark.parametrize("name", ["cloud-v3-issue-a.json", "cloud-v3-issue-b.json", "server-v2-issue.json"])
def test_backfilled_issue_keeps_live_only_properties_untouched(name: str) -> None:
    issue = load_fixture(f"jira-api/{name}")
    mapping = load_mapping(None)
    body = {"webhookEvent": "jira:issue_updated", "issue": issue}
    result = mapping.evaluate_detailed(body, BACKFILL, jira_base_url=BASE)
    assert result.warnings == []
    (action,) = result.actions
    assert action.rule == 1
    assert action.identifier == issue["key"]
    assert "lastChangeType" not in action.entity["properties"]
    assert "changingUser" not in action.entity["properties"]
    assert action.entity["properties"]["url"] == f"{BASE}/browse/{issue['key']}"
    assert_fits_blueprint(action)
    # the backfill may also omit webhookEvent
    (bare,) = mapping.evaluate({"issue": issue}, BACKFILL, jira_base_url=BASE)
    assert bare.entity == action.entity


def test_rich_text_description_becomes_plain_text() -> None:
    issue = load_fixture("jira-api/cloud-v3-issue-a.json")
    (action,) = load_mapping(None).evaluate({"issue": issue}, BACKFILL)
    description = action.entity["properties"]["description"]
    assert description.startswith("Description: This bucket/blob container")
    assert "\nStatus: OPEN\n" in description  # hard breaks
    adf = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "content": [{"type": "text", "text": "Plan"}]},
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a"}]}],
                    },
                    {
                        "type": "listItem",
                        "content": [
                            {
                                "type": "paragraph",
                                "content": [
                                    {"type": "mention", "attrs": {"text": "@Dana"}},
                                    {"type": "text", "text": " b "},
                                    {"type": "emoji", "attrs": {"shortName": ":ok:"}},
                                    {"type": "inlineCard", "attrs": {"url": "https://x.example"}},
                                ],
                            }
                        ],
                    },
                ],
            },
        ],
    }
    issue["fields"]["description"] = adf
    (action,) = load_mapping(None).evaluate({"issue": issue}, BACKFILL)
    assert action.entity["properties"]["description"] == "Plan\n- a\n- @Dana b :ok:https://x.example"


def cloud_project(**extra: Any) -> dict[str, Any]:
    """A project as Jira Cloud's project webhooks send it (no projectTypeKey)."""
    return {
        "self": "https://acme.atlassian.net/rest/api/2/project/10002",
        "id": 10002,
        "key": "OPS",
        "name": "Operations",
        "projectLead": {"accountId": "712020:aaaa", "displayName": "Dana Dev"},
        "assigneeType": "admin.assignee.type.unassigned",
        **extra,
    }


@pytest.mark.parametrize(
    "event", ["project_created", "project_updated", "project_archived", "project_restored_deleted"]
)
def test_project_webhooks_upsert_without_erasing_the_project_type(event: str) -> None:
    result = load_mapping(None).evaluate_detailed({"webhookEvent": event, "project": cloud_project()}, LIVE)
    assert result.warnings == []
    (action,) = result.actions
    assert (action.operation, action.blueprint, action.rule) == ("upsert", "jiraProject", 4)
    assert action.entity == {
        "identifier": "OPS",
        "title": "Operations",
        "properties": {"url": "https://acme.atlassian.net/projects/OPS", "projectId": "10002"},
        "relations": {},
    }


@pytest.mark.parametrize("name", ["cloud-v3-project-a.json", "server-v2-project.json"])
def test_backfilled_projects_carry_their_type(name: str) -> None:
    project = load_fixture(f"jira-api/{name}")
    for body in ({"webhookEvent": "project_updated", "project": project}, {"project": project}):
        (action,) = load_mapping(None).evaluate(body, BACKFILL, jira_base_url="https://jira.example.com")
        assert action.rule == 3
        assert action.entity["properties"] == {
            "url": f"https://jira.example.com/projects/{project['key']}",
            "projectId": str(project["id"]),
            "projectType": "software",
        }
        assert_fits_blueprint(action)


@pytest.mark.parametrize("event", ["project_deleted", "project_soft_deleted"])
def test_project_deletions(event: str) -> None:
    (action,) = load_mapping(None).evaluate({"webhookEvent": event, "project": cloud_project()}, LIVE)
    assert action == Action("delete", "jiraProject", {"identifier": "OPS"}, False)


@pytest.mark.parametrize(
    "body",
    [
        {"webhookEvent": "worklog_created", "worklog": {"issueId": "10040"}},
        {"webhookEvent": "jira:version_released", "version": {"name": "no id"}},
        {"webhookEvent": "sprint_created", "sprint": {"id": True}},  # not an id
        {"webhookEvent": "jira:issue_updated"},  # no issue at all
        {"webhookEvent": "project_soft_deleted"},  # no project: nothing to delete
        {},
    ],
)
def test_unmapped_events(body: dict[str, Any]) -> None:
    mapping = load_mapping(None)
    result = mapping.evaluate_detailed(body, LIVE)
    assert result.actions == []
    assert result.warnings == []
    assert mapping.relevant(body, LIVE) is False


def test_the_fallback_evaluator_agrees_on_every_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = load_mapping(None)
    bodies = [load_fixture(f"jira-webhooks/{p.name}") for p in fixture_paths("jira-webhooks")]
    fast = [mapping.evaluate_detailed(b, LIVE, jira_base_url=BASE) for b in bodies]
    monkeypatch.setattr(type(mapping), "_run_all", lambda *_: None)
    slow = [mapping.evaluate_detailed(b, LIVE, jira_base_url=BASE) for b in bodies]
    assert fast == slow
