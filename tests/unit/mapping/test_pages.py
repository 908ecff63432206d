"""Mapping a search page in one jq run gives exactly the actions and warnings of mapping its issues one by
one: on every capture, for every bundled mapping, with field errors, halts and the per-event bound; also
when jq reads the page cut down to what the mapping reads, and without the rules that cannot match."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_port.backfill.mapper import BACKFILL_HEADERS, ISSUE_EVENT, BackfillMapper, issue_event
from jira_port.jira.models import IssuePage
from jira_port.mapping import BUNDLED_MAPPINGS, CompiledMapping, load_mapping, load_mapping_text, programs
from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.evaluate import MappingLimitError
from jira_port.mapping.issue_fields import derive_issue_fields
from jira_port.mapping.pages import evaluate_page, never_matches, page_input, page_program
from jira_port_emulators.jira import JiraEmulator, generate_dataset
from jira_port_emulators.jira.events import issue_body
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
    mapping = load_mapping(None).for_site(prefix="eu:")
    issues = capture_issues()
    expected = one_by_one(mapping, issues)
    assert expected[0].actions[0].identifier.startswith("eu:")
    assert by_page(mapping, issues, sentinel=False) == expected


def emulator_issues(flavour: str) -> list[dict[str, Any]]:
    """Issues as the Jira emulator renders them (every field, REST v2), for ``flavour`` cloud or server."""
    emulator = JiraEmulator(generate_dataset(projects=2, issues=40, flavour=flavour, seed=5))  # type: ignore[arg-type]
    renderer = emulator.renderer(2)
    return [issue_body(renderer, issue) for issue in emulator.ds.issues.values()]


def by_cut_page(mapping: CompiledMapping, issues: list[dict[str, Any]]) -> list[Any] | None:
    shape = derive_issue_fields(mapping.rules).shape
    assert shape is not None
    raw = search_page([issues[-1], *issues], None)  # the cut page must not need the raw page's sentinel
    program = page_program(mapping, ISSUE_EVENT, BACKFILL_HEADERS)
    return evaluate_page(
        mapping, program, raw, skip=1, count=len(issues), read_at_ms=READ_AT, jira_base_url=BASE_URL,
        cut=(issues, shape),
    )  # fmt: skip


@pytest.mark.parametrize("source", ["captures", "cloud", "server"])
@pytest.mark.parametrize("name", [*sorted(BUNDLED_MAPPINGS), "faulty"])
def test_a_page_cut_to_what_the_mapping_reads_maps_like_its_issues_one_by_one(name: str, source: str) -> None:
    mapping = load_mapping_text(FAULTY, "yaml") if name == "faulty" else load_mapping(name)
    issues = capture_issues() if source == "captures" else emulator_issues(source)
    expected = one_by_one(mapping, issues)
    assert by_cut_page(mapping, issues) == expected
    assert sum(len(result.actions) for result in expected) >= len(issues) or name == "faulty"


def test_the_cut_page_is_much_smaller_than_the_raw_page() -> None:
    issues = emulator_issues("cloud")
    shape = derive_issue_fields(load_mapping(None).rules).shape
    raw = search_page(issues, None)
    cut = page_input(raw, 0, issues, READ_AT, shape)
    assert isinstance(cut, str) and len(cut) < len(raw) / 3
    assert json.loads(cut)["p"]["issues"][0]["fields"]["status"] == {
        "name": issues[0]["fields"]["status"]["name"]
    }
    assert page_input(raw, 0, issues, READ_AT, None) == b'{"t":%d,"s":0,"p":' % READ_AT + raw + b"}"


def test_a_page_python_reads_but_json_has_not_goes_to_jq_as_it_came() -> None:
    issues = [{"key": "A-1", "fields": {"summary": float("nan")}}]
    raw = b'{"issues": [{"key": "A-1", "fields": {"summary": NaN}}]}'
    assert (
        page_input(raw, 0, issues, READ_AT, {"fields": {"summary": None}})
        == b'{"t":%d,"s":0,"p":' % READ_AT + raw + b"}"
    )


BACKFILL_PROBE = {"body": {"webhookEvent": ISSUE_EVENT, "issue": {}}, "headers": BACKFILL_HEADERS}


def test_the_default_mapping_runs_only_its_backfill_issue_rule_on_an_issue_page() -> None:
    rules = load_mapping(None).rules
    kept = [rule.label for rule in rules if not never_matches(rule, BACKFILL_PROBE)]
    assert kept == ["rule 1 (jiraIssue)"]  # the kind rules too: `(.body.webhookEvent // "" | ...)`


def _filter_rule(filter_text: str, items: str | None = None) -> Any:
    lines = ["- blueprint: jiraIssue", f"  filter: '{filter_text}'"]
    lines += [f"  itemsToParse: '{items}'"] if items else []
    lines += ["  entity:", "    identifier: .body.issue.key"]
    return load_mapping_text("\n".join(lines), "yaml").rules[0]


@pytest.mark.parametrize(
    ("filter_text", "never"),
    [
        ('.headers."x-jira-port-source" != "backfill"', True),
        ('.body.webhookEvent == "jira:issue_deleted" and .body.issue.key != null', True),
        ('.body.issue == null and .headers."x-jira-port-source" == "backfill"', True),
        ('(.body.webhookEvent | IN("project_created")) or .body.issue == null', True),
        ('(.body.webhookEvent // "" | endswith("_deleted")) and .body.issue.key != null', True),
        ('(.body.webhookEvent // "" | endswith("_updated")) and .body.issue.key != null', False),
        ('.headers."x-jira-port-source" == "backfill"', False),
        (
            '.body.issue.key != null and .body.webhookEvent == "jira:issue_deleted"',
            False,
        ),  # reads the issue first
        ('.body.issue.key == null or .body.webhookEvent == "jira:issue_deleted"', False),
        ('.body.issue | type == "null"', False),
        ('.body.webhookEvent == "jira:issue_deleted" | not', False),  # false | not: true
        ('.body.webhookEvent | test("[") and true', False),  # an error: the filter warns on every issue
        (".body.timestamp == 0", False),
        ('$jira_base_url == "x"', False),
        ('.body.webhookEvent == ("jira:issue_deleted" // .body.issue.key)', False),
        ('.body.webhookEvent == "jira:issue_deleted" // true', False),  # `//` binds looser than `and`
        ('if true then .body.webhookEvent == "x" else true end and true', False),
        ('.body.webhookEvent == "jira:issue\\u005fdeleted"', False),  # an escape: not read
    ],
)
def test_a_rule_is_left_out_of_a_page_only_when_its_filter_is_false_for_any_issue(
    filter_text: str, never: bool
) -> None:
    assert never_matches(_filter_rule(filter_text), BACKFILL_PROBE) is never


def test_a_rule_with_items_is_always_run() -> None:
    rule = _filter_rule('.body.webhookEvent == "x"', items=".body.issue.fields.labels")
    assert not never_matches(rule, BACKFILL_PROBE)


def test_an_issue_that_is_not_an_object_leaves_the_page_to_the_per_issue_path() -> None:
    issues = [*capture_issues()[:2], None]
    raw = json.dumps({"issues": issues}).encode()
    mapping = load_mapping(None)
    program = page_program(mapping, ISSUE_EVENT, BACKFILL_HEADERS)
    result = evaluate_page(mapping, program, raw, skip=0, count=3, read_at_ms=READ_AT, jira_base_url=BASE_URL)
    assert result is None


@pytest.mark.parametrize("source", ["captures", "cloud"])
def test_the_backfill_mapper_maps_a_cut_page_like_its_issues_one_by_one(source: str) -> None:
    issues = capture_issues() if source == "captures" else emulator_issues(source)
    mapping = load_mapping(None)
    mapper = BackfillMapper(mapping, BASE_URL)
    assert mapper._page_program(mapping)[1] is not None  # jq reads the page cut down
    by_page = mapper.map_page(IssuePage(issues, None, search_page(issues, None), 0), READ_AT)
    assert by_page == mapper.map_issues(issues, READ_AT) and by_page.actions


LEADING_PATHS = """
- blueprint: jiraIssue
  filter: '.body.issue.key != null'
  itemsToParse: '.body.issue.fields.labels // ["none"]'
  entity:
    identifier: '.body.issue.key + "-" + (.item | tostring)'
    title: '.body.issue.fields.summary?'
    properties:
      status: '.body.issue.fields.status.name'
      first: '.body.issue.fields.labels[0]'
      each: '.body.issue.fields.labels[]'
      named: '.body.issue.fields["summary"]'
      bound: '.body.issue.fields.summary as $s | $s + "!"'
      fieldsx: '.body.issue.fieldsx'
      whole: '.body.issue.fields | length'
      id: '.body.issue.id // .body.issue.key'
      sum: '.body.issue.fields.summary + .body.issue.key'
