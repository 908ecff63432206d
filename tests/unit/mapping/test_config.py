"""Loading a mapping: both accepted shapes, JSON and YAML, and every invalid config fails at load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jira_port.errors import ConfigError
from jira_port.mapping import MappingError, load_mapping, load_mapping_text

RULE: dict[str, Any] = {
    "blueprint": "jiraIssue",
    "filter": '.body.webhookEvent == "jira:issue_created"',
    "entity": {"identifier": ".body.issue.key", "title": ".body.issue.fields.summary"},
}
BODY = {"webhookEvent": "jira:issue_created", "issue": {"key": "OPS-1", "fields": {"summary": "S"}}}


def load_rules(*rules: Any) -> Any:
    return load_mapping_text(json.dumps(list(rules)))


def error_of(*rules: Any) -> str:
    with pytest.raises(MappingError) as caught:
        load_rules(*rules)
    return str(caught.value)


def test_mapping_error_is_a_config_error() -> None:
    assert issubclass(MappingError, ConfigError)


def test_a_list_of_rules_and_ports_webhook_object_load_alike() -> None:
    webhook = {
        "identifier": "jira_mapper",
        "title": "Jira mapper",
        "enabled": True,
        "mappings": [RULE],
        "security": {},
    }
    as_list = load_rules(RULE).evaluate(BODY)
    as_webhook = load_mapping_text(json.dumps(webhook)).evaluate(BODY)
    as_api_response = load_mapping_text(json.dumps({"ok": True, "integration": webhook})).evaluate(BODY)
    assert as_list == as_webhook == as_api_response
    assert as_list[0].entity == {"identifier": "OPS-1", "title": "S", "properties": {}, "relations": {}}


def test_yaml_config_with_anchors(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(
        """
- blueprint: jiraIssue
  filter: .body.webhookEvent == "jira:issue_created"
  entity:
    identifier: .body.issue.key
    properties: &props
      summary: .body.issue.fields.summary
- blueprint: jiraIssue
  filter: "false"
  entity:
    identifier: .body.issue.key
    properties: *props
