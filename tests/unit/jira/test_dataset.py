"""The generated dataset: deterministic, internally consistent, and shaped like Jira's real bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_port_emulators.jira import generate_dataset
from jira_port_emulators.jira.catalog import EPIC, SUBTASK, TYPE_BY_ID
from jira_port_emulators.jira.events import issue_body, project_body
from jira_port_emulators.jira.render import IssueRenderer, select_fields
from jira_port_emulators.jira.shapes import Shapes, format_ts
from tests.support.fixtures import load_fixture

BASE = "http://127.0.0.1:8080"


def _renderer(flavour: str, seed: int = 1, issues: int = 400) -> IssueRenderer:
    ds = generate_dataset(projects=4, issues=issues, flavour=flavour, seed=seed)  # type: ignore[arg-type]
    return IssueRenderer(Shapes(ds, BASE))


def _all_bodies(renderer: IssueRenderer) -> str:
    return json.dumps([renderer.issue(i) for i in renderer.ds.issues.values()], sort_keys=True)


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert _all_bodies(_renderer("cloud", 7)) == _all_bodies(_renderer("cloud", 7))
    assert _all_bodies(_renderer("cloud", 7)) != _all_bodies(_renderer("cloud", 8))


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_hierarchy_is_consistent(flavour: str) -> None:
    ds = _renderer(flavour).ds
    types = {TYPE_BY_ID[i.type_id].name for i in ds.issues.values()}
    assert {"Epic", "Sub-task", "Spike"} <= types  # includes the custom type
    statuses = {i.status_id for i in ds.issues.values()}
    assert "10002" in statuses  # the custom "Awaiting Deploy" status is used
    for issue in ds.issues.values():
        if issue.parent_id:
            parent = ds.issues[issue.parent_id]
            assert issue.type_id == SUBTASK.id and parent.project_id == issue.project_id
            assert not TYPE_BY_ID[parent.type_id].subtask and parent.type_id != EPIC.id
            assert issue.id in ds.subtasks[parent.id]
            assert issue.created > parent.created
        if issue.epic_id:
            assert ds.issues[issue.epic_id].type_id == EPIC.id
    for parent_id, children in ds.subtasks.items():
        assert all(ds.issues[c].parent_id == parent_id for c in children)
    per_project = {p: [ds.issues[i].number for i in ids] for p, ids in ds.by_project.items()}
    assert all(nums == list(range(1, len(nums) + 1)) for nums in per_project.values())


def test_parent_and_subtasks_render_both_ways() -> None:
    renderer = _renderer("cloud")
    ds = renderer.ds
    parent = next(ds.issues[p] for p in ds.subtasks)
    body = renderer.issue(parent)
    listed = [s["key"] for s in body["fields"]["subtasks"]]
    assert listed == [ds.issue_key(ds.issues[c]) for c in ds.subtasks[parent.id]]
    child = renderer.issue(ds.issues[ds.subtasks[parent.id][0]])
    assert child["fields"]["parent"]["key"] == ds.issue_key(parent)
    assert set(child["fields"]["parent"]["fields"]) == {"summary", "status", "priority", "issuetype"}
    epic_child = next(i for i in ds.issues.values() if i.epic_id)
    assert renderer.issue(epic_child)["fields"]["parent"]["id"] == str(epic_child.epic_id)


def test_server_uses_epic_link_not_parent_for_epics() -> None:
    renderer = _renderer("server")
    ds = renderer.ds
    child = next(i for i in ds.issues.values() if i.epic_id)
    fields = renderer.issue(child)["fields"]
    assert "parent" not in fields
    assert fields["customfield_10101"] == ds.issue_key(ds.issues[child.epic_id])


def _types(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _types(v) for k, v in node.items()}
    return type(node).__name__


def _assert_same_shape(
    real: dict[str, Any], ours: dict[str, Any], where: str, *, allow_null: bool = True
) -> None:
    for key, value in real.items():
        if key not in ours or key.startswith("customfield_"):  # custom field ids differ per instance
            continue
        mine = ours[key]
        if value is None or mine is None:
            assert allow_null, f"{where}.{key}"
            continue
        assert type(mine) is type(value) or {type(mine), type(value)} <= {int, float}, (
            f"{where}.{key}: {type(mine).__name__} vs {type(value).__name__}"
        )
        if isinstance(value, dict) and isinstance(mine, dict):
            _assert_same_shape(value, mine, f"{where}.{key}")


CORE_FIELDS = {
    "summary", "status", "issuetype", "project", "priority", "created", "updated", "reporter", "creator",
    "assignee", "labels", "components", "description", "subtasks", "fixVersions", "versions", "issuelinks",
    "resolution", "resolutiondate", "watches", "votes", "timetracking", "progress", "aggregateprogress",
    "workratio", "environment", "duedate", "timespent", "lastViewed",
}  # fmt: skip


@pytest.mark.parametrize(
    ("flavour", "capture"),
    [
        ("cloud", "jira-webhooks/webhook-cloud-issue-created-many-fields.json"),
        ("cloud", "jira-webhooks/webhook-issue-created.json"),
        ("server", "jira-webhooks/webhook-server-issue-updated-many-fields.json"),
        ("server", "jira-api/server-v2-issue.json"),
    ],
)
def test_issue_shape_matches_real_capture(flavour: str, capture: str) -> None:
    real = load_fixture(capture)
    real_issue = real.get("issue", real)
    renderer = _renderer(flavour)
    issue = next(i for i in renderer.ds.issues.values() if i.assignee >= 0 and i.status_id == "10003")
    ours = issue_body(renderer, issue)
    assert set(ours) >= {"id", "self", "key", "fields"}
    assert ours["self"].startswith(f"{BASE}/rest/api/2/issue/")
    present = CORE_FIELDS & set(real_issue["fields"])
    assert present <= set(ours["fields"]), present - set(ours["fields"])
    _assert_same_shape(real_issue, ours, "issue")
    assert isinstance(ours["fields"]["description"], str | None)  # v2: wiki string, never ADF


def test_users_have_the_flavours_identity_keys() -> None:
    cloud = _renderer("cloud").shapes
    server = _renderer("server").shapes
    cloud_user, server_user = cloud.user(0), server.user(0)
    assert cloud_user is not None and server_user is not None
    real_cloud = load_fixture("jira-webhooks/webhook-issue-created.json")["user"]
    real_server = load_fixture("jira-webhooks/webhook-server-issue-updated-many-fields.json")["user"]
    assert {"accountId", "accountType", "displayName", "active", "timeZone", "avatarUrls", "self"} <= set(
        cloud_user
    )
    assert "name" not in cloud_user and "key" not in cloud_user  # post-GDPR Cloud
    assert set(server_user) == set(real_server)
    assert server_user["key"].startswith("JIRAUSER") and "accountId" not in server_user
    _assert_same_shape(real_cloud, cloud_user, "user")
    actor = cloud.user(0, actor=True)
    assert actor is not None and "emailAddress" not in actor


def test_project_event_body_has_integer_id_and_lead() -> None:
    renderer = _renderer("cloud")
    body = project_body(renderer, next(iter(renderer.ds.projects.values())))
    assert isinstance(body["id"], int) and body["projectLead"]["accountId"]
    assert body["assigneeType"] == "admin.assignee.type.unassigned"


def test_timestamps_use_jiras_format() -> None:
    assert format_ts(1550286112971, -480) == "2019-02-15T19:01:52.971-0800"
    assert format_ts(1550286112971, 60) == "2019-02-16T04:01:52.971+0100"
    created = _renderer("server").issue(next(iter(_renderer("server").ds.issues.values())))["fields"][
        "created"
    ]
    assert created.endswith("+0000") and created[10] == "T" and created[19] == "."


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (["id"], ((), True)),
        (["key", "id"], ((), True)),
        (["summary", "status", "nope"], (("summary", "status"), False)),
        (["*all", "-comment"], None),
        (["*navigable"], None),
    ],
)
def test_field_selection(spec: list[str], expected: tuple[tuple[str, ...], bool] | None) -> None:
    selection = select_fields(spec, "cloud", "id")
    if expected is not None:
        assert (selection.names, selection.minimal) == expected
    elif spec[0] == "*all":
        assert "comment" not in selection.names and "worklog" in selection.names
    else:
        assert "comment" not in selection.names and "summary" in selection.names
    assert (
        select_fields(None, "server", "*navigable").names
        == select_fields(["*navigable"], "server", "x").names
    )