"""
ODD_ISSUES: list[dict[str, Any]] = [
    {"key": "A-1", "fields": "text"},  # every read of a field fails, with jq's message
    {"key": "A-2"},  # no fields: every field is null
    {"key": "A-3", "fields": None},
    {"key": "A-4", "fields": {"summary": "s", "labels": "x", "status": []}, "fieldsx": 1, "id": "4"},
]


@pytest.mark.parametrize("issues", ["captures", "odd"])
def test_expressions_reading_the_issue_from_its_page_variables_map_like_the_event_path(issues: str) -> None:
    mapping = load_mapping_text(LEADING_PATHS, "yaml")
    chosen = capture_issues() if issues == "captures" else ODD_ISSUES
    expected = one_by_one(mapping, chosen)
    assert by_page(mapping, chosen, sentinel=False) == expected
    if issues == "odd":
        assert any("Cannot index string" in w.message for r in expected for w in r.warnings)


@pytest.mark.parametrize(
    ("program", "bound"),
    [
        (".body.issue.fields.status.name", "$__jp_fields.status.name"),
        ("  .body.issue.key // .body.issue.id", "$__jp_issue.key // .body.issue.id"),
        (".body.issue.fieldsx", "$__jp_issue.fieldsx"),
        (".body.issue.fields", "$__jp_issue.fields"),
        ('.body.issue.fields["x"]', '$__jp_issue.fields["x"]'),
        ('.body.issue."key"', '.body.issue."key"'),
        ("(.body.issue.key)", "(.body.issue.key)"),  # only a leading path
        ("$x.body.issue.key", "$x.body.issue.key"),
        (".x | .body.issue.key", ".x | .body.issue.key"),
    ],
)
def test_only_a_leading_issue_path_is_read_from_the_page_variables(program: str, bound: str) -> None:
    assert programs.bind_issue(program) == bound
