"""``jira_port.jira.kinds`` against the emulator: every item of every kind, both flavours, through short
pages, 429s, Data Center's user-search limits and sites without Jira Software."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.jira.kinds import (
    agile_available,
    iter_board_pages,
    iter_sprint_pages,
    iter_user_pages,
    kind_event,
    kind_identifier,
    project_components,
    project_versions,
)
from tests.support.jira_emulator import RunningJira, running_jira


def _flat(pages: Any) -> list[dict[str, Any]]:
    return [item for page in pages for item in page]


def _user_ids(jira: RunningJira) -> list[str]:
    users = jira.emulator.ds.users
    if jira.flavour == "cloud":
        return [u.account_id for u in users]
    return [u.key for u in users if not u.deleted]


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_every_kind_is_read_through_short_pages_and_429s(flavour: str) -> None:
    options = {"users": 260, "boards": 7, "sprints_per_board": 12}
    with running_jira(flavour, projects=3, issues=30, dataset_options=options) as jira:
        emu = jira.emulator
        emu.faults.update(throttle_rate=0.25, short_page_rate=0.5)
        client = jira.client()
        users = _flat(iter_user_pages(client))
        assert sorted({kind_identifier("user", u) for u in users}) == sorted(_user_ids(jira))
        assert agile_available(client)
        boards = _flat(iter_board_pages(client))
        assert [b["id"] for b in boards] == sorted(emu.ds.kinds.boards)
        sprints = {s["id"]: s for b in boards for s in _flat(iter_sprint_pages(client, b))}
        assert sorted(sprints) == sorted(emu.ds.kinds.sprints)
        versions = [v for p in emu.ds.projects.values() for v in project_versions(client, p.key)]
        components = [c for p in emu.ds.projects.values() for c in project_components(client, p.key)]
        assert sorted(int(v["id"]) for v in versions) == sorted(emu.ds.kinds.versions)
        assert sorted(int(c["id"]) for c in components) == sorted(emu.ds.kinds.components)
        assert emu.faults.throttled > 0


def test_kanban_boards_cost_no_sprint_request() -> None:
    with running_jira("cloud", issues=10, dataset_options={"boards": 10}) as jira:
        client = jira.client()
        kanban = next(b for b in _flat(iter_board_pages(client)) if b["type"] == "kanban")
        before = jira.emulator.requests
        assert _flat(iter_sprint_pages(client, kanban)) == []
        assert jira.emulator.requests == before


def test_a_board_that_refuses_sprints_or_vanished_gives_none(jira_cloud: RunningJira) -> None:
    client = jira_cloud.client()
    kanban = next(b for b in jira_cloud.emulator.ds.kinds.boards.values() if b.type == "kanban")
    assert _flat(iter_sprint_pages(client, {"id": kanban.id, "type": "simple"})) == []  # 400 -> none
    assert _flat(iter_sprint_pages(client, {"id": 424242, "type": "scrum"})) == []  # 404 -> none
    assert project_versions(client, "GONE") == []


def test_without_jira_software_agile_is_skipped() -> None:
    with running_jira("server", issues=10, jira_software=False) as jira:
        assert agile_available(jira.client()) is False


def test_data_center_9_pages_user_search_with_inactive_users() -> None:
    with running_jira("server", issues=10, server_version="9.12.2", dataset_options={"users": 1500}) as jira:
        jira.emulator.update_kind("user", 3, {"active": False})
        users = _flat(iter_user_pages(jira.client()))
        assert len(users) == 1500 and len({u["key"] for u in users}) == 1500


def test_data_center_10_0_without_user_list_reads_the_first_100_and_warns() -> None:
    with running_jira("server", issues=10, server_version="10.1.0", dataset_options={"users": 150}) as jira:
        users = _flat(iter_user_pages(jira.client()))
        assert len(users) == 100


def test_kind_event_wraps_an_item_as_its_webhook_body() -> None:
    sprint = {"id": 7, "state": "active", "originBoardId": 2}
    assert kind_event("sprint", sprint, 1700) == {
        "webhookEvent": "sprint_updated",
        "timestamp": 1700,
        "sprint": sprint,
    }
    assert kind_event("version", {"id": "10000"}, 1)["webhookEvent"] == "jira:version_updated"
    assert kind_identifier("user", {"key": "JIRAUSER10001", "name": "ada"}) == "JIRAUSER10001"
    assert kind_identifier("user", {"accountId": "712020:x", "key": None}) == "712020:x"
    assert kind_identifier("board", {"id": 3}) == "3"
