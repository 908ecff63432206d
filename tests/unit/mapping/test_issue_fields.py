"""Deriving the Jira fields a mapping reads: named paths, expands, the *all fallback, equal actions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from jira_port.mapping import BUNDLED_MAPPINGS, load_mapping, load_mapping_text
from jira_port.mapping.issue_fields import ALL_FIELDS, derive_issue_fields, search_request
from jira_port.mapping.jq_paths import EACH
from tests.support.fixtures import capture_issues

BACKFILL = {"x-jira-port-source": "backfill"}
BASE_URL = "https://example.atlassian.net"


def _rule(**properties: str) -> str:
    lines = ["- blueprint: jiraIssue", "  filter: 'true'", "  entity:", "    identifier: .body.issue.key"]
    lines += ["    properties:"] + [f"      {name}: {expr!r}" for name, expr in properties.items()]
    return "\n".join(lines)


def _derive(**properties: str) -> Any:
    return derive_issue_fields(load_mapping_text(_rule(**properties), "yaml").rules)


def test_the_default_mapping_reads_eighteen_named_fields() -> None:
    derived = derive_issue_fields(load_mapping(None).rules)
    assert derived.derived and derived.expand == ()
    assert derived.fields == (
        "assignee", "components", "created", "creator", "customfield_10020", "description", "fixVersions",
        "issuetype", "labels", "parent", "priority", "project", "reporter", "resolutiondate", "status",
        "subtasks", "summary", "updated",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "field"),
    [
        (".body.issue.fields.customfield_10016", "customfield_10016"),
        ('.body.issue.fields["customfield_10020"] | last | .name', "customfield_10020"),
        ('.body.issue.fields."story points"', "story points"),
        ('.body.issue.fields.["team"]?.name', "team"),
        (".body.issue | .fields.summary", "summary"),
        ("(.body.issue.fields.timetracking // {}).originalEstimate", "timetracking"),
    ],
)
def test_named_field_paths_are_found(expression: str, field: str) -> None:
    derived = _derive(value=expression)
    assert derived.derived, derived.reason
    assert field in derived.fields


def test_rendered_fields_and_changelog_need_expand() -> None:
    derived = _derive(html=".body.issue.renderedFields.description", moves=".body.issue.changelog.total")
    assert derived.expand == ("changelog", "renderedFields")
    assert "description" in derived.fields


@pytest.mark.parametrize(
    "expression",
    [
        ".body.issue.fields | keys",
        ".body.issue.fields | to_entries | map(.key)",
        ".body.issue.fields[$jira_base_url]",
        ".body.issue.fields | .summary",  # `.fields | .a, .b` would hide .b: the whole object flows on
        ".body.issue.fields",
        ".body.issue",
        ".body | tojson",
        "[.. | .name? // empty]",
        ". as $event | $event.body.issue.key",
        ".body.issue as $i | $i.fields.summary",
        ".body.issue.fields[]",
    ],
)
def test_dynamic_reads_fall_back_to_all_fields_with_the_reason(expression: str) -> None:
    derived = _derive(value=expression)
    assert derived.fields == (ALL_FIELDS,)
    assert derived.reason is not None and "rule 0 (jiraIssue) entity.properties.value" in derived.reason


def test_comments_and_strings_do_not_count() -> None:
    derived = _derive(value='.body.issue.fields.summary # not .body.issue.fields | keys\n + " keys .."')
    assert derived.derived and derived.fields == ("summary",)


@pytest.mark.parametrize("name", sorted(BUNDLED_MAPPINGS))
def test_derived_fields_give_the_same_actions_as_all_fields_on_every_capture(name: str) -> None:
    mapping = load_mapping(name)
    derived = derive_issue_fields(mapping.rules)
    assert derived.derived, derived.reason
    issues = capture_issues()
    assert len(issues) >= 15
    for issue in issues:
        narrowed = copy.deepcopy(issue)
        narrowed["fields"] = {k: v for k, v in issue["fields"].items() if k in derived.fields}
        for headers in (BACKFILL, {}):
            event = {"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": issue}
            full = mapping.evaluate(event, headers, jira_base_url=BASE_URL)
            less = mapping.evaluate({**event, "issue": narrowed}, headers, jira_base_url=BASE_URL)
            assert less == full, issue.get("key")
            assert full, f"{name} mapped nothing for {issue.get('key')}"


def test_the_search_request_derives_unless_jira_fields_is_set_and_adds_the_expands_read() -> None:
    rules = load_mapping_text(_rule(html=".body.issue.renderedFields.description"), "yaml").rules
    fields, expand = search_request(rules, None, "names")
    assert "description" in fields and "key" in fields and ALL_FIELDS not in fields
    assert expand == "names,renderedFields"
    assert search_request(rules, ["*all"], None) == (["*all"], "renderedFields")
    # a mapping reading no field still gets the keys paging anchors on
    assert search_request(load_mapping_text(_rule(value='"x"'), "yaml").rules, None, None) == (
        ["id", "key"],
        None,
    )


def test_the_search_request_falls_back_to_all_fields_and_logs_why(caplog: pytest.LogCaptureFixture) -> None:
    rules = load_mapping_text(_rule(value=".body.issue.fields | keys"), "yaml").rules
    with caplog.at_level("INFO"):
        assert search_request(rules, None, None) == ([ALL_FIELDS], None)
    logged = [r for r in caplog.records if "cannot be derived" in r.getMessage()]
    assert len(logged) == 1 and "uses 'keys'" in logged[0].reason  # type: ignore[attr-defined]


def test_the_default_mapping_reads_only_some_parts_of_the_issue_and_its_fields() -> None:
    issue = derive_issue_fields(load_mapping(None).rules).shape
    assert issue is not None and issue.keys() == {"key", "self", "fields"}  # not `expand`, `id`
    shape = issue["fields"]
    assert shape["status"] == {"name": None} and shape["project"] == {"key": None}
    assert shape["assignee"] == {"accountId": None, "name": None, "key": None}  # `| .accountId // .name`
    assert shape["components"] == {EACH: {"name": None, "id": None}}  # `map(.name)`, `map(.id | tostring)`
    assert shape["subtasks"] == {EACH: {"key": None}} and shape["fixVersions"] == {EACH: {"id": None}}
    for whole in ("summary", "description", "labels", "customfield_10020"):
        assert shape[whole] is None, whole


@pytest.mark.parametrize(
    ("expressions", "expected"),
    [
        ([".body.issue.fields.status.name"], {"status": {"name": None}}),
        ([".body.issue.fields.status.name", ".body.issue.fields.status"], {"status": None}),
        ([".body.issue.fields.status", ".body.issue.fields.status.name"], {"status": None}),
        ([".body.issue.fields.status | .name // .id"], {"status": {"name": None, "id": None}}),
        ([".body.issue.fields.status | (.name == null) or .id != 1"], {"status": {"name": None, "id": None}}),
        ([".body.issue.fields.status | .name | ascii_downcase"], {"status": {"name": None}}),
        (
            [".body.issue.fields.status | (.name | ascii_downcase), .id"],
            {"status": {"name": None, "id": None}},
        ),
        (
            [".body.issue.fields.status | if .x then .name | not else .id end"],
            {"status": {"x": None, "name": None, "id": None}},
        ),
        ([".body.issue.fields.labels | map(.)"], {"labels": None}),
        ([".body.issue.fields.labels | map(1)"], {"labels": {EACH: None}}),
        ([".body.issue.fields.labels | map(.a | ascii_downcase) | length"], {"labels": {EACH: {"a": None}}}),
        ([".body.issue.fields.labels | map(map(.a))"], {"labels": {EACH: {EACH: {"a": None}}}}),
        ([".body.issue.fields.labels | map(.a), length"], {"labels": None}),
        (
            ['.body.issue.fields.labels | if type == "array" then map(.a) else null end'],
            {"labels": {EACH: {"a": None}}},
        ),
        (["def map(f): tostring; .body.issue.fields.labels | map(.a)"], {"labels": None}),
        ([".body.issue.fields.labels | [.a, .b]"], {"labels": {"a": None, "b": None}}),
        ([".body.issue.fields.labels | {a}"], {"labels": None}),
        ([".body.issue.fields.labels | .[]"], {"labels": None}),
        ([".body.issue.fields.labels | tostring"], {"labels": None}),
        ([".body.issue.fields.status | ascii_downcase"], {"status": None}),
        ([".body.issue.fields.labels[0]"], {"labels": None}),
        ([".body.issue.fields.status | {name}"], {"status": None}),
        ([".body.issue.fields.status | .name as $n | $n"], {"status": None}),
        (['"x" + .body.issue.fields.status | .name'], {"status": None}),  # `+` binds tighter than `|`
        (["[.body.issue.fields.status | .name]"], {"status": {"name": None}}),
        (['"\\(.body.issue.fields.status | .name)"'], {"status": {"name": None}}),
    ],
)
def test_a_field_keeps_only_the_paths_read_below_it(expressions: list[str], expected: Any) -> None:
    quoted = {f"p{i}": "'" + e.replace("'", "''") + "'" for i, e in enumerate(expressions)}  # YAML
    text = _rule().replace(
        "properties:", "properties: {" + ", ".join(f"{k}: {v}" for k, v in quoted.items()) + "}"
    )
    derived = derive_issue_fields(load_mapping_text(text, "yaml").rules)
    assert derived.derived, derived.reason
    assert derived.shape == {"key": None, "fields": expected}


@pytest.mark.parametrize(
    ("expression", "keys"),
    [
        (".body.issue.self", {"self"}),
        (".body.issue | .id", {"id"}),
        ('.body.issue["changelog"] | length', {"changelog"}),
        (".body.issue | type", set()),
        (".body | .issue.renderedFields.description", {"renderedFields"}),
    ],
)
def test_the_issue_keeps_the_keys_read_of_it(expression: str, keys: set[str]) -> None:
    shape = _derive(p=expression).shape
    assert shape is not None and shape.keys() == {"key", *keys}


def test_no_shape_when_the_fields_cannot_be_derived() -> None:
    assert _derive(p=".body.issue.fields | keys").shape is None
