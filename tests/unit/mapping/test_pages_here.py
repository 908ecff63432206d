"""A proven mapping with a large enough gate maps cut pages in this process, in runs within its gate, with
exactly the actions and warnings of mapping the issues one by one; other pages go to the worker."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from jira_port.backfill.mapper import BACKFILL_HEADERS, ISSUE_EVENT, BackfillMapper
from jira_port.jira.models import IssuePage
from jira_port.mapping import BUNDLED_MAPPINGS, CompiledMapping, load_mapping
from jira_port.mapping.issue_fields import derive_issue_fields
from jira_port.mapping.pages import MIN_GATE_CHARS, evaluate_page, maps_here, page_program, page_runs
from jira_port.mapping.programs import compile_program
from tests.support.fixtures import capture_issues
from tests.support.kinds import without_kind_rules
from tests.unit.mapping.test_pages import BASE_URL, READ_AT, emulator_issues, one_by_one, search_page


def _no_worker(mapping: CompiledMapping) -> CompiledMapping:
    """``mapping`` whose bounded runs fail the test: whatever maps must map in this process."""
    here = copy.copy(mapping)

    def first(*_: Any, **__: Any) -> Any:
        raise AssertionError("a page of a mapping that maps here went to the worker")

    here.first = first  # type: ignore[method-assign]
    return here


def _issues(source: str) -> list[dict[str, Any]]:
    return capture_issues() if source == "captures" else emulator_issues(source)


@pytest.mark.parametrize("source", ["captures", "cloud", "server"])
@pytest.mark.parametrize("name", sorted(BUNDLED_MAPPINGS))
def test_a_bundled_mapping_maps_a_page_here_like_its_issues_one_by_one(name: str, source: str) -> None:
    mapping, issues = load_mapping(name), _issues(source)
    assert maps_here(mapping) and mapping.gate >= MIN_GATE_CHARS
    expected = BackfillMapper(mapping, BASE_URL).map_issues(issues, READ_AT)
    mapper = BackfillMapper(_no_worker(mapping), BASE_URL)
    assert mapper._page_program(mapper.mapping.current())[2] is not None
    by_page = mapper.map_page(IssuePage(issues, None, search_page(issues, None), 0), READ_AT)
    assert by_page == expected and by_page.actions


def _evaluate(mapping: CompiledMapping, issues: list[dict[str, Any]], *, here: bool = True) -> Any:
    shape = derive_issue_fields(mapping.rules).shape
    assert shape is not None
    program = page_program(mapping, ISSUE_EVENT, BACKFILL_HEADERS)
    compiled = compile_program(program, BASE_URL.rstrip("/")) if here else None
    return evaluate_page(
        mapping, program, search_page(issues, None), skip=0, count=len(issues), read_at_ms=READ_AT,
        jira_base_url=BASE_URL, cut=(issues, shape), here=compiled,
    )  # fmt: skip


def test_a_page_larger_than_the_gate_maps_here_in_runs_within_it() -> None:
    mapping, issues = copy.copy(load_mapping(None)), emulator_issues("cloud")
    shape = derive_issue_fields(mapping.rules).shape
    assert shape is not None
    whole = page_runs(issues, READ_AT, shape, mapping.gate)
    assert whole is not None and len(whole) == 1
    mapping.gate = len(whole[0]) // 5
    runs = page_runs(issues, READ_AT, shape, mapping.gate)
    assert runs is not None and 5 <= len(runs) <= 7 and all(len(run) <= mapping.gate for run in runs)
    assert [i for run in runs for i in json.loads(run)["p"]["issues"]] == json.loads(whole[0])["p"]["issues"]
    assert _evaluate(_no_worker(mapping), issues) == one_by_one(mapping, issues)


def test_an_issue_larger_than_the_gate_sends_its_page_to_the_worker() -> None:
    mapping, issues = copy.copy(load_mapping(None)), emulator_issues("cloud")
    shape = derive_issue_fields(mapping.rules).shape
    assert shape is not None
    mapping.gate = 200  # less than any cut issue
    assert page_runs(issues, READ_AT, shape, mapping.gate) is None
    assert _evaluate(mapping, issues) == one_by_one(mapping, issues)
    with pytest.raises(AssertionError, match="went to the worker"):
        _evaluate(_no_worker(mapping), issues)


def test_a_proven_mapping_with_a_small_gate_maps_its_pages_in_the_worker() -> None:
    mapping = without_kind_rules()  # an edited default: gated by its own (loose) factors
    assert mapping.proven and mapping.gate < MIN_GATE_CHARS and not maps_here(mapping)
    assert BackfillMapper(mapping, BASE_URL)._page_program(mapping)[2] is None


def test_a_page_here_with_an_issue_jq_cannot_map_is_left_to_the_per_issue_path() -> None:
    mapping = load_mapping(None)
    assert _evaluate(mapping, [*capture_issues()[:2], None]) is None  # type: ignore[list-item]
