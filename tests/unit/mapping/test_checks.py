"""Load-time checks: one compilation for the whole mapping, yet as strict as compiling each expression."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_port.mapping import MappingError, load_mapping_text
from jira_port.mapping.checks import self_contained

BODY = {"issue": {"key": "OPS-1", "fields": {"summary": "S"}}}


def load_field(expression: str) -> Any:
    rule = {"blueprint": "b", "entity": {"identifier": ".body.issue.key", "properties": {"p": expression}}}
    return load_mapping_text(json.dumps([rule]))


@pytest.mark.parametrize(
    "program",
    [
        ".a",
        '"(" + .a + "]"',
        '"x\\(.a | tostring)y"',
        '"nested \\("inner \\(1 + 2) )" + "(") end"',
        '"escaped \\\\(" + .a',
        ".a # a comment with ) and ]",
        ".a # continued comment \\\n ) still a comment\n",
        "[.a, {b: (.c)}]",
        '@base64 "\\(.a)"',
    ],
)
def test_self_contained_expressions(program: str) -> None:
    assert self_contained(program)


@pytest.mark.parametrize(
    "program",
    [".a)", "(.a", ".a]", "{a: 1", '"unterminated', '"x\\(.a"', "(.a]", ".a # comment \\\\\n )"],
)
def test_not_self_contained_expressions(program: str) -> None:
    assert not self_contained(program)


def test_an_expression_cannot_break_out_of_its_wrapper() -> None:
    # Compiles only when embedded (it closes the wrapper and reopens one): jq alone rejects it.
    sneaky = '.a\n\n)] catch {"e": .}), (try [first(.b'
    with pytest.raises(MappingError, match=r"rule 0, entity\.properties\.p: jq error"):
        load_field(sneaky)


def test_internal_names_are_reserved() -> None:
    with pytest.raises(
        MappingError, match=r"entity\.properties\.p: .*names starting with \$__jp_ are reserved"
    ):
        load_field("$__jp_f")


def test_comments_and_interpolation_work_in_fields() -> None:
    mapping = load_field('"key=\\(.body.issue.key)" # a trailing comment \\\n')
    (action,) = mapping.evaluate(BODY)
    assert action.entity["properties"] == {"p": "key=OPS-1"}


def test_a_field_that_compiles_only_in_context_is_rejected() -> None:
    # `$item` is not a variable of Port's mappings (the item is `.item`).
    with pytest.raises(MappingError, match=r"\$item is not defined"):
        load_field("$item")
