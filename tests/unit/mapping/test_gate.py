"""The in-process size gate: a proven mapping maps in this process only what its worst case allows."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from jira_port.mapping import gate, load_mapping, load_mapping_text
from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.evaluate import MappingLimitError
from jira_port.mapping.load import bundled_mapping_text

# 64 full passes of ascii_downcase over one field: proven (linear), and about 15 s in-process on a
# 240 KiB summary on this machine (256 took 60 s), far past any bound.
DOWNCASE = " + ".join(["(.body.issue.fields.summary | ascii_downcase | length)"] * 64)
RULES = [
    {"blueprint": "jiraIssue", "entity": {"identifier": ".body.issue.key", "properties": {"n": DOWNCASE}}}
]
FAST = EvaluationLimits(timeout_seconds=0.3)


def test_a_proven_but_costly_mapping_gets_a_small_gate_and_its_large_events_meet_the_bound(
    round_trips: list[bytes],
) -> None:
    mapping = load_mapping_text(json.dumps(RULES), limits=FAST)
    assert mapping.proven
    passes = gate.refusal(mapping.rules)[1]
    assert mapping.gate == int(FAST.timeout_seconds / 2 * 1e9 / gate.NS_PER_PASS_BYTE / passes)
    assert 0 < mapping.gate < 2_000
    assert round_trips  # the sample events are larger: checked in the worker at load
    round_trips.clear()
    small = {"issue": {"key": "A-1", "fields": {"summary": "Ab"}}}
    assert mapping.evaluate(small)[0].entity["properties"] == {"n": 128}
    assert round_trips == []  # within the gate: in this process
    large = {"issue": {"key": "A-2", "fields": {"summary": "Ab" * 120_000}}}
    with pytest.raises(MappingLimitError) as caught:  # in the worker, stopped at the bound
        mapping.evaluate(large)
    assert (caught.value.reason, caught.value.field) == ("time", "entity.properties.n")
    assert round_trips


def test_the_filters_get_their_own_gate() -> None:
    rules = [{**RULES[0], "filter": f"({DOWNCASE}) > 0"}]
    relevance_only = [
        {**RULES[0], "entity": {"identifier": ".body.issue.key"}, "filter": f"({DOWNCASE}) > 0"}
    ]
    assert load_mapping_text(json.dumps(rules)).relevance_gate < 10_000  # 2 s: about 0.6 s at the gate
    cheap = load_mapping_text(json.dumps([{**RULES[0], "filter": "true"}]))
    assert cheap.relevance_gate == gate.IN_PROCESS_MAX_CHARS
    assert load_mapping_text(json.dumps(relevance_only)).gate < 10_000


@pytest.mark.parametrize("copy", ["copy.yaml", "copy.json"])
def test_the_default_mapping_keeps_the_whole_gate_also_as_a_copy(copy: str, tmp_path: Path) -> None:
    assert load_mapping().gate == gate.IN_PROCESS_MAX_CHARS
    filename = "default-mapping.yaml" if copy.endswith("yaml") else "default-mapping.json"
    (tmp_path / copy).write_text(resources.files("jira_port").joinpath("data", filename).read_text())
    assert load_mapping(tmp_path / copy).gate == gate.IN_PROCESS_MAX_CHARS


def test_the_guides_mappings_earn_their_gates() -> None:
    assert load_mapping("cloud-guide").gate == 194_174  # 103 passes
    assert load_mapping("server-guide").gate == gate.IN_PROCESS_MAX_CHARS


def _default_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = json.loads(
        resources.files("jira_port").joinpath("data", "default-mapping.json").read_text()
    )
    return rules


def test_a_part_of_the_default_keeps_the_whole_gate(tmp_path: Path) -> None:
    rules = _default_rules()
    issue_rules = [r for r in rules if r["blueprint"] in ("jiraIssue", "jiraProject")]
    assert 1 < len(issue_rules) < len(rules)
    commented = tmp_path / "commented.yaml"
    commented.write_text(bundled_mapping_text("default") + "\n# owned by us now\n")
    for mapping in (load_mapping_text(json.dumps(issue_rules)), load_mapping(commented)):
        assert mapping.gate == mapping.relevance_gate == gate.IN_PROCESS_MAX_CHARS
    # the same work under another blueprint and title: jq runs the same expressions
    renamed = [{**issue_rules[0], "blueprint": "ticket"}]
    assert load_mapping_text(json.dumps(renamed)).gate == gate.IN_PROCESS_MAX_CHARS


@pytest.mark.parametrize("change", ["field", "filter removed", "rule twice"])
def test_more_or_other_work_than_the_default_is_gated_by_its_own_cost(change: str) -> None:
    rules = _default_rules()
    first = rules[0]
    if change == "field":
        first["entity"]["title"] = first["entity"]["title"] + ' + ""'
    elif change == "filter removed":
        assert first.pop("filter")
    else:
        rules.append(first)
    mapping = load_mapping_text(json.dumps(rules))
    assert mapping.proven
    assert not gate.within_measured(mapping.rules)
    assert 0 < mapping.gate < gate.IN_PROCESS_MAX_CHARS


def test_an_edited_default_is_gated_by_its_own_cost(tmp_path: Path) -> None:
    edited = tmp_path / "edited.yaml"
    text = bundled_mapping_text("default")
    edited.write_text(
        text.replace("title: .body.issue.fields.summary\n", 'title: .body.issue.fields.summary + ""\n', 1)
    )
    mapping = load_mapping(edited)
    passes = gate.refusal(mapping.rules)[1]
    assert mapping.proven
    assert mapping.gate == min(gate.IN_PROCESS_MAX_CHARS, int(1.0e9 / gate.NS_PER_PASS_BYTE / passes))
    assert mapping.gate < gate.IN_PROCESS_MAX_CHARS
