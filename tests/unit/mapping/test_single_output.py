"""A field the proof bounds to one output runs without ``first()``: on every captured delivery, and on
every issue of the captures as a backfill page builds it, ``[expr]`` gives what ``[first(expr)]`` gives
(the same value, nothing, or the same error) for each such field of every bundled mapping."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.mapping import BUNDLED_MAPPINGS, load_mapping
from jira_port.mapping.model import build_document, document_text
from jira_port.mapping.programs import PRELUDE, compile_program, single_output
from tests.support.fixtures import capture_issues, fixture_paths, load_fixture


def _documents() -> list[str]:
    bodies: list[Any] = [load_fixture(f"jira-webhooks/{p.name}") for p in fixture_paths("jira-webhooks")]
    bodies += [{"webhookEvent": "jira:issue_updated", "issue": issue} for issue in capture_issues()]
    bodies += [{}, {"issue": None}, {"issue": {"fields": None}}, {"issue": {"fields": {"assignee": 3}}}]
    return [document_text(build_document(body, {"x-jira-port-source": "backfill"}, None)) for body in bodies]


def _outcomes(program: str, documents: list[str]) -> list[tuple[str, Any]]:
    compiled = compile_program(PRELUDE + program, "https://acme.atlassian.net")
    outcomes: list[tuple[str, Any]] = []
    for text in documents:
        try:
            outcomes.append(("value", compiled.input_text(text).first()))
        except ValueError as exc:
            outcomes.append(("error", str(exc)))
    return outcomes


@pytest.mark.parametrize("name", sorted(BUNDLED_MAPPINGS))
def test_fields_without_first_give_what_first_gives_on_every_capture(name: str) -> None:
    singles = sorted(
        {f.program for rule in load_mapping(name).rules for f in rule.fields if single_output(f.program)}
    )
    assert singles, "no field skips first()"
    documents = _documents()
    for program in singles:
        plain, first = (_outcomes(f"[{form}\n\n]", documents) for form in (program, f"first({program}\n\n)"))
        assert plain == first, program
