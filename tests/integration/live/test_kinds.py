"""Users, boards, sprints, versions and components live: created, updated, deleted through the real
webhook and sync handlers (moto + the Port emulator), each grouped per entity and version-guarded by the
event timestamp: a stale update never wins, a late one never resurrects a deleted entity."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from jira_port_emulators.port import PortEmulator
from jira_port_tools.serve.sqs_poller import SqsPoller
from tests.integration.live.conftest import JIRA_BASE_URL, Deliver
from tests.integration.live.resources import LiveResources
from tests.integration.live.webhooks import webhook_event
from tests.support.fixtures import load_fixture

T0 = 1733500000000
# kind -> (blueprint, event names for created / updated / deleted)
EVENTS = {
    "user": ("jiraUser", "user_created", "user_updated", "user_deleted"),
    "board": ("jiraBoard", "board_created", "board_updated", "board_deleted"),
    "sprint": ("jiraSprint", "sprint_created", "sprint_updated", "sprint_deleted"),
    "version": ("jiraVersion", "jira:version_created", "jira:version_released", "jira:version_deleted"),
    "component": ("jiraComponent", "component_created", "component_updated", "component_deleted"),
}


@dataclass
class Live:
    """The live path under test: the webhook handler, the queue polled into the sync handler, Port."""

    deliver: Deliver
    poller: SqsPoller
    port: PortEmulator
    aws: LiveResources

    def send(self, *bodies: dict[str, Any]) -> None:
        """Deliver ``bodies`` (signed), then run the sync side until the queue is empty."""
        for body in bodies:
            assert self.deliver(webhook_event(body, identifier=f"{id(body)}-{body['timestamp']}"))[0] == 202
        assert self.poller.run_until_empty().failed == 0


@pytest.fixture
def live(deliver: Deliver, poller: SqsPoller, port: PortEmulator, aws: LiveResources) -> Live:
    return Live(deliver, poller, port, aws)


def event(base: dict[str, Any], kind: str, name: str, at: int, title: str) -> dict[str, Any]:
    """``base`` as event ``name`` at ``at`` (epoch ms), its entity renamed ``title``."""
    body = copy.deepcopy(base)
    body.update(timestamp=at, webhookEvent=name)
    body[kind]["displayName" if kind == "user" else "name"] = title
    return body


def live_lifecycle(live: Live, fixture: str, kind: str) -> dict[str, Any]:
    """Create, update (newest first, then a stale one), delete, then a late update; return what Port
    held after the updates."""
    blueprint, created, updated, deleted = EVENTS[kind]
    base = load_fixture(f"jira-webhooks/kinds/{fixture}")
    steps: list[list[dict[str, Any]]] = [
        [event(base, kind, created, T0, "first")],
        [event(base, kind, updated, T0 + 2000, "second"), event(base, kind, updated, T0 + 1000, "stale")],
        [event(base, kind, deleted, T0 + 3000, "gone")],
        [event(base, kind, updated, T0 + 2500, "late")],
    ]
    states: list[dict[str, dict[str, Any]]] = []
    for bodies in steps:
        live.send(*bodies)
        states.append(live.port.entities(blueprint))
    after_create, after_updates, after_delete, after_late = states
    (identifier,) = after_create
    assert after_create[identifier]["title"] == "first"
    assert after_updates[identifier]["title"] == "second"  # the stale update was skipped
    assert identifier not in after_delete and identifier not in after_late  # and stays deleted
    assert live.aws.depth() == 0 and live.aws.depth(live.aws.dlq_url) == 0
    return after_updates[identifier]


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("cloud-user-created.json", "user"),
        ("server-user-updated.json", "user"),
        ("cloud-board-created.json", "board"),
        ("server-board-updated.json", "board"),
        ("cloud-sprint-started.json", "sprint"),
        ("server-sprint-closed.json", "sprint"),
        ("cloud-component-created.json", "component"),
    ],
)
def test_create_update_delete_of_each_kind(live: Live, fixture: str, kind: str) -> None:
    entity = live_lifecycle(live, fixture, kind)
    if kind == "sprint":
        assert entity["relations"]["board"] in live.port.entities("jiraBoard")  # created bare by Port
    if kind == "component":
        assert entity["relations"]["project"] == "OPS" and "OPS" in live.port.entities("jiraProject")


def test_a_version_whose_body_names_its_project_key(live: Live) -> None:
    # Cloud's Version schema still has the deprecated `project` key; the mapping uses it when present.
    entity = live_lifecycle(live, "cloud-version-with-key.json", "version")
    assert entity["relations"]["project"] == "OPS" and entity["properties"]["released"] is True


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [("cloud-version-released.json", "version"), ("server-component-updated.json", "component")],
)
def test_a_version_or_component_named_by_project_id_only(live: Live, fixture: str, kind: str) -> None:
    # Port finds the project by id among this site's projects: another site's same id is no match.
    body = load_fixture(f"jira-webhooks/kinds/{fixture}")[kind]
    project_id = str(body["projectId"])  # the site is JIRA_BASE_URL, which the mapping prefers to self
    for ident, url in (
        ("OPS", f"{JIRA_BASE_URL}/projects/OPS"),
        ("OTHER", "https://other.example/projects/OTHER"),
    ):
        properties = {"projectId": project_id, "url": url}
        live.port.add_entity("jiraProject", {"identifier": ident, "properties": properties})
    entity = live_lifecycle(live, fixture, kind)
    assert entity["relations"]["project"] == "OPS"


def test_a_merged_version_is_deleted(live: Live) -> None:
    base = load_fixture("jira-webhooks/kinds/cloud-version-with-key.json")
    live.send(event(base, "version", "jira:version_created", T0, "v"))
    assert base["version"]["id"] in live.port.entities("jiraVersion")
    merged = load_fixture("jira-webhooks/kinds/server-version-merged.json")
    merged["version"] = copy.deepcopy(base["version"])
    live.send(merged)
    assert base["version"]["id"] not in live.port.entities("jiraVersion")


def test_an_issue_relates_to_its_users_sprint_versions_and_components(live: Live) -> None:
    body = load_fixture("jira-webhooks/webhook-issue-updated-sprint.json")
    body["issue"]["fields"]["customfield_10020"] = [
        {"id": 36, "state": "closed"},
        {"id": 37, "state": "active"},
    ]
    body["issue"]["fields"]["fixVersions"] = [{"id": "10010", "name": "2024.12"}]
    live.send(body)
    relations = live.port.entities("jiraIssue")[body["issue"]["key"]]["relations"]
    reporter = body["issue"]["fields"]["reporter"]["accountId"]
    assert (relations["sprint"], relations["fixVersions"], relations["reporterUser"]) == (
        "37",
        ["10010"],
        reporter,
    )
    assert relations["jiraComponents"] == [c["id"] for c in body["issue"]["fields"]["components"]]
    # Port created the targets bare (PORT_CREATE_MISSING_RELATED_ENTITIES); their own events fill them.
    assert "37" in live.port.entities("jiraSprint") and reporter in live.port.entities("jiraUser")
