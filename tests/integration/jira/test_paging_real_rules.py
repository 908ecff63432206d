"""The client against the emulator's real JQL rules: moved issues (whole pages of them), anchors deleted or
moved between pages and between invocations, and a project past Data Center's 10,000-result window."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from jira_port_emulators.jira import JiraFaults
from tests.support.jira_emulator import RunningJira, running_jira

FLAVOURS = ["cloud", "server"]


def _project(jira: RunningJira, n: int) -> tuple[str, str]:
    projects = sorted(jira.emulator.ds.projects.values(), key=lambda p: p.key)
    return str(projects[n].id), projects[n].key


def _keys_of(jira: RunningJira, project_id: str) -> list[str]:
    ds = jira.emulator.ds
    return [ds.issue_key(ds.issues[i]) for i in ds.by_project[int(project_id)]]


def _move_many(jira: RunningJira, source: str, target: str, count: int) -> list[int]:
    ds = jira.emulator.ds
    movable = [i for i in ds.by_project[ds.project_by_key(source).id] if not ds.issues[i].parent_id]  # type: ignore[union-attr]
    moved = movable[:count]
    for issue_id in moved:
        jira.emulator.move_issue(issue_id, target)
    return moved


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_whole_pages_of_moved_in_issues_are_read_exactly_once(flavour: str) -> None:
    # Given project A whose last pages hold only issues moved in from B: low ids under high key numbers
    with running_jira(flavour, projects=3, issues=240, seed=5) as jira:
        a_id, a_key = _project(jira, 0)
        _, b_key = _project(jira, 1)
        moved = _move_many(jira, b_key, a_key, 45)
        client = jira.client(page_size=10)
        # When the client pages every issue (relying on numeric id order would stop at A's highest id)
        seen = [int(i["id"]) for page in client.iter_issue_pages(fields="summary") for i in page.issues]
        # Then every issue comes exactly once, moved ones included, with their new keys
        assert Counter(seen) == Counter(list(jira.emulator.ds.issues))
        in_a = [
            i["key"] for p in client.iter_issue_pages(f"project = {a_id}", fields="summary") for i in p.issues
        ]
        assert in_a == _keys_of(jira, a_id)
        assert set(moved) <= set(seen)
        assert max(moved) < max(int(i) for i in jira.emulator.ds.by_project[int(a_id)])


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_anchors_deleted_or_moved_between_pages(flavour: str) -> None:
    with running_jira(flavour, projects=3, issues=300, seed=6) as jira:
        pid, _ = _project(jira, 0)
        _, other = _project(jira, 2)
        client = jira.client(page_size=7)
        seen: list[str] = []
        for n, page in enumerate(client.iter_issue_pages(f"project = {pid}", fields="summary")):
            seen += [i["key"] for i in page.issues]
            if not page.issues or page.cursor is None:
                continue
            last = page.issues[-1]["key"]
            # after each page the anchor goes away: deleted, or moved to another project
            if n % 2 == 0:
                jira.emulator.delete_issue(last)
                if len(page.issues) > 1:
                    jira.emulator.delete_issue(page.issues[-2]["key"])
            elif jira.emulator.ds.find_issue(last) and not jira.emulator.ds.find_issue(last).parent_id:  # type: ignore[union-attr]
                jira.emulator.move_issue(last, other)
        # Then nothing still in the project was missed (re-reading a few is allowed)
        assert set(_keys_of(jira, pid)) <= set(seen)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_anchors_deleted_between_invocations(flavour: str) -> None:
    with running_jira(flavour, projects=2, issues=200, seed=7) as jira:
        pid, _ = _project(jira, 0)
        where = f"project = {pid}"
        first: list[str] = []
        cursor: dict[str, Any] | None = None
        for n, page in enumerate(jira.client(page_size=9).iter_issue_pages(where, fields="summary")):
            first += [i["key"] for i in page.issues]
            cursor = page.cursor
            if n == 3:
                break
        assert cursor is not None
        # the three newest anchors are deleted while the function sleeps (and Cloud's token is stale)
        for anchor in cursor["anchors"][:3]:
            jira.emulator.delete_issue(anchor)
        if flavour == "cloud":
            cursor = {**cursor, "nextPageToken": "expired"}
        rest = [
            i["key"]
            for p in jira.client(page_size=9).iter_issue_pages(where, cursor=cursor)
            for i in p.issues
        ]
        assert set(_keys_of(jira, pid)) <= set(first) | set(rest)
        assert len(rest) < len(_keys_of(jira, pid))  # resumed near where it stopped, not from the start


def test_a_data_center_project_past_the_10k_window() -> None:
    with running_jira("server", projects=1, issues=12_500, seed=8, server_max_results=1000) as jira:
        client = jira.client(page_size=1000)
        seen = [i["id"] for p in client.iter_issue_pages(fields="summary") for i in p.issues]
        assert len(seen) == len(set(seen)) == 12_500


def test_cloud_short_and_empty_pages_lose_nothing() -> None:
    faults = JiraFaults(short_page_rate=0.4, seed=2)
    with running_jira("cloud", projects=3, issues=300, faults=faults) as jira:
        seen = [int(i["id"]) for p in jira.client(page_size=20).iter_issue_pages() for i in p.issues]
        assert Counter(seen) == Counter(list(jira.emulator.ds.issues))
