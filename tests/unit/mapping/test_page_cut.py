"""A page cut to what the mapping reads maps like its issues one by one, also where the cut keeps only some
parts of each element of an array (``map(...)``) or some keys of the issue, on values of unexpected types;
and a page program runs an expression two fields share once."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.backfill.mapper import BACKFILL_HEADERS, ISSUE_EVENT
from jira_port.mapping import load_mapping, load_mapping_text, programs
from jira_port.mapping.issue_fields import derive_issue_fields
from jira_port.mapping.jq_paths import EACH
from jira_port.mapping.pages import page_program
from tests.support.fixtures import capture_issues
from tests.unit.mapping.test_pages import by_cut_page, emulator_issues, one_by_one

MAPPED_OVER = """
- blueprint: jiraIssue
  filter: '.body.issue.key != null'
  entity:
    identifier: '.body.issue | .key'
    properties:
      keys: '.body.issue.fields.subtasks | if type == "array" then map(.key) else null end'
      ids: '.body.issue.fields.components | map(.id | tostring)'
      nested: '.body.issue.fields.labels | map(map(.a)?) // "none"'
      kinds: '.body.issue.fields.fixVersions | map(type), (.[0].name // "x" | ascii_downcase)'
      either: '.body.issue.fields.status | if type == "array" then map(.name) else .name end'
      self: '.body.issue.self'
      branch: '.body.issue.fields.issuetype | if .none then .name | ascii_downcase else .iconUrl end'
"""
ODD: list[dict[str, Any]] = [
    {"key": "O-1", "fields": {"subtasks": [1, "x", None, {"key": "K", "x": 1}], "components": {"id": 1}}},
    {"key": "O-2", "fields": {"subtasks": {"key": "K"}, "labels": [[{"a": 1, "b": 2}], [3]], "status": [{}]}},
    {"key": "O-3", "fields": {"fixVersions": [{"name": "A", "id": 1}, [1], None], "status": {"name": "S"}}},
    {"key": "O-4", "fields": {"components": [{"id": 2.0, "name": "n"}], "labels": {"[]": [{"a": 1}]}}},
    {"key": "O-5", "self": "https://x/rest/api/2/issue/5", "expand": "changelog", "fields": None},
]


@pytest.mark.parametrize("source", ["captures", "cloud", "server", "odd"])
def test_a_page_cut_below_arrays_maps_like_its_issues_one_by_one(source: str) -> None:
    mapping = load_mapping_text(MAPPED_OVER, "yaml")
    issues = ODD if source == "odd" else capture_issues() if source == "captures" else emulator_issues(source)
    expected = one_by_one(mapping, issues)
    assert by_cut_page(mapping, issues) == expected
    assert sum(len(result.actions) for result in expected) == len(issues)


def test_the_cut_keeps_some_parts_of_each_element_and_some_keys_of_the_issue() -> None:
    shape = derive_issue_fields(load_mapping_text(MAPPED_OVER, "yaml").rules).shape
    assert shape is not None and shape.keys() == {"key", "self", "fields"}
    assert shape["fields"]["subtasks"] == {EACH: {"key": None}}
    assert shape["fields"]["components"] == {EACH: {"id": None}}
    assert shape["fields"]["fixVersions"] is None  # `.[0].name` after a comma reads the array itself


def test_a_page_program_runs_an_expression_two_fields_share_once_unless_it_may_differ() -> None:
    outputs = ["[.a]", "[now]", "[.b]", "[.a]", "[now]"]
    assert programs.once_each(outputs) == "([.a] as $__jp_same0 | [$__jp_same0,[now],[.b],$__jp_same0,[now]])"
    assert programs.once_each(["[.a]", "[.b]"]) == "[[.a],[.b]]"
    mapping = load_mapping(None)  # `url` and `issueUrl` are the same expression
    assert "$__jp_same" in page_program(mapping, ISSUE_EVENT, BACKFILL_HEADERS)
