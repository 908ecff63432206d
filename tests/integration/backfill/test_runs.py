"""Backfill runs against the local Jira and Port: resume, crash, reconciliation, incremental, rejections."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from jira_port.backfill.pages import PageWriter
from jira_port.backfill.runtime import BackfillRequest
from jira_port.backfill.store import Tally
from jira_port.port.types import Action
from jira_port_tools.summary_text import render_summary
from tests.support.lambda_env import FakeLambdaContext

from .conftest import comparable, mapped_jira_state, port_state, sites, strict_blueprints

FULL = BackfillRequest("full")
BULK = "/v1/blueprints/jiraIssue/entities/bulk"


class CountingJira:
    """A JiraClient proxy that counts pages and issues, and can crash after ``crash_after`` pages."""

    def __init__(self, client: Any, crash_after: int | None = None) -> None:
        self.client = client
        self.crash_after = crash_after
        self.pages = 0
        self.issues = 0

    def iter_projects(self) -> Iterator[dict[str, Any]]:
        return self.client.iter_projects()  # type: ignore[no-any-return]

    def myself(self) -> dict[str, Any]:
        return self.client.myself()  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)  # planning queries (probe, counts, windows) pass through

    def iter_issue_pages(self, jql: str, **options: Any) -> Iterator[Any]:
        for page in self.client.iter_issue_pages(jql, **options):
            if self.crash_after is not None and self.pages >= self.crash_after:
                raise RuntimeError("injected crash")
            self.pages += 1
            self.issues += len(page.issues)
            yield page


class ShortLambda(FakeLambdaContext):
    """A context with ``budget_ms`` left, shrinking by 100 ms at every look (deterministic)."""

    budget_ms = 2_000

    def get_remaining_time_in_millis(self) -> int:
        self.looks = getattr(self, "looks", 0) + 1
        return self.budget_ms - 100 * self.looks


def reference_bulk_requests(tmp_path: Path, flavour: str, **shape: Any) -> int:
    """Bulk upsert requests of an uninterrupted run over the same data (the happy-path count)."""
    with sites(tmp_path / "reference", flavour=flavour, **shape) as site:
        assert site.service(page_size=50).invoke(FULL).status == "succeeded"
        return site.port.request_count("POST", BULK)


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_a_run_cut_by_the_time_budget_resumes_with_nothing_skipped_or_rewritten(
    tmp_path: Path, flavour: str
) -> None:
    shape: dict[str, Any] = {"projects": 6, "issues": 900}
    expected_bulk = reference_bulk_requests(tmp_path, flavour, **shape)
    with sites(tmp_path / "cut", flavour=flavour, **shape) as site:
        jira = CountingJira(site.jira_client())
        service = site.service(jira=jira, page_size=50, partition_concurrency=2)

        summaries = site.drain(service, FULL, clock=lambda: ShortLambda().get_remaining_time_in_millis)

        assert len(summaries) >= 3 and {s.status for s in summaries[:-1]} == {"continued"}
        assert summaries[-1].status == "succeeded" and summaries[-1].issues == 900
        assert site.port.request_count("POST", BULK) == expected_bulk  # no page written twice
        assert jira.issues == 900  # no page read twice
        expected = comparable(mapped_jira_state(site))
        assert port_state(site, sorted(expected)) == expected


def test_a_crash_resumes_from_the_last_saved_cursor(tmp_path: Path) -> None:
    shape: dict[str, Any] = {"projects": 4, "issues": 800}
    expected_bulk = reference_bulk_requests(tmp_path, "cloud", **shape)
    with sites(tmp_path / "crash", **shape) as site:
        crashing = CountingJira(site.jira_client(), crash_after=7)
        with pytest.raises(RuntimeError, match="injected crash"):
            site.service(jira=crashing, page_size=50, partition_concurrency=2).invoke(FULL)
        assert 0 < len(site.port.entities("jiraIssue")) < 800

        resumed = CountingJira(site.jira_client())
        summary = site.service(jira=resumed, page_size=50, partition_concurrency=2).invoke(FULL)

        assert summary.status == "succeeded" and summary.invocations == 2
        assert crashing.issues + resumed.issues == 800  # resumed exactly after the saved pages
        assert summary.issues == 800
        assert site.port.request_count("POST", BULK) == expected_bulk
        expected = comparable(mapped_jira_state(site))
        assert port_state(site, sorted(expected)) == expected


def test_issues_deleted_in_jira_are_deleted_from_port_and_nothing_else(tmp_path: Path) -> None:
    with sites(tmp_path, projects=4, issues=400) as site:
        assert site.service().invoke(FULL).status == "succeeded"
        ds = site.jira.ds
        referenced = {i.parent_id for i in ds.issues.values()} | {i.epic_id for i in ds.issues.values()}
        leaves = sorted(i for i in ds.issues if i not in referenced)
        doomed = {ds.issue_key(ds.issues[i]) for i in random.Random(3).sample(leaves, 30)}
        for key in doomed:
            site.jira.delete_issue(key)
        before = set(site.port.entities("jiraIssue"))
        site.port.clear_requests()

        summary = site.service().invoke(FULL)

        assert summary.status == "succeeded", render_summary(summary)
        assert before - set(site.port.entities("jiraIssue")) == doomed
        assert summary.totals.deleted == 30 and summary.reconciliation is not None
        assert summary.reconciliation["blueprints"]["jiraIssue"]["deleted"] == 30
        assert site.port.request_count("POST", "/v1/blueprints/jiraIssue/bulk/entities/delete") == 1
        expected = comparable(mapped_jira_state(site))
        assert port_state(site, sorted(expected)) == expected


def test_a_scope_that_would_delete_most_entities_is_refused(tmp_path: Path) -> None:
    with sites(tmp_path, projects=20, issues=400) as site:
        assert site.service().invoke(FULL).status == "succeeded"
        first = min(site.jira.ds.projects.values(), key=lambda p: p.id)
        site.port.clear_requests()
        from jira_port_tools.backfill_local import LocalOptions

        summary = site.service(local=LocalOptions(jql=f"project = {first.key}")).invoke(FULL)

        assert summary.status == "failed" and summary.ok is False
        assert summary.reconciliation is not None and summary.reconciliation["refused"] is True
        assert "BACKFILL_DELETE_THRESHOLD=0.9" in summary.message
        assert len(site.port.entities("jiraIssue")) == 400
        assert site.port.request_count(path="/v1/blueprints/jiraIssue/bulk/entities/delete") == 0


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_incremental_reads_only_what_changed_since_the_last_success(tmp_path: Path, flavour: str) -> None:
    with sites(tmp_path, flavour=flavour, projects=5, issues=500) as site:
        # The JQL date is written in the account's zone, read from Jira (/myself), as Jira reads it.
        assert site.service(jira_timezone="auto").invoke(FULL).status == "succeeded"
        keys = sorted(site.port.entities("jiraIssue"))[::100]
        for key in keys:
            site.jira.update_issue(key, summary=f"changed {key}")
        jira = CountingJira(site.jira_client())

        summary = site.service(jira=jira, jira_timezone="auto").invoke(BackfillRequest("incremental"))

        assert summary.status == "succeeded" and summary.since is not None
        # one probe found the projects concerned: one page per changed project, no other project visited
        changed_projects = {k.rsplit("-", 1)[0] for k in keys}
        assert (jira.issues, jira.pages, summary.issues) == (len(keys), len(changed_projects), len(keys))
        assert {k: site.port.entities("jiraIssue")[k]["title"] for k in keys} == {
            k: f"changed {k}" for k in keys
        }
        expected = comparable(mapped_jira_state(site))
        assert port_state(site, sorted(expected)) == expected


def test_entities_a_strict_port_rejects_are_reported_and_fail_the_run(tmp_path: Path) -> None:
    with sites(
        tmp_path, projects=3, issues=300, blueprints=strict_blueprints(["Highest", "High", "Medium"])
    ) as site:
        summary = site.service().invoke(FULL)

        data = summary.to_dict()
        expected = comparable(mapped_jira_state(site))
        rejected = {
            k
            for k, e in expected["jiraIssue"].items()
            if e["properties"]["priority"] not in ("Highest", "High", "Medium", None)
        }
        assert summary.status == "failed" and data["ok"] is False
        assert data["rejected"] == len(rejected) > 0
        assert data["rejections"] == {"invalid_entity (422)": len(rejected)}
        assert data["examples"] and data["examples"][0]["identifier"] in rejected
        assert "must be one of" in data["examples"][0]["message"]
        assert summary.reconciliation is not None and "skipped" in summary.reconciliation
        assert data["upserted"] == sum(map(len, expected.values())) - len(rejected)  # projects, issues, kinds


def test_the_issue_pass_reads_while_the_projects_are_written_and_writes_after_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first invocation starts reading issue pages beside the project writes, but writes issues after
    them: an issue relates to its project, which Port must hold first unless it creates missing related
    entities (``PORT_CREATE_MISSING_RELATED_ENTITIES=false`` answers 404 otherwise)."""
    real = PageWriter.write
    events: list[tuple[str, float]] = []

    def slow_projects(
        self: PageWriter, actions: list[Action], read_at_ms: int, after: Future[Tally] | None = None
    ) -> Tally:
        projects = any(action.blueprint == "jiraProject" for action in actions)
        if projects:
            time.sleep(0.5)  # the issue pages are read meanwhile
        tally = real(self, actions, read_at_ms, after)
        events.append(("projects" if projects else "issues", time.monotonic()))
        return tally

    class Timed(CountingJira):
        def iter_issue_pages(self, jql: str, **options: Any) -> Iterator[Any]:
            for page in super().iter_issue_pages(jql, **options):
                events.append(("read", time.monotonic()))
                yield page

    monkeypatch.setattr(PageWriter, "write", slow_projects)
    with sites(tmp_path, projects=3, issues=150) as site:
        jira = Timed(site.jira_client())
        summary = site.service(jira=jira, page_size=50).invoke(FULL)
        assert summary.status == "succeeded", render_summary(summary)
        assert summary.issues == 150 and jira.issues == 150
        projects_done = next(at for what, at in events if what == "projects")
        assert all(at >= projects_done for what, at in events if what == "issues")
        assert any(at < projects_done for what, at in events if what == "read")
        expected = comparable(mapped_jira_state(site))
        assert port_state(site, sorted(expected)) == expected
