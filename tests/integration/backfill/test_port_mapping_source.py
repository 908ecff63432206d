"""The backfill with the mapping of a Port webhook data source: the CLI, an edit reaching the next page,
and a cold start that cannot read it."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jira_port.settings.mapping import MappingSettings, mapping_provider
from jira_port_tools.cli import main
from tests.support.port_emulator import jira_mapper, patch_webhook

from .conftest import Sites, sites
from .test_entrypoints import use_env
from .test_runs import FULL, CountingJira

REFRESH_SECONDS = 0.2


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Sites]:
    with sites(tmp_path, projects=2, issues=60) as running:
        yield running


def _titled(title: str) -> list[dict[str, Any]]:
    """The default mapping with the live and backfill issue rules' titles replaced."""
    rules: list[dict[str, Any]] = copy.deepcopy(jira_mapper()["mappings"])
    for rule in rules:
        if rule["blueprint"] == "jiraIssue" and "title" in rule["entity"]:
            rule["entity"]["title"] = title
    return rules


def test_cli_backfill_maps_with_the_mapping_held_by_port(
    site: Sites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site.port.add_webhook(jira_mapper(_titled('"port: " + .body.issue.fields.summary')))
    use_env(monkeypatch, site)

    code = main(["backfill", "--state", str(tmp_path / "s.json"), "--mapping", "port:jira_mapper"])

    out, err = capsys.readouterr()
    assert code == 0, out + err
    issues = site.port.entities("jiraIssue")
    assert len(issues) == 60
    assert all(entity["title"].startswith("port: ") for entity in issues.values())


class PatchingJira(CountingJira):
    """A Jira proxy that edits the Port mapping after the first page, then waits MAPPING_REFRESH_SECONDS."""

    def __init__(self, client: Any, edit: Any) -> None:
        super().__init__(client)
        self.edit = edit
        self.before_edit = 0  # issues read before the edit

    def iter_issue_pages(self, jql: str, **options: Any) -> Iterator[Any]:
        for page in super().iter_issue_pages(jql, **options):
            if self.pages == 1:
                self.before_edit = len(page.issues)
            if self.pages == 2:
                self.edit()
                time.sleep(REFRESH_SECONDS)
            yield page


def _issues_and_projects(title: str) -> list[dict[str, Any]]:
    """``_titled`` without the kind rules: the kinds are read beside the issue pass, and a page mapped while
    another thread re-reads the mapping keeps the last one (one thread re-reads, the others map on), which
    would blur the page at which the edit lands."""
    return [rule for rule in _titled(title) if rule["blueprint"] in ("jiraIssue", "jiraProject")]


def test_an_edit_in_port_reaches_the_next_backfill_page(site: Sites, monkeypatch: pytest.MonkeyPatch) -> None:
    site.port.add_webhook(jira_mapper(_issues_and_projects('"v1"')))
    use_env(monkeypatch, site)
    env = {**site.env, "MAPPING_SOURCE": "port:jira_mapper", "MAPPING_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    provider = mapping_provider(MappingSettings.from_env(env))
    jira = PatchingJira(
        site.jira_client(max_concurrency=1),
        lambda: patch_webhook(site.port, "jira_mapper", {"mappings": _issues_and_projects('"v2"')}),
    )
    # Pages of 20 read one at a time: the edit lands between page 1 and page 2
    service = site.service(mapping=provider, jira=jira, page_size=20, partition_concurrency=1)
    (summary,) = site.drain(service, FULL)
    provider.close()
    assert summary.status == "succeeded"
    titles = [entity["title"] for entity in site.port.entities("jiraIssue").values()]
    assert jira.pages > 2 and 0 < jira.before_edit < 60
    assert titles.count("v1") == jira.before_edit
    assert titles.count("v2") == 60 - jira.before_edit


def test_cli_backfill_exits_with_a_configuration_error_when_the_mapping_cannot_be_read(
    site: Sites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_env(monkeypatch, site)  # no webhook data source "absent" in Port

    code = main(["backfill", "--state", str(tmp_path / "s.json"), "--mapping", "port:absent"])

    assert code == 2
    err = capsys.readouterr().err
    assert "mapping port:absent" in err and "404" in err
    assert site.port.entities("jiraIssue") == {}
