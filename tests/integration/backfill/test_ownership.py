"""Ownership against the local Jira and Port: other writers, credential rotation, the upgrade, the scope."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from jira_port.backfill.runtime import BackfillRequest
from jira_port.port import PortClient
from jira_port_emulators.jira import JiraEmulator
from jira_port_tools.backfill_local import LocalOptions
from jira_port_tools.state_file import FileTable
from jira_port_tools.summary_text import render_summary
from tests.support.port_emulator import client_for

from .conftest import Sites, comparable, mapped_jira_state, port_state, sites

FULL = BackfillRequest("full")
OTHER_ID, OTHER_SECRET = "other-writer-id", "other-writer-secret"


def other_writer(site: Sites) -> PortClient:
    """A second machine credential of the same organisation (another stack, Ocean, a script)."""
    site.port.add_credentials(OTHER_ID, OTHER_SECRET)
    return client_for(site.port, client_id=OTHER_ID, client_secret=OTHER_SECRET)


def write_foreign(site: Sites, issues: int = 40, projects: int = 2) -> set[tuple[str, str]]:
    with other_writer(site) as other:
        project_ids = [f"OTHER{n}" for n in range(projects)]
        result = other.upsert_entities("jiraProject", [{"identifier": p, "title": p} for p in project_ids])
        assert result.ok
        entities: list[dict[str, Any]] = [
            {"identifier": f"OTHER-{n}", "title": f"theirs {n}", "relations": {"project": project_ids[0]}}
            for n in range(issues)
        ]
        assert other.upsert_entities("jiraIssue", entities).ok
    return {("jiraProject", p) for p in project_ids} | {("jiraIssue", e["identifier"]) for e in entities}


def present(site: Sites, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(bp, i) for bp, i in keys if i in site.port.entities(bp)}


def delete_leaf_issues(jira: JiraEmulator, count: int, seed: int) -> set[str]:
    ds = jira.ds
    referenced = {i.parent_id for i in ds.issues.values()} | {i.epic_id for i in ds.issues.values()}
    leaves = sorted(i for i in ds.issues if i not in referenced)
    doomed = {ds.issue_key(ds.issues[i]) for i in random.Random(seed).sample(leaves, count)}
    for key in doomed:
        jira.delete_issue(key)
    return doomed


def ours_equal_jira(site: Sites) -> None:
    """Port minus the other writer's entities equals the mapped Jira state."""
    expected = comparable(mapped_jira_state(site))
    actual = port_state(site, sorted(expected))
    mine = {bp: {i: e for i, e in ents.items() if not i.startswith("OTHER")} for bp, ents in actual.items()}
    assert mine == expected


def test_another_writers_entities_survive_full_runs_that_delete_exactly_the_jira_deletions(
    tmp_path: Path,
) -> None:
    with sites(tmp_path, projects=3, issues=150) as site:
        foreign = write_foreign(site)
        first = site.service().invoke(FULL)
        assert first.status == "succeeded", render_summary(first)
        assert first.reconciliation is not None and first.reconciliation["keptNotOwned"] == 42
        for seed in (1, 2):
            before = set(site.port.entities("jiraIssue"))
            doomed = delete_leaf_issues(site.jira, 7, seed)

            summary = site.service().invoke(FULL)

            assert summary.status == "succeeded", render_summary(summary)
            assert before - set(site.port.entities("jiraIssue")) == doomed
            assert summary.totals.deleted == 7
            assert present(site, foreign) == foreign
            assert summary.reconciliation is not None and summary.reconciliation["keptNotOwned"] == 42
            assert "42 entities this deployment does not own" in render_summary(summary)
        theirs = site.port.entities("jiraIssue")["OTHER-0"]
        assert theirs["createdBy"] == theirs["updatedBy"] == OTHER_ID
        mine = site.port.entities("jiraIssue")[next(iter(sorted(before - doomed)))]
        assert mine["createdBy"] == "local-id"
        ours_equal_jira(site)


