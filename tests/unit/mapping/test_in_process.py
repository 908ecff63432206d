"""A proven mapping maps in this process: no worker at load nor per event, up to the size gate."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from jira_port import observability
from jira_port.mapping import gate, load_mapping_text
from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.model import Event

# A memory cap no other test uses: its own worker pool, empty when the test starts.
OWN_POOL = EvaluationLimits(timeout_seconds=5.0, memory_mb=237)
HEADERS = {"x-jira-port-source": "webhook"}
RULES = [
    {
        "blueprint": "jiraIssue",
        "filter": '.body.webhookEvent | startswith("jira:issue")',
        "entity": {
            "identifier": ".body.issue.key",
            "title": '"\\(.body.issue.key): \\(.body.issue.fields.summary // "")"',
            "properties": {
                "labels": ".body.issue.fields.labels | map(ascii_downcase)",
                "words": '.body.issue.fields.summary | split(" ") | length',
            },
        },
    }
]


def _worker_children() -> set[int]:
    """The jq worker processes this process has running (``/proc``: their parent and command line)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and b"jq_worker.py" in command:
            found.add(int(entry.name))
    return found


def _event(summary: str) -> dict[str, Any]:
    fields = {"summary": summary, "labels": ["Ops", "UI"]}
    return {"webhookEvent": "jira:issue_updated", "issue": {"key": "P-1", "fields": fields}}


def test_a_proven_mapping_starts_no_worker_at_load_nor_per_event() -> None:
    before = _worker_children()
    mapping = load_mapping_text(json.dumps(RULES), source="no-worker", limits=OWN_POOL)
    assert mapping.proven and mapping.refusal is None
    actions = mapping.evaluate(_event("Fix the login page"), HEADERS)
    assert [a.entity["properties"] for a in actions] == [{"labels": ["ops", "ui"], "words": 4}]
    assert mapping.relevant(_event("x"), HEADERS) is True
    batch = mapping.evaluate_each([Event(_event(f"event {n}"), HEADERS) for n in range(3)])
    assert len(batch) == 3
    assert _worker_children() == before
    # The same mapping refused by the proof starts a worker: the check above can fail.
    forced = copy.copy(mapping)
    forced.refusal = "forced into the worker"
    assert forced.evaluate(_event("Fix the login page"), HEADERS) == actions
    assert _worker_children() - before


def test_a_body_past_the_size_gate_goes_to_the_bounded_worker(round_trips: list[bytes]) -> None:
    mapping = load_mapping_text(json.dumps(RULES), source="gate", limits=OWN_POOL)
    kinds = round_trips
    kinds.clear()  # count from here on
    small = mapping.evaluate(_event("small"), HEADERS)
    assert mapping.relevant(_event("small"), HEADERS) is True
    assert kinds == []
    big_summary = "word " * (gate.IN_PROCESS_MAX_CHARS // 5 + 1)
    big = mapping.evaluate(_event(big_summary), HEADERS)
    assert kinds == [b"R"]  # one bounded run in the worker
    assert big[0].entity["properties"]["words"] == gate.IN_PROCESS_MAX_CHARS // 5 + 2
    assert small[0].entity["properties"]["words"] == 1
    assert mapping.relevant(_event(big_summary), HEADERS) is True
    assert kinds == [b"R", b"R"]  # the relevance check too
    kinds.clear()
    batch = mapping.evaluate_each([Event(_event("a b"), HEADERS), Event(_event(big_summary), HEADERS)])
    assert kinds == [b"R"]  # only the big one
    assert [r.actions[0].entity["properties"]["words"] for r in batch if not isinstance(r, Exception)] == [
        2,
        gate.IN_PROCESS_MAX_CHARS // 5 + 2,
    ]


def test_an_unproven_mapping_keeps_the_worker_and_names_the_refused_construct(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = json.dumps(RULES).replace('split(\\" \\") | length', 'split(\\" \\") | join(\\",\\")')
    assert text != json.dumps(RULES)
    lines: list[str] = []
    monkeypatch.setattr(observability.logger, "debug", lambda message, *_, **__: lines.append(message))
    mapping = load_mapping_text(text, source="unproven", limits=OWN_POOL)
    assert not mapping.proven
    assert mapping.refusal == (
        "rule 0 (jiraIssue), entity.properties.words: "
        "`join` of an array of unbounded length (quadratic in jq; `add` is linear)"
    )
    assert mapping.relevance_refusal is None  # the filter alone is proven: relevance stays in-process
    assert lines == [
        f"unproven: maps in the worker: {mapping.refusal}; "
        f"relevance in-process up to {mapping.relevance_gate} chars"
    ]
