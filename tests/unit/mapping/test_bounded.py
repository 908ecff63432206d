"""Bounded evaluation: a runaway expression ends in ``MappingLimitError`` naming rule and field, the
worker is replaced, and a mapping that runs away on the bundled samples is refused at load."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import jq
import pytest

from jira_port.mapping import MappingError, load_mapping, load_mapping_text
from jira_port.mapping.bounded import EvaluationLimits, LimitExceededError, shared_runner
from jira_port.mapping.evaluate import MappingLimitError
from tests.support.fixtures import FIXTURES

FAST = EvaluationLimits(timeout_seconds=0.5, memory_mb=128)
FOREVER = "def f: f; f"
MEMORY_BOMB = "[range(1e12)] | length"


def _mapping(status: str, filter_: str = "true", *, limits: EvaluationLimits = FAST) -> Any:
    rules = [
        {
            "blueprint": "jiraIssue",
            "filter": filter_,
            "entity": {"identifier": ".body.issue.key", "properties": {"status": status}},
        }
    ]
    return load_mapping_text(json.dumps(rules), limits=limits)


def _when(key: str, expression: str, otherwise: str) -> str:
    return f'if .body.issue.key == "{key}" then ({expression}) else {otherwise} end'


def test_a_runaway_field_names_rule_and_field_and_the_next_event_maps() -> None:
    mapping = _mapping(_when("RUN-1", FOREVER, '"Open"'))
    with pytest.raises(MappingLimitError) as caught:
        mapping.evaluate({"issue": {"key": "RUN-1"}})
    error = caught.value
    assert (error.rule, error.field, error.reason) == (0, "entity.properties.status", "time")
    assert "rule 0 (jiraIssue), entity.properties.status (if .body.issue.key" in str(error)
    assert "did not finish within the bound of 0.5 s per event" in str(error)
    # the killed worker was replaced: the next event maps normally
    (action,) = mapping.evaluate({"issue": {"key": "OK-1"}})
    assert action.entity["properties"] == {"status": "Open"}


def test_a_memory_bomb_in_a_filter_is_reported_as_memory() -> None:
    limits = EvaluationLimits(timeout_seconds=20, memory_mb=128)
    mapping = _mapping('"Open"', _when("RUN-1", MEMORY_BOMB, "true"), limits=limits)
    started = time.monotonic()
    with pytest.raises(MappingLimitError) as caught:
        mapping.evaluate({"issue": {"key": "RUN-1"}})
    assert (caught.value.rule, caught.value.field, caught.value.reason) == (0, "filter", "memory")
    assert "needed more memory than the bound of 128 MiB" in str(caught.value)
    assert time.monotonic() - started < 20  # the cap, not the deadline, stopped it
    assert len(mapping.evaluate({"issue": {"key": "OK-1"}})) == 1


def test_jq_errors_stay_warnings_not_limit_errors() -> None:
    mapping = _mapping('error("boom")')
    result = mapping.evaluate_detailed({"issue": {"key": "OK-1"}})
    assert result.actions[0].entity["properties"] == {"status": None}
    assert [w.field for w in result.warnings] == ["entity.properties.status"]


def test_the_relevance_check_fails_open_past_the_bound() -> None:
    mapping = _mapping('"Open"', _when("RUN-1", FOREVER, "false"))
    assert mapping.relevant({"issue": {"key": "RUN-1"}}) is True
    assert mapping.relevant({"issue": {"key": "OK-1"}}) is False


def test_a_mapping_that_runs_away_on_the_bundled_samples_is_refused_at_load() -> None:
    with pytest.raises(MappingError) as caught:
        _mapping('"Open"', f"({FOREVER}) | true")
    message = str(caught.value)
    assert "rule 0, filter: did not finish within the bound of 0.5 s per event" in message
    assert "on the sample jira:issue_created (sample event 0)" in message


def test_other_threads_keep_running_while_a_runaway_is_evaluated() -> None:
    mapping = _mapping(_when("RUN-1", FOREVER, '"Open"'), limits=EvaluationLimits(1.0, 128))
    ticks: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        with pytest.raises(MappingLimitError):
            mapping.evaluate({"issue": {"key": "RUN-1"}})
    finally:
        stop.set()
        ticker.join()
    # the GIL was free while jq ran in the worker: no gap of the length of the bound
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.5


def test_bundled_mappings_evaluate_the_same_bounded_and_unbounded() -> None:
    body = {"webhookEvent": "jira:issue_created", "issue": {"id": "1", "key": "A-1", "fields": {}}}
    bounded = load_mapping("default")
    unbounded = load_mapping("default", limits=None)
    assert bounded.evaluate(body) == unbounded.evaluate(body)


def test_runner_semantics_match_jq() -> None:
    runner = shared_runner(128)
    deadline = time.monotonic() + 5
    assert runner.first(".a + 1", None, '{"a": 1}', deadline) == 2
    assert runner.first("$jira_base_url", "https://x", "{}", deadline) == "https://x"
    with pytest.raises(StopIteration):
        runner.first("empty", None, "{}", deadline)
    with pytest.raises(ValueError, match="boom"):
        runner.first('error("boom")', None, "{}", deadline)
    with pytest.raises(LimitExceededError):
        runner.first(FOREVER, None, "{}", time.monotonic() + 0.1)


def test_a_worker_answers_every_value_as_in_process_jq_gives_it() -> None:
    # Answers travel in marshal's format, or as JSON when nested deeper than marshal goes (2,000 levels).
    runner, deadline = shared_runner(128), time.monotonic() + 5
    text = '{"a": [1.0, 1.5, 1e1000, 100000000000000000001, "\\ud83d\\ude00", {"c": true}], "d": "é"}'
    for program in (".", ". as $x | [$x, $x]", "reduce range(2500) as $i (null; [.])"):
        assert runner.first(program, None, text, deadline) == jq.compile(program).input_text(text).first()


@pytest.mark.parametrize("name", ["default", "cloud-guide", "server-guide"])
def test_the_raw_body_text_maps_exactly_like_the_parsed_body(name: str) -> None:
    mapping = load_mapping(name)
    for path in sorted((FIXTURES / "jira-webhooks").glob("*.json")):
        raw = path.read_text(encoding="utf-8")
        body = json.loads(raw)
        headers = {"x-jira-port-source": "webhook"}
        expected = mapping.evaluate_detailed(body, headers, {"q": "1"}, jira_base_url="https://x")
        spliced = mapping.evaluate_detailed(
            body, headers, {"q": "1"}, jira_base_url="https://x", raw_body=raw
        )
        assert spliced == expected, path.name
        assert mapping.relevant(body, headers, raw_body=raw) == mapping.relevant(body, headers)


def test_exiting_kills_a_worker_stuck_in_a_runaway_expression() -> None:
    script = """
import threading, time
from jira_port.mapping.bounded import shared_runner, _workers
runner = shared_runner(128)
args = ("def f: f; f", None, "{}", time.monotonic() + 60)
threading.Thread(target=runner.first, args=args, daemon=True).start()
while not _workers:
    time.sleep(0.01)
time.sleep(0.3)
print(next(iter(_workers)).process.pid, flush=True)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    pid = int(done.stdout.strip())
    time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
