"""The backfill's catalog kinds against the local Jira and Port: full and incremental runs, both flavours,
Port equal to Jira per kind after each run; agile skipped without Jira Software; no kind call when the
mapping maps none."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from jira_port.backfill.pages import PageWriter
from jira_port.backfill.runtime import BackfillRequest
from jira_port.backfill.store import Tally
from jira_port.mapping import CompiledMapping
from jira_port.port.types import Action
from jira_port_emulators.jira import Account
from jira_port_tools.summary_text import render_summary
from tests.support.kinds import KIND_BLUEPRINTS, kinds_blueprints, kinds_mapping, without_kind_rules

from .conftest import Sites, comparable, mapped_jira_state, port_state, sites

FULL = BackfillRequest("full")
INCREMENTAL = BackfillRequest("incremental")


@contextmanager
def kind_sites(tmp: Path, flavour: str, **options: Any) -> Iterator[Sites]:
    with sites(tmp, flavour=flavour, projects=3, issues=60, blueprints=kinds_blueprints(), **options) as site:
        # Someone who holds no issue, so Data Center lets change_every_kind delete them.
        site.jira.create_kind("user", {"displayName": "Leaver"})
        yield site


def expected_state(site: Sites, mapping: CompiledMapping) -> dict[str, dict[str, dict[str, Any]]]:
    """The oracle (conftest): projects, issues and every kind, through ``mapping``."""
    return comparable(mapped_jira_state(site, mapping))


def change_every_kind(site: Sites) -> None:
    emu = site.jira
    project = sorted(emu.ds.projects.values(), key=lambda p: p.id)[0]
    emu.create_kind("user", {"displayName": "New Person"})
    emu.update_kind("user", 1, {"displayName": "Renamed Person"})
    emu.delete_kind("user", next(u.index for u in emu.ds.users if u.display_name == "Leaver"))
    board = emu.create_kind("board", {"name": "Fresh", "projects": [project.key]})["board"]
    emu.create_kind("sprint", {"board": board["id"], "name": "Fresh sprint"})
    gone = next(s for s in emu.ds.kinds.sprints.values() if s.state == "future")
    emu.delete_kind("sprint", gone.id)
    first, second = emu.ds.kinds.project_versions(project.id)[:2]
    emu.update_kind("version", second.id, {"released": True, "description": "shipped"})
    emu.delete_kind("version", first.id, merged_to=second.id)
    component = emu.ds.kinds.project_components(project.id)[0]
    emu.update_kind("component", component.id, {"description": "rewritten"})
    emu.delete_kind("component", emu.ds.kinds.project_components(project.id)[1].id)
    kanban = next(b for b in emu.ds.kinds.boards.values() if b.type == "kanban")
    emu.delete_kind("board", kanban.id)


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_full_then_incremental_then_full_keep_port_equal_to_jira_per_kind(
    tmp_path: Path, flavour: str
) -> None:
    mapping = kinds_mapping()
    with kind_sites(tmp_path, flavour) as site:
        first = site.service(mapping=mapping).invoke(FULL)
        assert first.status == "succeeded", render_summary(first)
        expected = expected_state(site, mapping)
        assert set(KIND_BLUEPRINTS) <= set(expected)
        assert port_state(site, sorted(expected)) == expected

        change_every_kind(site)
        incremental = site.service(mapping=mapping).invoke(INCREMENTAL)
        assert incremental.status == "succeeded", render_summary(incremental)
        expected = expected_state(site, mapping)
        held = port_state(site, sorted(expected))
        # Every kind's upserts landed; what was deleted waits for a full run. (Issues whose component went
        # away changed without an issue event, so an incremental run does not see them; the full run does.)
        for blueprint in KIND_BLUEPRINTS:
            assert {i: held[blueprint][i] for i in expected[blueprint]} == expected[blueprint], blueprint

        final = site.service(mapping=mapping).invoke(FULL)
        assert final.status == "succeeded", render_summary(final)
        assert port_state(site, sorted(expected)) == expected_state(site, mapping)
        assert (
            final.reconciliation is not None
            and final.reconciliation["blueprints"]["jiraSprint"]["deleted"] == 1
        )


def test_kind_writes_wait_for_the_projects_their_search_relations_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data Center versions and components carry no project key: they find their project by a Port search
    on its id, which answers 404 until the project is in Port. Slow project writes must not fail them."""
    real = PageWriter.write

    def slow_projects(
        self: PageWriter, actions: list[Action], read_at_ms: int, after: Future[Tally] | None = None
    ) -> Tally:
        if any(action.blueprint == "jiraProject" for action in actions):
            time.sleep(0.5)  # the kinds are read meanwhile; without the wait their writes go out first
        return real(self, actions, read_at_ms, after)

    monkeypatch.setattr(PageWriter, "write", slow_projects)
    mapping = kinds_mapping()
    with kind_sites(tmp_path, "server") as site:
        run = site.service(mapping=mapping).invoke(FULL)
        assert run.status == "succeeded", render_summary(run)
        expected = expected_state(site, mapping)
        assert expected["jiraVersion"] and expected["jiraComponent"]
        assert port_state(site, sorted(expected)) == expected


def test_without_jira_software_boards_and_sprints_are_left_alone(tmp_path: Path) -> None:
    mapping = kinds_mapping()
    with kind_sites(tmp_path, "server") as site:
        assert site.service(mapping=mapping).invoke(FULL).status == "succeeded"
        boards = set(site.port.entities("jiraBoard"))
        assert boards and site.port.entities("jiraSprint")
        site.jira.jira_software = False  # the app is removed: routes are built per server start
        port = int(site.jira.url.rsplit(":", 1)[1])
        site.jira.stop()
        site.jira.start(port=port)
        summary = site.service(mapping=mapping).invoke(FULL)
        assert summary.status == "succeeded", render_summary(summary)
        assert set(site.port.entities("jiraBoard")) == boards  # skipped with a warning, not deleted
        assert summary.reconciliation is not None and "jiraBoard" not in summary.reconciliation["blueprints"]


def test_a_mapping_without_kind_rules_makes_no_kind_request(tmp_path: Path) -> None:
    with kind_sites(tmp_path, "cloud") as site:
        assert site.service(mapping=without_kind_rules()).invoke(FULL).status == "succeeded"
        routes = site.jira.requests_by_route
        assert not [r for r in routes if any(k in r for k in ("agile", "user", "version", "component"))]


def test_users_refused_to_the_credentials_are_skipped_and_never_reconciled(tmp_path: Path) -> None:
    mapping = kinds_mapping()
    with kind_sites(tmp_path, "cloud") as site:
        assert site.service(mapping=mapping).invoke(FULL).status == "succeeded"
        users = set(site.port.entities("jiraUser"))
        site.jira.accounts = [Account("admin@example.com", secret="api-token", browse_users=False)]
        summary = site.service(mapping=mapping).invoke(FULL)
        assert summary.status == "succeeded", render_summary(summary)
        assert set(site.port.entities("jiraUser")) == users
        assert summary.reconciliation is not None and "jiraUser" not in summary.reconciliation["blueprints"]
        assert site.port.entities("jiraSprint")  # the other kinds are read and reconciled as usual
