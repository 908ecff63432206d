"""The default mapping on users, boards, sprints, versions and components (Cloud and Data Center bodies,
live and backfilled), and the issue's relations to them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from jira_port.mapping import load_mapping
from tests.support.fixtures import fixture_paths, load_fixture
from tests.support.openapi import check_request
from tests.unit.mapping.test_default_mapping import BACKFILL, LIVE, assert_fits_blueprint

CLOUD = "https://acme.atlassian.net"
SERVER = "https://jira.example.com/jira"
ACCOUNT = "712020:5b10ac8d-82e4-4f4c-a3a8-1cd5b4a3c0e1"


def by_project_id(project_id: str, site: str | None) -> dict[str, Any]:
    """The Port search the mapping writes when a body names its project only by id."""
    rules: list[dict[str, Any]] = [{"property": "projectId", "operator": "=", "value": project_id}]
    if site is not None:
        rules.append({"property": "url", "operator": "contains", "value": f"{site}/projects/"})
    return {"combinator": "and", "rules": rules}


# body -> (operation, blueprint, identifier, title, properties (subset), relations) of the one action
EXPECTED: dict[str, tuple[str, str, str, str | None, dict[str, Any], dict[str, Any]]] = {
    "cloud-user-created.json": (
        "upsert", "jiraUser", ACCOUNT, "Dana Dev",
        {"username": None, "active": True, "accountType": "atlassian", "emailAddress": None,
         "avatarUrl": "https://secure.gravatar.com/avatar/48x48"}, {},
    ),
    "cloud-user-deleted.json": ("delete", "jiraUser", ACCOUNT, None, {}, {}),
    "server-user-updated.json": (
        "upsert", "jiraUser", "JIRAUSER10100", "John Doe",
        {"username": "jdoe", "emailAddress": "jdoe@example.com", "locale": "en_US"}, {},
    ),
    "cloud-board-created.json": (
        "upsert", "jiraBoard", "84", "OPS board",
        {"boardType": "scrum", "url": f"{CLOUD}/secure/RapidBoard.jspa?rapidView=84"}, {"projects": ["OPS"]},
    ),
    # Without a location the relation is left out (not nulled): it keeps what the backfill wrote.
    "server-board-updated.json": (
        "upsert", "jiraBoard", "3", "Kanban",
        {"boardType": "kanban", "url": f"{SERVER}/secure/RapidBoard.jspa?rapidView=3"}, {},
    ),
    "cloud-board-deleted.json": ("delete", "jiraBoard", "84", None, {}, {}),
    "cloud-sprint-started.json": (
        "upsert", "jiraSprint", "37", "OPS Sprint 5",
        {"state": "active", "goal": "Ship the release", "completeDate": None}, {"board": "84"},
    ),
    "server-sprint-closed.json": (
        "upsert", "jiraSprint", "12", "Sample Sprint 2",
        {"state": "closed", "completeDate": "2024-11-15T09:12:31.000+01:00"}, {"board": "3"},
    ),
    "cloud-sprint-deleted.json": ("delete", "jiraSprint", "37", None, {}, {}),
    "cloud-version-released.json": (
        "upsert", "jiraVersion", "10010", "2024.12",
        {"released": True, "archived": False, "releaseDate": "2024-12-06", "projectId": "10002"},
        {"project": by_project_id("10002", CLOUD)},
    ),
    "cloud-version-with-key.json": (
        "upsert", "jiraVersion", "10012", "2024.12",
        {"released": True, "projectId": "10002"}, {"project": "OPS"},
    ),
    "cloud-version-deleted-merged.json": ("delete", "jiraVersion", "10011", None, {}, {}),
    "server-version-updated.json": (
        "upsert", "jiraVersion", "10200", "5.1",
        {"startDate": "2024-11-01", "releaseDate": "2024-12-20", "projectId": "10100"},
        {"project": by_project_id("10100", SERVER)},
    ),
    "server-version-merged.json": ("delete", "jiraVersion", "10201", None, {}, {}),
    "cloud-component-created.json": (
        "upsert", "jiraComponent", "10050", "Billing",
        {"lead": ACCOUNT, "assigneeType": "COMPONENT_LEAD", "archived": False, "projectId": "10002"},
        {"project": "OPS"},
    ),
    "server-component-updated.json": (
        "upsert", "jiraComponent", "10300", "Backend", {"lead": "JIRAUSER10100", "projectId": "10100"},
        {"project": by_project_id("10100", SERVER)},
    ),
    "cloud-component-deleted.json": ("delete", "jiraComponent", "10050", None, {}, {}),
}  # fmt: skip


def test_expectations_cover_every_body() -> None:
    assert sorted(p.name for p in fixture_paths("jira-webhooks/kinds")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_body_maps_to_its_kind(name: str) -> None:
    operation, bp, identifier, title, properties, relations = EXPECTED[name]
    body = load_fixture(f"jira-webhooks/kinds/{name}")
    mapping = load_mapping(None)
    result = mapping.evaluate_detailed(body, LIVE)
    assert result.warnings == []
    (action,) = result.actions
    assert (action.operation, action.blueprint, action.identifier) == (operation, bp, identifier)
    if operation == "delete":
        assert action.entity == {"identifier": identifier} and action.delete_dependents is False
        return
    assert action.entity.get("title") == title
    assert properties.items() <= action.entity["properties"].items()
    assert action.entity["relations"] == relations
    assert_fits_blueprint(action)
    url = f"https://api.port.io/v1/blueprints/{bp}/entities?upsert=true&merge=true"
    assert check_request("port", "POST", url, body=action.entity) == []  # a search query included
    # The backfill presents the item as the same body: one mapping serves both paths.
    backfilled = copy.deepcopy(body)
    del backfilled["timestamp"]
    assert mapping.evaluate(backfilled, BACKFILL) == result.actions
    assert mapping.evaluate({k: v for k, v in backfilled.items() if k != "webhookEvent"}, BACKFILL) == (
        result.actions
    )


def test_jira_base_url_decides_the_site_of_the_project_search() -> None:
    body = load_fixture("jira-webhooks/kinds/cloud-version-released.json")
    (action,) = load_mapping(None).evaluate(body, LIVE, jira_base_url="https://jira.acme.com")
    assert action.entity["relations"]["project"] == by_project_id("10002", "https://jira.acme.com")
    body["version"]["self"] = "https://api.atlassian.com/ex/jira/0000/rest/api/2/version/10010"
    (action,) = load_mapping(None).evaluate(body, LIVE)  # OAuth gateway: the site is unknown
    assert action.entity["relations"]["project"] == by_project_id("10002", None)
    body["version"]["project"] = "OPS"  # the deprecated key, when Jira still sends it, is used as is
    (action,) = load_mapping(None).evaluate(body, LIVE)
    assert action.entity["relations"]["project"] == "OPS"


def test_backfilled_deletion_events_of_the_kinds_write_nothing_but_deletes() -> None:
    body = load_fixture("jira-webhooks/kinds/cloud-sprint-deleted.json")
    assert [a.operation for a in load_mapping(None).evaluate(body, BACKFILL)] == ["delete"]


GREENHOPPER = "com.atlassian.greenhopper.service.sprint.Sprint"


def issue_with(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load_fixture("jira-webhooks/webhook-issue-updated-sprint.json"))
    body["issue"]["fields"].update(fields)
    return body


@pytest.mark.parametrize(
    ("sprints", "expected"),
    [
        # Cloud REST/webhook objects: the active sprint wins, else the last one
        ([{"id": 1, "state": "closed"}, {"id": 2, "state": "active"}, {"id": 3, "state": "future"}], "2"),
        ([{"id": 1, "state": "closed"}, {"id": 4, "state": "closed"}], "4"),
        # Server/DC (and older Cloud) strings
        (
            [f"{GREENHOPPER}@38c6bd04[id=7,rapidViewId=2,state=ACTIVE,name=S, 1]",
             f"{GREENHOPPER}@2f[id=8,rapidViewId=2,state=FUTURE,name=S 2]"],
            "7",
        ),
        (None, None),
        ([], None),
        ("not a sprint list", None),
    ],
)  # fmt: skip
def test_the_issue_sprint_is_its_current_sprint(sprints: Any, expected: str | None) -> None:
    result = load_mapping(None).evaluate_detailed(issue_with(customfield_10020=sprints), LIVE)
    assert result.warnings == []
    assert result.actions[0].entity["relations"]["sprint"] == expected


def test_issue_relations_to_users_versions_and_components_never_use_e_mail() -> None:
    body = load_fixture("jira-webhooks/webhook-cloud-issue-created-many-fields.json")
    (action,) = load_mapping(None).evaluate(body, LIVE)
    relations = action.entity["relations"]
    assert relations["assigneeUser"] == body["issue"]["fields"]["assignee"]["accountId"]
    assert relations["reporterUser"] == body["issue"]["fields"]["reporter"]["accountId"]
    assert relations["fixVersions"] == ["10000", "10001"]
    assert relations["jiraComponents"] == [c["id"] for c in body["issue"]["fields"]["components"]]
    server = load_fixture("jira-webhooks/webhook-server-issue-updated-many-fields.json")
    (action,) = load_mapping(None).evaluate(server, LIVE)
    assert action.entity["relations"]["assigneeUser"] == server["issue"]["fields"]["assignee"]["key"]
    for value in (*relations.values(), *action.entity["relations"].values()):
        assert "@" not in str(value)


def test_a_site_prefix_reaches_every_relation_between_jira_kinds() -> None:
    mapping = load_mapping(None).for_site(prefix="eu:")
    sprint = [{"id": 2, "state": "active"}]
    (issue,) = mapping.evaluate(issue_with(customfield_10020=sprint, fixVersions=[{"id": "10010"}]), LIVE)
    relations = issue.entity["relations"]
    assert (relations["sprint"], relations["fixVersions"], relations["reporterUser"]) == (
        "eu:2", ["eu:10010"], "eu:5c5f880629be9642ba529340",
    )  # fmt: skip
    (board,) = mapping.evaluate(load_fixture("jira-webhooks/kinds/cloud-board-created.json"), LIVE)
    assert (board.identifier, board.entity["relations"]) == ("eu:84", {"projects": ["eu:OPS"]})
    (sprint_entity,) = mapping.evaluate(load_fixture("jira-webhooks/kinds/cloud-sprint-started.json"), LIVE)
    assert sprint_entity.entity["relations"] == {"board": "eu:84"}
    # A search keeps the site's address (another site's projects) and gains the affix (this site's
    # projects under an earlier affix, while a catalog moves to a new one).
    (version,) = mapping.evaluate(load_fixture("jira-webhooks/kinds/cloud-version-released.json"), LIVE)
    assert version.entity["relations"]["project"] == {
        "combinator": "and",
        "rules": [
            by_project_id("10002", CLOUD),
            {"property": "$identifier", "operator": "contains", "value": "eu:"},
        ],
    }
