"""A scope spanning projects is paged one visible project at a time (``JiraClient.iter_issue_pages``), and a
project the credentials lost access to after the listing is skipped with a warning, not fatal: Data Center
answers its query with 400 "does not exist for the field 'project'", Cloud with 200 and no issues
(docs/jira-behaviour.md)."""

from __future__ import annotations

import logging

import pytest

from jira_port.jira import JiraCredentials
from jira_port_emulators.jira import Account
from tests.support.jira_emulator import running_jira


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_a_project_the_credentials_lost_is_skipped_and_the_others_are_read(
    flavour: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with running_jira(flavour, projects=3, issues=90) as jira:
        ds = jira.emulator.ds
        listed = list(jira.client().iter_projects())  # the listing, made while every project was readable
        keys = sorted(p.key for p in ds.projects.values())
        jira.emulator.accounts.append(Account("limited", secret="pw", projects=frozenset(keys[:2])))
        client = jira.client(credentials=JiraCredentials.basic("limited", "pw"), page_size=20)
        monkeypatch.setattr(client, "iter_projects", lambda: iter(listed))
        with caplog.at_level(logging.WARNING):
            pages = list(client.iter_issue_pages(fields=["summary"]))
        readable = {p.id for p in ds.projects.values() if p.key in keys[:2]}
        expected = sorted(i.id for i in ds.issues.values() if i.project_id in readable)
        assert sorted(int(i["id"]) for page in pages for i in page.issues) == expected
        assert pages[-1].cursor is None  # the run ends: the lost project does not stop it
        skipped = [r for r in caplog.records if r.getMessage().startswith("Jira project skipped")]
        assert len(skipped) == (1 if flavour == "server" else 0)  # Cloud: 200 with no issues, nothing to skip


def test_other_errors_of_a_project_query_propagate() -> None:
    with (
        running_jira("server", projects=2, issues=20) as jira,
        pytest.raises(Exception, match="Field 'foo' does not exist"),
    ):
        list(jira.client().iter_issue_pages("foo = 1 OR project is not EMPTY"))