def test_rotating_the_port_credentials_to_a_new_client_id_changes_nothing(tmp_path: Path) -> None:
    with sites(tmp_path, projects=3, issues=120) as site:
        foreign = write_foreign(site, issues=10, projects=1)
        assert site.service().invoke(FULL).status == "succeeded"
        site.port.set_credentials("rotated-id", "rotated-secret")
        rotated = client_for(site.port, client_id="rotated-id", client_secret="rotated-secret")
        doomed = delete_leaf_issues(site.jira, 5, 4)
        before = set(site.port.entities("jiraIssue"))

        summary = site.service(port=rotated).invoke(FULL)

        assert summary.status == "succeeded", render_summary(summary)
        assert before - set(site.port.entities("jiraIssue")) == doomed
        assert present(site, foreign) == foreign
        survivor = site.port.entities("jiraIssue")[sorted(before - doomed - {k for _, k in foreign})[0]]
        assert survivor["createdBy"] == "local-id" and survivor["updatedBy"] == "rotated-id"
        ours_equal_jira(site)


def test_upgrade_or_new_stack_name_first_run_adopts_what_jira_confirms_then_deletes_normally(
    tmp_path: Path,
) -> None:
    """A ledger-less deployment (today's version, or a new stack's empty state table) deletes nothing
    on its first full run, adopts every entity Jira confirms, and reconciles normally afterwards."""
    with sites(tmp_path, projects=3, issues=120) as site:
        assert site.service(table=FileTable(tmp_path / "old-stack.json")).invoke(FULL).status == "succeeded"
        foreign = write_foreign(site, issues=5, projects=1)
        gone_before_upgrade = delete_leaf_issues(site.jira, 3, 5)
        new_stack = FileTable(tmp_path / "new-stack.json")

        adoption = site.service(table=new_stack).invoke(FULL)

        assert adoption.status == "succeeded", render_summary(adoption)
        assert adoption.totals.deleted == 0
        rec = adoption.reconciliation
        assert rec is not None and rec["blueprints"]["jiraIssue"]["keptNotOwned"] == 3 + 5
        assert {("jiraIssue", k) for k in gone_before_upgrade} <= present(
            site, {("jiraIssue", k) for k in gone_before_upgrade}
        )
        doomed = delete_leaf_issues(site.jira, 4, 6)
        before = set(site.port.entities("jiraIssue"))

        summary = site.service(table=new_stack).invoke(FULL)

        assert summary.status == "succeeded", render_summary(summary)
        assert before - set(site.port.entities("jiraIssue")) == doomed
        assert present(site, foreign) == foreign


def test_an_issue_that_leaves_the_scope_leaves_port_at_the_next_full_run(tmp_path: Path) -> None:
    with sites(tmp_path, projects=2, issues=100) as site:
        scope = LocalOptions(jql='status != "Done"')
        first = site.service(local=scope).invoke(FULL)
        assert first.status == "succeeded", render_summary(first)
        in_scope = set(site.port.entities("jiraIssue"))
        ds = site.jira.ds
        leaving = sorted(in_scope)[:3]
        for key in leaving:
            site.jira.update_issue(key, status="Done")
        assert {ds.issue_key(i) for i in ds.issues.values()} >= in_scope

        summary = site.service(local=scope).invoke(FULL)

        assert summary.status == "succeeded", render_summary(summary)
        assert in_scope - set(site.port.entities("jiraIssue")) == set(leaving)


def test_an_explicit_adoption_by_created_by_removes_what_was_deleted_before_the_first_run(
    tmp_path: Path,
) -> None:
    """BACKFILL_ADOPT_CREATED_BY names the client id the old deployment wrote with: its entities count
    as owned, so issues deleted in Jira before the new stack's first run go too; others' stay."""
    with sites(tmp_path, projects=3, issues=120) as site:
        assert site.service(table=FileTable(tmp_path / "old-stack.json")).invoke(FULL).status == "succeeded"
        foreign = write_foreign(site, issues=5, projects=1)
        gone_before_upgrade = delete_leaf_issues(site.jira, 3, 7)
        before = set(site.port.entities("jiraIssue"))

        summary = site.service(
            table=FileTable(tmp_path / "new-stack.json"), adopt_created_by="local-id, retired-id"
        ).invoke(FULL)

        assert summary.status == "succeeded", render_summary(summary)
        assert before - set(site.port.entities("jiraIssue")) == gone_before_upgrade
        assert present(site, foreign) == foreign
        ours_equal_jira(site)
        search = [r for r in site.port.requests if r.path == "/v1/blueprints/jiraIssue/entities/search"]
        assert any(
            (r.body.get("query") or {}).get("rules")
            == [{"property": "$createdBy", "operator": "in", "value": ["local-id", "retired-id"]}]
            for r in search
        )