""",
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    (action,) = mapping.evaluate(BODY)
    assert action.entity["properties"] == {"summary": "S"}
    assert mapping.blueprints == frozenset({"jiraIssue"})


def test_format_is_detected_from_the_file_name_or_the_text(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps([RULE]), encoding="utf-8")
    (tmp_path / "m.yml").write_text(json.dumps([RULE]), encoding="utf-8")  # JSON is YAML too
    (tmp_path / "m.txt").write_text("- blueprint: x\n  entity: {identifier: .a}\n", encoding="utf-8")
    for name in ("m.json", "m.yml", "m.txt"):
        assert load_mapping(tmp_path / name).rules


def test_bundled_names_load() -> None:
    assert load_mapping(None) is load_mapping("default")
    assert load_mapping("cloud-guide").blueprints == frozenset({"jiraIssue"})
    assert load_mapping("server-guide").blueprints == frozenset({"jiraIssue", "jiraProject"})


def test_bad_jq_names_rule_field_and_jq_error() -> None:
    bad = {**RULE, "entity": {"identifier": ".body.issue.key", "properties": {"status": ".body.issue |"}}}
    message = error_of(RULE, bad)
    assert "rule 1, entity.properties.status: jq error: syntax error" in message
    assert "(expression: .body.issue |)" in message


def test_undefined_function_and_variable_fail_at_load() -> None:
    bad = {**RULE, "filter": "nosuchfn(1)", "entity": {"identifier": "$nope"}}
    message = error_of(bad)
    assert "rule 0, filter: jq error: nosuchfn/1 is not defined" in message
    assert "rule 0, entity.identifier: jq error: $nope is not defined" in message


def test_jira_base_url_variable_is_defined() -> None:
    mapping = load_rules({**RULE, "entity": {"identifier": ".body.issue.key", "title": "$jira_base_url"}})
    (action,) = mapping.evaluate(BODY, jira_base_url="https://acme.atlassian.net/")
    assert action.entity["title"] == "https://acme.atlassian.net"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({**RULE, "mapping": "x"}, "rule 0, mapping: unknown key"),
        (
            {**RULE, "entity": {"identifier": ".a", "propertiez": {}}},
            "rule 0, entity.propertiez: unknown key",
        ),
        (
            {"entity": RULE["entity"]},
            "rule 0, blueprint: must be a blueprint identifier (a literal string), got missing",
        ),
        ({**RULE, "blueprint": '"jiraIssue"'}, "not jq: write jiraIssue, not an Ocean-style quoted string"),
        ({**RULE, "entity": {"title": ".a"}}, "rule 0, entity.identifier: missing"),
        ({"blueprint": "x"}, "rule 0, entity: must be an object, got missing"),
        ({**RULE, "filter": True}, "rule 0, filter: must be a jq expression string, got a boolean (quote it"),
        ({**RULE, "itemsToParse": ["a"]}, "rule 0, itemsToParse: must be a jq expression string, got a list"),
        (
            {**RULE, "entity": {"identifier": ".a", "properties": []}},
            "rule 0, entity.properties: must be an object",
        ),
        (
            {**RULE, "entity": {"identifier": ".a", "properties": {"x": 1}}},
            "entity.properties.x: must be a jq",
        ),
        ({**RULE, "entity": {"identifier": ".a", "properties": {"bad key": ".a"}}}, "invalid key"),
        ({**RULE, "entity": {"identifier": "  "}}, "rule 0, entity.identifier: empty jq expression"),
        ({**RULE, "operation": "upsert"}, 'rule 0, operation: must be "create", "delete"'),
        ({**RULE, "operation": {"type": "delete", "deleteDependents": "yes"}}, "operation.deleteDependents"),
        ({**RULE, "operation": {"type": "delete", "cascade": True}}, "rule 0, operation: must be"),
        (
            {**RULE, "operation": "delete"},
            "rule 0, entity.title: a delete rule's entity holds only identifier",
        ),
        (
            {**RULE, "entity": {"identifier": {"combinator": "'and'"}}},
            "entity.identifier: a search query needs exactly the keys combinator and rules",
        ),
        ("not a rule", "rule 0: a rule must be an object, got a string"),
    ],
)
def test_invalid_rules_fail_at_load_naming_rule_and_field(rule: Any, expected: str) -> None:
    assert expected in error_of(rule)


def test_all_problems_are_reported_together() -> None:
    message = error_of({**RULE, "extra": 1}, {**RULE, "filter": "("})
    assert "2 problems" in message
    assert "rule 0, extra: unknown key" in message
    assert "rule 1, filter: jq error" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]", "the mapping has no rules"),
        ('{"title": "x"}', "expected a list of rules or a webhook object with 'mappings'"),
        ('{"resources": []}', "this looks like an Ocean integration config"),
        ('"just text"', "expected a list of rules, got a string"),
        ('[{"blueprint": "a", "blueprint": "b"}]', "duplicate key 'blueprint'"),
        ('[{"blueprint": "a",]', "not valid JSON"),
        ("- blueprint: a\n  blueprint: b\n", "duplicate key 'blueprint'"),
        ("- blueprint: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_documents(text: str, expected: str) -> None:
    with pytest.raises(MappingError, match="invalid mapping") as caught:
        load_mapping_text(text)
    assert expected in str(caught.value)


def test_unreadable_file_names_the_file_and_the_bundled_names(tmp_path: Path) -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping(tmp_path / "missing.yaml")
    assert "missing.yaml" in str(caught.value)
    assert "bundled names: default, cloud-guide, server-guide" in str(caught.value)


def test_compiled_mappings_are_cached_by_text() -> None:
    text = json.dumps([RULE])
    assert load_mapping_text(text) is load_mapping_text(text)
