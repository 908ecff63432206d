"""The backfill's issue search asks Jira for the mapping's fields unless ``JIRA_FIELDS`` says otherwise."""

from __future__ import annotations

import io
from typing import Any

import pytest

from jira_port.backfill.runtime import compose
from jira_port.mapping import load_mapping, load_mapping_text
from jira_port.settings.backfill import BackfillSettings
from jira_port.settings.jira import JiraSettings
from jira_port_tools.backfill_local import DryRunApply, RecordingContinuation
from jira_port_tools.state_file import MemoryTable

ENV = {"JIRA_BASE_URL": "https://acme.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"}


def _options(env: dict[str, str], mapping: Any) -> Any:
    service = compose(
        BackfillSettings.from_env({}),
        JiraSettings.from_env({**ENV, **env}),
        jira=object(),  # type: ignore[arg-type]
        mapping=mapping,
        table=MemoryTable(),
        continuation=RecordingContinuation(),
        port=None,
        apply=DryRunApply(io.StringIO()),
    )
    return service.options


def test_by_default_the_search_asks_for_the_fields_the_mapping_reads() -> None:
    options = _options({}, load_mapping(None))
    assert "*all" not in options.fields and {"key", "summary", "status", "parent"} <= set(options.fields)
    assert options.expand is None


@pytest.mark.parametrize(
    ("fields", "expected"), [("*all", ["*all"]), ("summary, status", ["summary", "status"])]
)
def test_jira_fields_overrides_and_jira_expand_is_kept(fields: str, expected: list[str]) -> None:
    options = _options({"JIRA_FIELDS": fields, "JIRA_EXPAND": "names"}, load_mapping(None))
    assert options.fields == expected and options.expand == "names"


def test_a_mapping_that_reads_fields_dynamically_gets_every_field() -> None:
    rule = """
- blueprint: jiraIssue
  filter: 'true'
  entity:
    identifier: .body.issue.key
    properties:
      names: '.body.issue.fields | keys'
      html: '.body.issue.renderedFields.description'
"""
    options = _options({"JIRA_FIELDS": "DERIVE"}, load_mapping_text(rule, "yaml"))
    assert options.fields == ["*all"] and options.expand == "renderedFields"
