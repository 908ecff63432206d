"""Emulator mutations: they persist, show up in search, and emit Jira-shaped webhook bodies."""

from __future__ import annotations

import pytest
import requests

from jira_port_emulators.jira import MutationError, WebhookSender
from jira_port_tools.jira_webhooks import register_webhook
from tests.integration.jira.issue_reads import all_issues, get_issue
from tests.support.jira_emulator import CLOUD_LOGIN, SERVER_PAT, RunningJira, WebhookReceiver, running_jira


def _keys(jira: RunningJira, jql: str) -> list[str]:
    return [i["key"] for i in all_issues(jira.client(), jql, fields="summary")]


def test_update_persists_and_emits_a_changelog(jira_cloud: RunningJira) -> None:
    emu = jira_cloud.emulator
    issue = next(i for i in emu.ds.issues.values() if i.status_id != "3" and i.assignee != 1 and not i.labels)
    key = emu.ds.issue_key(issue)
    event = emu.update_issue(key, summary="Rotate keys", status="In Progress", assignee=1, labels=["sec"])
    assert event is not None
    assert event["webhookEvent"] == "jira:issue_updated" and event["issue_event_type_name"] == "issue_generic"
    items = {i["field"]: i for i in event["changelog"]["items"]}
    assert items["status"]["toString"] == "In Progress" and items["status"]["to"] == "3"
    assert items["assignee"]["tmpToAccountId"] == emu.ds.users[1].account_id
    assert items["labels"]["toString"] == "sec" and items["summary"]["toString"] == "Rotate keys"
    assert event["user"]["accountId"] and "emailAddress" not in event["user"]
    fetched = get_issue(jira_cloud.client(), key)
    assert fetched is not None and fetched["fields"]["summary"] == "Rotate keys"
    assert fetched["fields"]["updated"] == event["issue"]["fields"]["updated"]
    assert key in _keys(jira_cloud, 'status = "In Progress" AND labels = sec')
    assert emu.update_issue(key, summary="Rotate keys") is None  # no change, no event
    only_assignee = emu.update_issue(key, assignee=None)
    assert only_assignee is not None and only_assignee["issue_event_type_name"] == "issue_assigned"


def test_create_and_delete_with_subtask_cascade() -> None:
    with running_jira("cloud", issues=10) as jira, WebhookReceiver() as receiver:
        emu = jira.emulator
        project = next(iter(emu.ds.projects.values()))
        emu.webhooks = WebhookSender(receiver.url, retry_delays=(0.0,))
        created = emu.create_issue(
            project.key, "Parent", issuetype="Story", description="*bold*", priority="High"
        )
        parent_key = created["issue"]["key"]
        assert created["issue_event_type_name"] == "issue_created" and "changelog" in created  # as captured
        sub = emu.create_issue(project.key, "Child", issuetype="Sub-task", parent=parent_key)
        assert sub["issue"]["fields"]["parent"]["key"] == parent_key
        parent_body = get_issue(jira.client(), parent_key)
        assert parent_body is not None
        assert [s["key"] for s in parent_body["fields"]["subtasks"]] == [sub["issue"]["key"]]
        deleted = emu.delete_issue(parent_key)
        assert "changelog" not in deleted and "issue_event_type_name" not in deleted
        assert deleted["issue"]["key"] == parent_key and deleted["user"]
        assert parent_key not in _keys(jira, f"project = {project.key}")
        assert get_issue(jira.client(), sub["issue"]["key"]) is None
    assert receiver.events() == [
        "jira:issue_created",
        "jira:issue_created",
        "jira:issue_deleted",
        "jira:issue_deleted",
    ]
    flows = [r.headers["X-Atlassian-Webhook-Flow"] for r in receiver.received]
    assert flows == ["Primary", "Primary", "Primary", "Secondary"]


