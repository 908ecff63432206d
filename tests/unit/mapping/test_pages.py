"""Mapping a search page in one jq run gives exactly the actions and warnings of mapping its issues one by
one: on every capture, for every bundled mapping, with field errors, halts and the per-event bound."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_port.backfill.mapper import BACKFILL_HEADERS, ISSUE_EVENT, BackfillMapper, issue_event
from jira_port.jira.models import IssuePage
from jira_port.mapping import BUNDLED_MAPPINGS, CompiledMapping, load_mapping, load_mapping_text
from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.evaluate import MappingLimitError
from jira_port.mapping.pages import evaluate_page, page_program
from jira_port.mapping.site import SiteMapping
from tests.support.fixtures import capture_issues

BASE_URL = "https://example.atlassian.net/"
READ_AT = 1_733_000_000_123


def search_page(issues: list[dict[str, Any]], sentinel: dict[str, Any] | None) -> bytes:
    """A search response as Jira sends it (non-ASCII unescaped, spaces after separators)."""
    head = [sentinel] if sentinel is not None else []
    body = {"expand": "names,schema", "startAt": 0, "maxResults": 50, "issues": [*head, *issues]}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def one_by_one(mapping: CompiledMapping, issues: list[dict[str, Any]]) -> list[Any]:
    return [
        mapping.evaluate_detailed(issue_event(i, READ_AT), BACKFILL_HEADERS, {}, jira_base_url=BASE_URL)
        for i in issues
    ]


def by_page(mapping: CompiledMapping, issues: list[dict[str, Any]], sentinel: bool) -> list[Any] | None:
    raw = search_page(issues, issues[-1] if sentinel else None)
    program = page_program(mapping, ISSUE_EVENT, BACKFILL_HEADERS)
    return evaluate_page(
        mapping, program, raw, skip=int(sentinel), count=len(issues), read_at_ms=READ_AT,
        jira_base_url=BASE_URL,
    )  # fmt: skip


@pytest.mark.parametrize("sentinel", [False, True])
@pytest.mark.parametrize("name", sorted(BUNDLED_MAPPINGS))
def test_a_page_maps_like_its_issues_one_by_one_on_every_capture(name: str, sentinel: bool) -> None:
    mapping = load_mapping(name)
    issues = capture_issues()
    assert len(issues) >= 15
    expected = one_by_one(mapping, issues)
    assert by_page(mapping, issues, sentinel) == expected
    assert all(result.actions for result in expected)


FAULTY = """
- blueprint: jiraIssue
  filter: '.body.issue.fields.issuetype.name != "Epic"'
  itemsToParse: '[.body.issue.fields.labels[]?, "x"]'
  entity:
    identifier: '.body.issue.key + "-" + .item'
    title: '.body.issue.fields.summary | ascii_downcase'
    properties:
      broken: '.body.issue.fields.summary | tonumber'
      nothing: 'empty'
      many: '.body.issue.fields.labels[]?'
      source: '.headers["x-jira-port-source"] + ":" + (.body.timestamp | tostring) + .body.webhookEvent'
      base: '$jira_base_url'
      env: '$ENV | length'
"""


def test_field_errors_empty_results_and_first_outputs_match_with_their_warnings() -> None:
    mapping = load_mapping_text(FAULTY, "yaml")
    issues = capture_issues()
    expected = one_by_one(mapping, issues)
    assert any(result.warnings for result in expected)  # `tonumber` fails on most summaries
    assert by_page(mapping, issues, sentinel=True) == expected


def test_a_halt_or_a_page_past_the_bound_is_left_to_the_per_issue_path() -> None:
    halting = load_mapping_text(FAULTY.replace("'empty'", "'halt'"), "yaml")
    assert by_page(halting, capture_issues(), sentinel=False) is None


HOSTILE = """
- blueprint: jiraIssue
  filter: 'true'
  entity:
    identifier: .body.issue.key
    properties:
      spin: 'if .body.issue.key == "SPIN-1" then (def f: f; f) else 1 end'
"""


def test_a_runaway_issue_is_isolated_and_named_and_stops_the_page() -> None:
    # The page run passes its bound, the issue-by-issue fallback finds the culprit and raises it: the run
    # stops before reconciliation, so no entity is deleted because its issue could not be mapped.
    mapping = load_mapping_text(HOSTILE, "yaml", limits=EvaluationLimits(timeout_seconds=0.3))
    issues = [*capture_issues()[:3], {"key": "SPIN-1", "fields": {}}]
    raw = search_page(issues, None)
    mapper = BackfillMapper(mapping, BASE_URL)
    with pytest.raises(MappingLimitError) as raised:
        mapper.map_page(IssuePage(issues, None, raw, 0), READ_AT)
    assert raised.value.rule == 0 and raised.value.field == "entity.properties.spin"
    assert [a.identifier for a in mapper.map_issues(issues[:3], READ_AT).actions] == [
        i["key"] for i in issues[:3]
    ]


def test_a_site_mapping_affixes_page_results_like_issue_results() -> None:
    mapping = SiteMapping(load_mapping(None), prefix="eu:")
    issues = capture_issues()
    expected = one_by_one(mapping, issues)
    assert expected[0].actions[0].identifier.startswith("eu:")
    assert by_page(mapping, issues, sentinel=False) == expected
