"""A batch of events in one worker round trip: the same results as one by one, a runaway fails alone,
and the calling thread runs on its worker's CPU only for the length of a run."""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from jira_port.mapping import bounded, load_mapping, load_mapping_text
from jira_port.mapping.bounded import EvaluationLimits, shared_runner
from jira_port.mapping.evaluate import CompiledMapping, MappingLimitError
from jira_port.mapping.model import Event, MappingResult
from tests.support.fixtures import FIXTURES

LAYER_MAPPINGS = Path(__file__).resolve().parents[3] / "layers/jira_port/jira_port/data/mappings"

FAST = EvaluationLimits(timeout_seconds=0.5, memory_mb=128)
HEADERS = {"x-jira-port-source": "webhook"}


def _captures(source: str = "webhook") -> list[Event]:
    events = []
    for path in sorted((FIXTURES / "jira-webhooks").glob("*.json")):
        raw = path.read_text(encoding="utf-8")
        events.append(Event(json.loads(raw), {"x-jira-port-source": source}, {"q": "1"}, raw))
    return events


def _in_the_worker(mapping: CompiledMapping) -> CompiledMapping:
    """``mapping`` as if the proof had refused it: every evaluation goes to the bounded worker."""
    forced = copy.copy(mapping)
    forced.refusal = "forced into the worker"
    return forced


@pytest.mark.parametrize("name", ["default", "cloud-guide", "server-guide"])
@pytest.mark.parametrize("source", ["webhook", "backfill"])
def test_a_batch_maps_each_event_exactly_as_alone_in_one_round_trip(
    name: str, source: str, round_trips: list[bytes]
) -> None:
    mapping = _in_the_worker(load_mapping(name))
    events = _captures(source)
    alone = [
        mapping.evaluate_detailed(
            e.body, e.headers, e.query_params, jira_base_url="https://x", raw_body=e.raw_body
        )
        for e in events
    ]
    kinds = round_trips
    kinds.clear()  # count from here on
    assert mapping.evaluate_each(events, jira_base_url="https://x") == alone
    assert kinds == [b"B"]


@pytest.mark.parametrize("name", ["default", "cloud-guide", "server-guide", "custom-fields.yaml"])
@pytest.mark.parametrize("source", ["webhook", "backfill"])
def test_a_proven_mapping_maps_in_process_exactly_as_the_worker(
    name: str, source: str, round_trips: list[bytes]
) -> None:
    mapping = load_mapping(name) if "." not in name else load_mapping(LAYER_MAPPINGS / name)
    assert mapping.proven
    events = _captures(source)
    kinds = round_trips
    kinds.clear()  # count from here on
    here = mapping.evaluate_each(events, jira_base_url="https://x")
    assert kinds == []  # no worker: neither a batch nor one event
    assert here == _in_the_worker(mapping).evaluate_each(events, jira_base_url="https://x")
    assert kinds == [b"B"]
    assert any(result.actions for result in here if isinstance(result, MappingResult))


def test_a_runaway_in_a_batch_fails_alone_naming_rule_and_field() -> None:
    status = 'if .body.issue.key == "RUN-1" then (def f: f; f) else "Open" end'
    rules = [
        {
            "blueprint": "jiraIssue",
            "entity": {"identifier": ".body.issue.key", "properties": {"status": status}},
        }
    ]
    mapping = load_mapping_text(json.dumps(rules), limits=FAST)
    keys = ["OK-1", "OK-2", "RUN-1", "OK-3"]
    results = mapping.evaluate_each([Event({"issue": {"key": key}}) for key in keys])
    error = results[2]
    assert isinstance(error, MappingLimitError)
    assert (error.rule, error.field, error.reason) == (0, "entity.properties.status", "time")
    for key, result in zip(keys, results, strict=True):
        if key != "RUN-1":
            assert isinstance(result, MappingResult)
            assert [a.identifier for a in result.actions] == [key]
            assert result.actions[0].entity["properties"] == {"status": "Open"}


def test_a_batch_keeps_per_event_semantics_for_halt_and_jq_errors() -> None:
    rules = [
        {
            "blueprint": "jiraIssue",
            "entity": {
                "identifier": ".body.issue.key",
                "properties": {"n": 'if .body.issue.key == "H-1" then halt else (.body.n + 1) end'},
            },
        }
    ]
    mapping = load_mapping_text(json.dumps(rules), limits=FAST)
    events = [
        Event({"issue": {"key": "A-1"}, "n": 1}),
        Event({"issue": {"key": "H-1"}}),
        Event({"issue": {"key": "E-1"}, "n": "x"}),
    ]
    assert mapping.evaluate_each(events) == [mapping.evaluate_detailed(e.body) for e in events]


def test_a_batch_of_an_affixed_mapping_is_affixed() -> None:
    mapping = load_mapping(None).for_site(prefix="eu:")
    events = _captures()[:3]
    results = mapping.evaluate_each(events)
    assert results == [mapping.evaluate_detailed(e.body, e.headers, e.query_params) for e in events]
    assert all(
        a.identifier.startswith("eu:") for r in results if isinstance(r, MappingResult) for a in r.actions
    )


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_a_run_joins_its_workers_cpu_and_the_thread_returns_to_its_own_cpus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = os.sched_getaffinity(0)
    during: list[tuple[set[int], set[int]]] = []  # (this thread's CPUs, the worker's) while waiting
    read = bounded._Worker._read

    def spying(self: Any, deadline: float) -> Any:
        during.append((os.sched_getaffinity(0), os.sched_getaffinity(self.process.pid)))
        return read(self, deadline)

    monkeypatch.setattr(bounded._Worker, "_read", spying)
    assert shared_runner(128).first(".a", None, '{"a": 1}', time.monotonic() + 5) == 1
    thread_cpus, worker_cpus = during[-1]
    assert len(worker_cpus) == 1 and worker_cpus <= home
    assert thread_cpus == worker_cpus
    assert os.sched_getaffinity(0) == home