def test_mutation_errors() -> None:
    with running_jira("cloud", issues=10) as jira:
        emu = jira.emulator
        key = next(iter(emu.ds.projects.values())).key
        with pytest.raises(MutationError, match="needs a parent"):
            emu.create_issue(key, "x", issuetype="Sub-task")
        with pytest.raises(MutationError, match="does not exist"):
            emu.update_issue("NOPE-1", summary="x")
        with pytest.raises(MutationError, match="status"):
            emu.update_issue(f"{key}-1", status="Nope")
        with pytest.raises(MutationError, match="customfield_"):
            emu.update_issue(f"{key}-1", color="red")


def test_project_trash_restore_and_delete_on_cloud() -> None:
    with running_jira("cloud", projects=2, issues=30) as jira:
        emu = jira.emulator
        project = next(iter(emu.ds.projects.values()))
        some_issue = emu.ds.issue_key(emu.ds.issues[emu.ds.by_project[project.id][0]])
        soft = emu.soft_delete_project(project.key)
        assert soft["webhookEvent"] == "project_soft_deleted" and soft["project"]["id"] == project.id
        client = jira.client()
        assert all(not k.startswith(project.key + "-") for k in _keys(jira, "project is not empty"))
        assert get_issue(client, some_issue) is not None  # trashed issues stay readable by link
        assert project.key not in [p["key"] for p in client.iter_projects()]
        assert emu.restore_project(project.key)["webhookEvent"] == "project_restored_deleted"
        assert some_issue in _keys(jira, f"project = {project.key}")
        in_project = len(emu.ds.by_project[project.id])
        gone = emu.delete_project(project.key)
        assert gone["webhookEvent"] == "project_deleted"
        assert get_issue(client, some_issue) is None
        assert len(_keys(jira, "project is not empty")) == 30 - in_project


def test_server_events_use_usernames_and_have_no_trash() -> None:
    with running_jira("server", issues=10, omit_event_type_name=True) as jira:
        emu = jira.emulator
        key = emu.ds.issue_key(emu.ds.issues[emu.ds.order[0]])
        event = emu.update_issue(key, assignee=2)
        assert event is not None and "issue_event_type_name" not in event  # the "old Server" profile
        assert "accountId" not in event["user"] and event["user"]["key"].startswith("JIRAUSER")
        item = event["changelog"]["items"][0]
        assert item["to"] == emu.ds.users[2].name and "fieldId" not in item
        with pytest.raises(MutationError, match="no project trash"):
            emu.soft_delete_project(next(iter(emu.ds.projects.values())).key)


def test_http_writes_drive_the_same_mutations() -> None:
    for flavour in ("cloud", "server"):
        with running_jira(flavour, issues=5) as jira, WebhookReceiver() as receiver:
            register_webhook(jira.client(), receiver.url, secret="x")
            session = requests.Session()
            if flavour == "cloud":
                session.auth = CLOUD_LOGIN
            else:
                session.headers["Authorization"] = f"Bearer {SERVER_PAT}"
            base = f"{jira.url}/rest/api/2"
            key = next(iter(jira.emulator.ds.projects.values())).key
            body = {"fields": {"project": {"key": key}, "summary": "Via REST", "issuetype": {"name": "Bug"}}}
            created = session.post(f"{base}/issue", json=body, timeout=5)
            assert created.status_code == 201, created.text
            new_key = created.json()["key"]
            assert (
                session.put(
                    f"{base}/issue/{new_key}", json={"fields": {"summary": "Edited"}}, timeout=5
                ).status_code
                == 204
            )
            bad = session.put(f"{base}/issue/{new_key}", json={"fields": {"status": "Done"}}, timeout=5)
            assert bad.status_code == 400 and "status" in bad.json()["errors"]
            moved = session.post(
                f"{base}/issue/{new_key}/transitions", json={"transition": {"id": "10003"}}, timeout=5
            )
            assert moved.status_code == 204
            assert (
                session.get(f"{base}/issue/{new_key}", timeout=5).json()["fields"]["status"]["name"] == "Done"
            )
            assert session.delete(f"{base}/issue/{new_key}", timeout=5).status_code == 204
            assert session.get(f"{base}/issue/{new_key}", timeout=5).status_code == 404
            assert receiver.events() == [
                "jira:issue_created",
                "jira:issue_updated",
                "jira:issue_updated",
                "jira:issue_deleted",
            ]
