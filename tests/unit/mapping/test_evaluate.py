"""Evaluation follows Port's webhook-mapping semantics, with per-field error isolation in one jq run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_port.mapping import MAX_ITEMS_PER_EVENT, CompiledMapping, load_mapping_text, programs
from jira_port.mapping.model import JqField
from jira_port.port.types import Action

BODY: dict[str, Any] = {
    "webhookEvent": "jira:issue_updated",
    "issue": {
        "key": "OPS-7",
        "fields": {"summary": "Rotate keys", "labels": ["sec", "ops"], "status": {"name": "Done"}},
    },
}


def mapping_of(*rules: dict[str, Any]) -> CompiledMapping:
    return load_mapping_text(json.dumps(list(rules)))


def rule(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"blueprint": "jiraIssue", "entity": {"identifier": ".body.issue.key"}}
    base.update(overrides)
    return base


def entity(**fields: Any) -> dict[str, Any]:
    return {"identifier": ".body.issue.key", **fields}


@pytest.mark.parametrize(
    ("operation", "delete_dependents"),
    [("delete", True), ({"type": "delete"}, False), ({"type": "delete", "deleteDependents": True}, True)],
)
def test_delete_operations(operation: Any, delete_dependents: bool) -> None:
    (action,) = mapping_of(rule(operation=operation)).evaluate(BODY)
    assert action == Action("delete", "jiraIssue", {"identifier": "OPS-7"}, delete_dependents)
    assert action.to_json() == {
        "operation": "delete",
        "blueprint": "jiraIssue",
        "entity": {"identifier": "OPS-7"},
        "deleteDependents": delete_dependents,
    }


@pytest.mark.parametrize("operation", ["create", {"type": "create"}, None])
def test_create_operations_are_upserts(operation: Any) -> None:
    spec = rule() if operation is None else rule(operation=operation)
    (action,) = mapping_of(spec).evaluate(BODY)
    assert action.operation == "upsert"
    assert action.delete_dependents is None
    assert action.entity == {"identifier": "OPS-7", "properties": {}, "relations": {}}


def test_upsert_entity_shape_icon_and_team_only_when_defined() -> None:
    spec = rule(
        entity=entity(
            title=".body.issue.fields.summary",
            icon='"Jira"',
            team='["platform"]',
            properties={"status": ".body.issue.fields.status.name", "labels": ".body.issue.fields.labels"},
            relations={"project": ".body.issue.fields.project.key"},
        )
    )
    (action,) = mapping_of(spec).evaluate(BODY)
    assert action.entity == {
        "identifier": "OPS-7",
        "title": "Rotate keys",
        "icon": "Jira",
        "team": ["platform"],
        "properties": {"status": "Done", "labels": ["sec", "ops"]},
        "relations": {"project": None},
    }
    assert action.rule == 0


def test_filter_only_literal_true_passes() -> None:
    filters = ["true", "false", "null", '"true"', "1", "empty", ".body.nothing", "[true]"]
    mapping = mapping_of(*(rule(filter=f) for f in filters))
    result = mapping.evaluate_detailed(BODY)
    assert [a.rule for a in result.actions] == [0]
    assert result.warnings == []


def test_missing_filter_is_true_and_every_matching_rule_applies() -> None:
    mapping = mapping_of(rule(), rule(blueprint="other", filter='.body.webhookEvent | startswith("jira:")'))
    assert [(a.blueprint, a.rule) for a in mapping.evaluate(BODY)] == [("jiraIssue", 0), ("other", 1)]


def test_filter_error_skips_the_rule_with_a_warning() -> None:
    mapping = mapping_of(rule(filter=".body.webhookEvent | test(1)"), rule(blueprint="ok"))
    result = mapping.evaluate_detailed(BODY)
    assert [a.blueprint for a in result.actions] == ["ok"]
    (warning,) = result.warnings
    assert (warning.rule, warning.field, warning.expression) == (0, "filter", ".body.webhookEvent | test(1)")


def test_no_rule_matches() -> None:
    mapping = mapping_of(rule(filter='.body.webhookEvent == "jira:issue_deleted"'))
    result = mapping.evaluate_detailed(BODY)
    assert result.actions == []
    assert result.warnings == []
    assert mapping.relevant(BODY) is False


def test_failing_field_is_null_with_a_warning_and_the_rest_still_maps() -> None:
    bad = ".body.issue.fields.summary | tonumber"
    spec = rule(
        entity=entity(
            title=".body.issue.fields.summary",
            properties={"points": bad, "status": ".body.issue.fields.status.name"},
            relations={"parentIssue": ".body.issue.key.nested"},
        )
    )
    result = mapping_of(spec).evaluate_detailed(BODY)
    (action,) = result.actions
    assert action.entity["title"] == "Rotate keys"
    assert action.entity["properties"] == {"points": None, "status": "Done"}
    assert action.entity["relations"] == {"parentIssue": None}
    first, second = result.warnings
    assert (first.rule, first.field, first.expression) == (0, "entity.properties.points", bad)
    assert "Rotate keys" in first.message  # jq's own message
    assert str(first).startswith(f"rule 0, entity.properties.points ({bad}): ")
    assert second.field == "entity.relations.parentIssue"


def test_the_isolating_program_is_compiled_only_when_a_field_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """The program an event runs first has no per-field isolation (half the jq to compile at load); an
    event where a field fails runs again through the isolating program, compiled then, once."""
    compiled: list[str] = []
    real = programs.compile_program

    def counting(text: str, jira_base_url: str | None = None) -> Any:
        compiled.append(text)
        return real(text, jira_base_url)

    monkeypatch.setattr(programs, "compile_program", counting)
    points = ".body.issue.fields.summary | tonumber  # isolating-program test"
    mapping = mapping_of(
        rule(entity=entity(title=".body.issue.fields.summary", properties={"points": points}))
    )
    assert compiled == [mapping.program_text]
    numeric = {**BODY, "issue": {**BODY["issue"], "fields": {"summary": "12"}}}
    assert mapping.evaluate_detailed(numeric).actions[0].entity["properties"] == {"points": 12}
    assert compiled == [mapping.program_text]
    for _ in range(2):
        result = mapping.evaluate_detailed(BODY)
        assert (result.actions[0].entity["title"], result.actions[0].entity["properties"]) == (
            "Rotate keys",
            {"points": None},
        )
        assert [w.field for w in result.warnings] == ["entity.properties.points"]
    assert compiled == [mapping.program_text, mapping.isolating_text]
    assert "__jp_isolate" not in mapping.isolating_text


def test_evaluate_logs_the_warnings(caplog: pytest.LogCaptureFixture) -> None:
    spec = rule(entity=entity(properties={"points": 'error("boom")'}))
    with caplog.at_level("WARNING"):
        mapping_of(spec).evaluate(BODY)
    assert any(
        "entity.properties.points" in r.getMessage() and "boom" in r.getMessage() for r in caplog.records
    )


def test_first_output_only_and_empty_is_null() -> None:
    spec = rule(
        entity=entity(
            properties={
                "first": ".body.issue.fields.labels[]",
                "none": "empty",
                "select": '.body.issue.fields.labels[] | select(. == "nope")',
                "beforeError": '(1, error("late"))',
                "beforeEmptyError": "1, (.[0] | empty)",  # one output by count; `.[0]` fails after it
                "null": ".body.issue.fields.missing",
            }
        )
    )
    result = mapping_of(spec).evaluate_detailed(BODY)
    assert result.actions[0].entity["properties"] == {
        "first": "sec",
        "none": None,
        "select": None,
        "beforeError": 1,
        "beforeEmptyError": 1,
        "null": None,
    }
    assert result.warnings == []


@pytest.mark.parametrize(
    ("expression", "chain"),
    [
        (".body.issue.key", True),
        (".body.issue.fields.assignee | .accountId // .name", True),
        ('. // .body | ."issue" | .key', True),
        (".body.issue.fields.labels[] // .body", False),
        (".body.issue.fields | .. // .a", False),
        ('.body.issue.key // "x"', False),  # a literal: left to the proof
    ],
)
def test_paths_joined_by_pipes_and_alternatives_skip_first(expression: str, chain: bool) -> None:
    wrapped = programs.first_output(JqField("entity.title", expression, expression))
    assert (wrapped == f"[{expression}]") is chain


@pytest.mark.parametrize(
    ("expression", "single"),
    [
        ('.body.issue.fields.components | if type == "array" then map(.name) else null end', True),
        ("first(.body.issue.fields.labels[])", True),
        (".body.issue.fields.labels[]", False),
        ("1, (.[0] | empty)", False),  # see the mapping above
        ("1, 2", False),
        ('.body | error("x")', False),  # refused by the proof
        ('.body.issue.fields.summary // "none"', True),  # `//` yields one side's outputs: the larger count
        ('.body.issue.fields.labels[] // "none"', False),
    ],
)
def test_a_field_with_at_most_one_output_skips_first(expression: str, single: bool) -> None:
    assert programs.single_output(expression) is single
    wrapped = programs.first_output(JqField("entity.title", expression, expression))
    assert wrapped == (f"[{expression}\n\n]" if single else f"[first({expression}\n\n)]")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [('""', "empty"), ("null", "null"), ("[1]", "list"), ("true", "bool"), ("{}", "dict")],
)
def test_unusable_identifier_skips_the_entity_with_a_warning(expression: str, expected: str) -> None:
    mapping = mapping_of(rule(entity={"identifier": expression}), rule(blueprint="ok"))
    result = mapping.evaluate_detailed(BODY)
    assert [a.blueprint for a in result.actions] == ["ok"]
    (warning,) = result.warnings
    assert (warning.rule, warning.field) == (0, "entity.identifier")
    assert expected in warning.message and "entity skipped" in warning.message


def test_numeric_identifier_becomes_a_string() -> None:
    (action,) = mapping_of(rule(entity={"identifier": ".body.id"})).evaluate({"id": 10002})
    assert action.entity["identifier"] == "10002"


def test_items_to_parse_maps_each_item_with_the_per_item_filter() -> None:
    spec = rule(
        blueprint="jiraLabel",
        itemsToParse=".body.issue.fields.labels",
        filter='.item != "ops"',
        entity={
            "identifier": ".item",
            "title": '.item + " of " + .body.issue.key',
            "relations": {"issue": ".body.issue.key"},
        },
    )
    mapping = mapping_of(spec)
    (action,) = mapping.evaluate(BODY)
    assert action.entity == {
        "identifier": "sec",
        "title": "sec of OPS-7",
        "properties": {},
        "relations": {"issue": "OPS-7"},
    }
    assert mapping.relevant(BODY) is True
    assert mapping.relevant({**BODY, "issue": {"fields": {"labels": ["ops"]}}}) is False


def test_items_to_parse_is_capped_at_500_with_a_warning() -> None:
    body = {"values": list(range(MAX_ITEMS_PER_EVENT + 20))}
    spec = rule(blueprint="n", itemsToParse=".body.values", entity={"identifier": ".item"})
    result = mapping_of(spec).evaluate_detailed(body)
    assert len(result.actions) == MAX_ITEMS_PER_EVENT
    assert result.actions[-1].identifier == str(MAX_ITEMS_PER_EVENT - 1)
    (warning,) = result.warnings
    assert warning.field == "itemsToParse"
    assert "520 items" in warning.message and "at most 500" in warning.message


@pytest.mark.parametrize(
    ("items", "warned"),
    [(".body.nothing", False), ("empty", False), (".body.webhookEvent", True), (".body.x.y.z | error", True)],
)
def test_items_to_parse_that_is_not_an_array(items: str, warned: bool) -> None:
    result = mapping_of(rule(itemsToParse=items, entity={"identifier": ".item"})).evaluate_detailed(BODY)
    assert result.actions == []
    assert bool(result.warnings) is warned


def test_item_field_errors_name_the_item() -> None:
    spec = rule(itemsToParse='[1, "x"]', entity={"identifier": ".item | tostring", "title": ".item + 1"})
    result = mapping_of(spec).evaluate_detailed(BODY)
    assert [a.entity.get("title", "absent") for a in result.actions] == [2, "absent"]
    (warning,) = result.warnings
    assert (warning.item, warning.field) == (1, "entity.title")
    assert "item 1" in str(warning)


def test_search_query_identifier_and_relation() -> None:
    query = {
        "combinator": "'and'",
        "rules": [
            {"property": "'jiraKey'", "operator": "'='", "value": ".body.issue.key"},
            {
                "combinator": "'or'",
                "rules": [{"property": "'$team'", "operator": "'in'", "value": '["a", "b"]'}],
            },
        ],
    }
    spec = rule(
        entity={
            "identifier": query,
            "relations": {
                "owner": {
                    "combinator": "'and'",
                    "rules": [
                        {"property": "'$title'", "operator": "'='", "value": ".body.issue.fields.summary"}
                    ],
                }
            },
        }
    )
    (action,) = mapping_of(spec).evaluate(BODY)
    assert action.entity["identifier"] == {
        "combinator": "and",
        "rules": [
            {"property": "jiraKey", "operator": "=", "value": "OPS-7"},
            {"combinator": "or", "rules": [{"property": "$team", "operator": "in", "value": ["a", "b"]}]},
        ],
    }
    assert action.entity["relations"]["owner"]["rules"][0]["value"] == "Rotate keys"


def test_headers_query_params_and_base_url_are_visible() -> None:
    spec = rule(
        entity=entity(
            properties={
                "source": '.headers."x-jira-port-source"',
                "param": ".queryParams.project",
                "base": "$jira_base_url",
                "auth": ".headers.authorization",
            }
        )
    )
    mapping = mapping_of(spec)
    headers = {"X-Jira-Port-Source": "backfill", "Authorization": "Bearer secret-token"}
    (action,) = mapping.evaluate(BODY, headers, {"project": "OPS"}, jira_base_url="https://jira.example.com/")
    assert action.entity["properties"] == {
        "source": "backfill",
        "param": "OPS",
        "base": "https://jira.example.com",
        "auth": None,  # credentials never reach jq
    }
    (action,) = mapping.evaluate(BODY)
    assert action.entity["properties"]["base"] is None


def test_environment_is_hidden_like_in_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SECRET", "hunter2")
    (action,) = mapping_of(rule(entity=entity(properties={"a": "$ENV", "b": "env"}))).evaluate(BODY)
    assert action.entity["properties"] == {"a": {}, "b": {}}


def test_a_halting_expression_only_nulls_its_own_field() -> None:
    spec = rule(entity=entity(title=".body.issue.fields.summary", properties={"h": '"stop" | halt_error'}))
    result = mapping_of(spec, rule(blueprint="other")).evaluate_detailed(BODY)
    assert [a.blueprint for a in result.actions] == ["jiraIssue", "other"]
    assert result.actions[0].entity["title"] == "Rotate keys"
    assert result.actions[0].entity["properties"] == {"h": None}
    assert "halt" in result.warnings[0].message


def test_relevant_is_true_iff_some_filter_is_true() -> None:
    mapping = mapping_of(
        rule(filter='.body.webhookEvent == "jira:issue_created"'),
        rule(filter='.headers."x-jira-port-source" == "backfill"'),
    )
    assert mapping.relevant(BODY) is False
    assert mapping.relevant(BODY, {"x-jira-port-source": "backfill"}) is True
    assert mapping.relevant({**BODY, "webhookEvent": "jira:issue_created"}) is True
    assert mapping_of(rule()).relevant({}) is True


def test_odd_bodies_never_raise() -> None:
    mapping = mapping_of(rule(filter=".body.a.b", entity=entity(title=".body.issue.x")))
    bodies: list[Any] = [{}, [], "text", None, {"a": "b"}, {"issue": []}, {"x": float("nan")}]
    for body in bodies:
        assert mapping.evaluate(body) == []
        mapping.relevant(body)


def test_relevant_fails_open_when_jq_cannot_decide() -> None:
    # A filter that halts jq stops the whole filters program: keep the event, the full evaluation reports.
    mapping = mapping_of(rule(filter="halt_error"))
    assert mapping.relevant(BODY) is True
    result = mapping.evaluate_detailed(BODY)
    assert result.actions == []
    assert "halt" in result.warnings[0].message


def test_concurrent_evaluation_from_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    spec = rule(entity=entity(title=".body.issue.fields.summary", properties={"n": ".body.n"}))
    mapping = mapping_of(spec)
    bodies = [{**BODY, "n": n} for n in range(200)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(mapping.evaluate, bodies))
    assert [r[0].entity["properties"]["n"] for r in results] == list(range(200))
