"""The emulator's users, boards, sprints, versions and components: Jira's shapes, paging and events.

Each test pins a row of docs/jira-behaviour.md, "Catalog kinds". Cloud answers validate against the
official platform spec (the agile API is not in it; its shapes follow the Jira Software REST docs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from jira_port_emulators.jira import JiraFaults, MutationError, WebhookSender
from jira_port_tools.jira_webhooks import register_webhook
from tests.support.jira_emulator import CLOUD_LOGIN, SERVER_PAT, RunningJira, WebhookReceiver, running_jira
from tests.support.openapi import check_response


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningJira]:
    with running_jira("cloud", projects=3, issues=80) as jira:
        yield jira


@pytest.fixture(scope="module")
def server() -> Iterator[RunningJira]:
    with running_jira("server", projects=3, issues=80) as jira:
        yield jira


def _get(jira: RunningJira, path: str) -> requests.Response:
    if jira.flavour == "cloud":
        return requests.get(jira.url + path, auth=CLOUD_LOGIN, timeout=10)
    return requests.get(jira.url + path, headers={"Authorization": f"Bearer {SERVER_PAT}"}, timeout=10)


def _ok(jira: RunningJira, path: str) -> Any:
    response = _get(jira, path)
    assert response.status_code == 200, response.text
    body = response.json()
    if jira.flavour == "cloud" and not path.startswith("/rest/agile"):
        assert check_response("jira", "GET", jira.url + path, 200, body) == []
    return body


# -- users ---------------------------------------------------------------------------------------


def test_cloud_users_search_is_a_plain_array_of_every_account_with_offsets(cloud: RunningJira) -> None:
    emu = cloud.emulator
    emu.update_kind("user", 2, {"active": False})
    seen: list[dict[str, Any]] = []
    start = 0
    while True:
        page = _ok(cloud, f"/rest/api/3/users/search?startAt={start}&maxResults=2")
        assert isinstance(page, list)
        if not page:
            break
        seen += page
        start += len(page)
    assert [u["accountId"] for u in seen] == [u.account_id for u in emu.ds.users]
    assert {u["accountType"] for u in seen} == {"atlassian", "app"}  # app accounts are listed too
    assert any(not u["active"] for u in seen)  # and inactive ones
    assert all("key" not in u and "name" not in u for u in seen)
    big = _ok(cloud, "/rest/api/3/users/search?maxResults=5000")
    assert len(big) == len(emu.ds.users)


def test_data_center_user_search_needs_a_username_and_hides_inactive_users_by_default() -> None:
    with running_jira("server", issues=40, server_version="9.12.2") as jira:
        emu = jira.emulator
        emu.update_kind("user", 1, {"active": False})
        assert _get(jira, "/rest/api/2/user/search").status_code == 400
        active = _ok(jira, "/rest/api/2/user/search?username=.&maxResults=1000")
        everyone = _ok(jira, "/rest/api/2/user/search?username=.&includeInactive=true&maxResults=1000")
        assert len(everyone) == len(emu.ds.users) == len(active) + 1
        assert all("accountId" not in u and u["key"].startswith("JIRAUSER") for u in everyone)
        assert _get(jira, "/rest/api/2/user/list").status_code == 404  # only since 10.3


def test_data_center_10_user_search_stops_at_100_and_user_list_streams_everyone() -> None:
    with running_jira("server", issues=40, dataset_options={"users": 230}) as jira:
        tail = _ok(jira, "/rest/api/2/user/search?username=.&startAt=90&maxResults=50")
        assert len(tail) == 10  # startAt + maxResults limited to the first 100 (JRASERVER-78660)
        assert _ok(jira, "/rest/api/2/user/search?username=.&startAt=100") == []
        keys: list[str] = []
        path = "/rest/api/2/user/list?maxResults=100"
        while True:
            page = _ok(jira, path)
            keys += [u["key"] for u in page["values"]]
            if page["isLast"]:
                assert "nextCursor" not in page
                break
            path = f"/rest/api/2/user/list?maxResults=100&cursor={page['nextCursor']}"
        assert sorted(keys) == sorted(u.key for u in jira.emulator.ds.users)
        assert _ok(jira, "/rest/api/2/user/list?cursor=bogus")["values"]  # never 404


# -- versions and components -----------------------------------------------------------------------


def test_versions_paged_and_whole_in_both_flavours(cloud: RunningJira, server: RunningJira) -> None:
    for jira, api in ((cloud, 3), (server, 2)):
        project = sorted(jira.emulator.ds.projects.values(), key=lambda p: p.id)[0]
        whole = _ok(jira, f"/rest/api/{api}/project/{project.key}/versions")
        assert [v["id"] for v in whole] == [
            str(v.id) for v in jira.emulator.ds.kinds.project_versions(project.id)
        ]
        assert all(isinstance(v["id"], str) and v["projectId"] == project.id for v in whole)
        first = _ok(jira, f"/rest/api/{api}/project/{project.key}/version?maxResults=3")
        assert first["isLast"] is False and first["total"] == len(whole) and len(first["values"]) == 3
        rest = _ok(jira, f"/rest/api/{api}/project/{project.key}/version?startAt=3&maxResults=3")
        assert rest["isLast"] is True and "nextPage" not in rest
        assert first["values"] + rest["values"] == whole
        released = _ok(jira, f"/rest/api/{api}/project/{project.key}/version?status=unreleased")
        assert [v["released"] for v in released["values"]] == [False]
        assert _get(jira, f"/rest/api/{api}/project/NOPE/versions").status_code == 404


def test_components_paged_on_cloud_whole_on_both(cloud: RunningJira, server: RunningJira) -> None:
    project = sorted(cloud.emulator.ds.projects.values(), key=lambda p: p.id)[0]
    whole = _ok(cloud, f"/rest/api/3/project/{project.key}/components")
    page = _ok(cloud, f"/rest/api/3/project/{project.key}/component?maxResults=1")
    assert page["total"] == len(whole) >= 2 and page["isLast"] is False
    assert page["values"][0]["issueCount"] >= 0 and page["values"][0]["id"] == whole[0]["id"]
    assert all(c["project"] == project.key and isinstance(c["id"], str) for c in whole)
    server_project = sorted(server.emulator.ds.projects.values(), key=lambda p: p.id)[0]
    assert _ok(server, f"/rest/api/2/project/{server_project.key}/components")
    assert _get(server, f"/rest/api/2/project/{server_project.key}/component").status_code == 404


# -- agile -------------------------------------------------------------------------------------------


def test_boards_page_with_total_and_sprints_page_without(cloud: RunningJira) -> None:
    kinds = cloud.emulator.ds.kinds
    first = _ok(cloud, "/rest/agile/1.0/board?maxResults=2")
    assert first["total"] == len(kinds.boards) and first["isLast"] is (len(kinds.boards) <= 2)
    assert {"id", "self", "name", "type", "location"} <= set(first["values"][0])
    scrum = next(b for b in kinds.boards.values() if b.type == "scrum")
    ids: list[int] = []
    start = 0
    while True:
        page = _ok(cloud, f"/rest/agile/1.0/board/{scrum.id}/sprint?startAt={start}&maxResults=2")
        assert "total" not in page
        ids += [s["id"] for s in page["values"]]
        start += len(page["values"])
        if page["isLast"]:
            break
    assert ids == [s.id for s in kinds.board_sprints(scrum.id)]
    future = _ok(cloud, f"/rest/agile/1.0/board/{scrum.id}/sprint?state=future")["values"]
    assert [s["state"] for s in future] == ["future"] and "startDate" not in future[0]
    projects = _ok(cloud, f"/rest/agile/1.0/board/{scrum.id}/project")
    assert [p["id"] for p in projects["values"]] == [str(p) for p in scrum.project_ids]
    kanban = next(b for b in kinds.boards.values() if b.type == "kanban")
    refused = _get(cloud, f"/rest/agile/1.0/board/{kanban.id}/sprint")
    assert refused.status_code == 400 and "does not support sprints" in refused.text
    assert _get(cloud, "/rest/agile/1.0/board/999999").status_code == 404


def test_issue_sprint_fix_versions_and_components_point_at_existing_items(server: RunningJira) -> None:
    emu = server.emulator
    renderer = emu.renderer()
    sprints = versions = components = 0
    for issue in emu.ds.issues.values():
        fields = renderer.fields(issue, ["customfield_10100", "fixVersions", "components"])
        for text in fields["customfield_10100"] or []:
            sprint_id = int(text.split("[id=")[1].split(",")[0])
            assert sprint_id in emu.ds.kinds.sprints
            sprints += 1
        versions += sum(int(v["id"]) in emu.ds.kinds.versions for v in fields["fixVersions"])
        components += sum(int(c["id"]) in emu.ds.kinds.components for c in fields["components"])
    assert sprints and versions and components


def test_a_site_without_jira_software_answers_404_on_agile_paths() -> None:
    with running_jira("cloud", issues=10, jira_software=False) as jira:
        assert _get(jira, "/rest/agile/1.0/board").status_code == 404
        assert _get(jira, "/rest/agile/1.0/board/1/sprint").status_code == 404
        assert _ok(jira, "/rest/api/3/users/search")  # the platform API is unaffected


def test_throttling_applies_to_the_new_routes() -> None:
    faults = JiraFaults(throttle_rate=1.0, retry_after=0.0)
    with running_jira("cloud", issues=10, faults=faults) as jira:
        for path in (
            "/rest/api/3/users/search",
            "/rest/agile/1.0/board",
            "/rest/api/3/project/PLAT/versions",
        ):
            response = _get(jira, path)
            assert response.status_code == 429 and response.headers["Retry-After"] == "0"


# -- events --------------------------------------------------------------------------------------------


def _emulator(jira: RunningJira, method: str, path: str, body: Any = None) -> Any:
    response = requests.request(method, jira.url + "/_emulator/kinds/" + path, json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_each_kind_sends_its_events_through_the_emulator_endpoints(flavour: str) -> None:
    with running_jira(flavour, issues=10) as jira, WebhookReceiver() as receiver:
        jira.emulator.webhooks = WebhookSender(receiver.url, retry_delays=(0.0,))
        project = sorted(jira.emulator.ds.projects.values(), key=lambda p: p.id)[0].key
        user = _emulator(jira, "POST", "user", {"displayName": "Ada Lovelace"})["user"]
        ident = user["accountId"] if flavour == "cloud" else user["key"]
        _emulator(jira, "PUT", f"user/{ident}", {"displayName": "Ada King"})
        board = _emulator(jira, "POST", "board", {"name": "Ops", "projects": [project]})["board"]
        _emulator(jira, "PUT", f"board/{board['id']}", {"name": "Ops board"})
        _emulator(jira, "PUT", f"board/{board['id']}", {"projects": [project]})
        sprint = _emulator(jira, "POST", "sprint", {"board": board["id"], "name": "S1"})["sprint"]
        started = _emulator(jira, "PUT", f"sprint/{sprint['id']}", {"state": "active"})["sprint"]
        _emulator(jira, "PUT", f"sprint/{sprint['id']}", {"goal": "ship"})
        closed = _emulator(jira, "PUT", f"sprint/{sprint['id']}", {"state": "closed"})["sprint"]
        v1 = _emulator(jira, "POST", "version", {"project": project, "name": "9.0"})["version"]
        v2 = _emulator(jira, "POST", "version", {"project": project, "name": "9.1"})["version"]
        _emulator(jira, "PUT", f"version/{v1['id']}", {"released": True})
        _emulator(jira, "PUT", f"version/{v1['id']}", {"released": False})
        _emulator(jira, "PUT", f"version/{v1['id']}", {"position": "First"})
        merged = _emulator(jira, "DELETE", f"version/{v1['id']}?mergedTo={v2['id']}")
        _emulator(jira, "DELETE", f"version/{v2['id']}")
        comp = _emulator(jira, "POST", "component", {"project": project, "name": "Billing"})["component"]
        _emulator(jira, "PUT", f"component/{comp['id']}", {"description": "money"})
        _emulator(jira, "PUT", f"component/{comp['id']}", {"archived": True})
        _emulator(jira, "DELETE", f"component/{comp['id']}")
        _emulator(jira, "DELETE", f"sprint/{sprint['id']}")
        _emulator(jira, "DELETE", f"board/{board['id']}")
        deleted_user = _emulator(jira, "DELETE", f"user/{ident}")
        jira.emulator.webhooks.drain()
        listed = _ok(
            jira, "/rest/api/3/users/search" if flavour == "cloud" else "/rest/api/2/user/search?username=."
        )
    assert receiver.events() == [
        "user_created", "user_updated", "board_created", "board_updated", "board_configuration_changed",
        "sprint_created", "sprint_started", "sprint_updated", "sprint_closed",
        "jira:version_created", "jira:version_created", "jira:version_released", "jira:version_unreleased",
        "jira:version_moved", "jira:version_deleted", "jira:version_deleted",
        "component_created", "component_updated", "component_archived", "component_deleted",
        "sprint_deleted", "board_deleted", "user_deleted",
    ]  # fmt: skip
    bodies = [r.json() for r in receiver.received]
    assert all(isinstance(b["timestamp"], int) for b in bodies)
    assert merged["mergedTo"]["id"] == v2["id"] and isinstance(v2["id"], str)
    assert (
        isinstance(board["id"], int)
        and isinstance(sprint["id"], int)
        and sprint["originBoardId"] == board["id"]
    )
    assert started["state"] == "active" and "startDate" in started and closed["completeDate"]
    assert ("accountId" in user) is (flavour == "cloud") and ("key" in user) is (flavour == "server")
    assert deleted_user["user"]["displayName"] == "Ada King"
    gone = [u for u in listed if u.get("accountId", u.get("key")) == ident]
    if flavour == "cloud":  # Cloud keeps deleted accounts listed, inactive
        assert [u["active"] for u in gone] == [False]
    else:
        assert gone == []


def test_registered_webhooks_receive_only_the_kind_events_they_subscribe_to(cloud: RunningJira) -> None:
    with WebhookReceiver() as receiver:
        register_webhook(
            cloud.client(), receiver.url, secret="s3cret", events=["sprint_started", "jira:version_merged"]
        )
        emu = cloud.emulator
        scrum = next(b for b in emu.ds.kinds.boards.values() if b.type == "scrum")
        future = next(s for s in emu.ds.kinds.board_sprints(scrum.id) if s.state == "future")
        emu.update_kind("sprint", future.id, {"name": "Renamed"})
        emu.update_kind("sprint", future.id, {"state": "active"})
        project = sorted(emu.ds.projects.values(), key=lambda p: p.id)[0]
        first, second = emu.ds.kinds.project_versions(project.id)[:2]
        emu.delete_kind("version", first.id, merged_to=second.id)
    assert receiver.events() == ["sprint_started", "jira:version_deleted"]
    assert all(r.headers.get("X-Hub-Signature", "").startswith("sha256=") for r in receiver.received)


def test_issues_keep_pointing_where_they_did_when_sprints_and_versions_come_and_go() -> None:
    with running_jira("cloud", projects=2, issues=120) as jira:
        emu = jira.emulator
        renderer = emu.renderer()

        def pointers() -> dict[int, tuple[Any, Any]]:
            out = {}
            for issue in emu.ds.issues.values():
                fields = renderer.fields(issue, ["customfield_10020", "fixVersions"])
                sprint = [s["id"] for s in fields["customfield_10020"] or []]
                out[issue.id] = (sprint, [v["id"] for v in fields["fixVersions"]])
            return out

        before = pointers()
        project = sorted(emu.ds.projects.values(), key=lambda p: p.id)[0]
        scrum = next(b for b in emu.ds.kinds.boards.values() if b.type == "scrum")
        emu.create_kind("sprint", {"board": scrum.id, "name": "Later"})
        emu.create_kind("version", {"project": project.key, "name": "99.0"})
        assert pointers() == before  # new items never capture existing issues
        old, target = emu.ds.kinds.project_versions(project.id)[:2]
        emu.delete_kind("version", old.id, merged_to=target.id)
        after = pointers()
        for issue_id, (sprint, versions) in before.items():
            moved = [str(target.id) if v == str(old.id) else v for v in versions]
            assert after[issue_id] == (sprint, moved)  # a merge moves its issues to the target
        assert any(str(old.id) in v for _, v in before.values())


def test_data_center_refuses_to_delete_a_user_who_holds_issues_and_cloud_deactivates() -> None:
    for flavour in ("server", "cloud"):
        with running_jira(flavour, projects=1, issues=20) as jira:
            emu = jira.emulator
            holder = next(iter(emu.ds.issues.values())).reporter
            ident = emu.ds.users[holder].account_id if flavour == "cloud" else emu.ds.users[holder].key
            if flavour == "server":
                with pytest.raises(MutationError, match="cannot be deleted"):
                    emu.delete_kind("user", ident)
                assert not emu.ds.users[holder].deleted
            else:  # Cloud closes the account: it stays on its issues and in the list, inactive
                emu.delete_kind("user", ident)
                assert emu.ds.users[holder].deleted and not emu.ds.users[holder].active
