"""The program a mapping compiles at load is the one its first event runs (the webhook function's is the
relevance check): compiled for the deployment's ``JIRA_BASE_URL`` and handed to the first thread that
evaluates (the live functions load on a thread of their own), so a warm function never compiles it a second
time for its first request."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from jira_port.live import runtime
from jira_port.mapping import gate, programs
from jira_port.mapping.checks import MappingError
from jira_port.mapping.evaluate import CompiledMapping
from jira_port.mapping.load import load_mapping_text
from jira_port.mapping.model import data_text

RULES = [
    {
        "blueprint": "jiraIssue",
        "filter": '.body.webhookEvent == "jira:issue_updated"',
        "entity": {
            "identifier": ".body.issue.key",
            "properties": {"url": '$jira_base_url + "/browse/" + .body.issue.key'},
        },
    }
]
EVENT = {"webhookEvent": "jira:issue_updated", "issue": {"key": "ABC-1"}}


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The base URL of each compilation of a mapping's evaluation program."""
    seen: list[str | None] = []
    real = programs.compile_program

    def counted(text: str, jira_base_url: str | None = None) -> Any:
        if text.startswith(programs.PRELUDE + "["):
            seen.append(jira_base_url)
        return real(text, jira_base_url)

    monkeypatch.setattr(programs, "compile_program", counted)
    return seen


def _url(mapping: CompiledMapping, base: str | None) -> Any:
    """The ``url`` the first thread that evaluates gets, on a thread other than the loader's."""
    found: list[Any] = []
    worker = threading.Thread(
        target=lambda: found.append(
            mapping.evaluate(EVENT, jira_base_url=base)[0].entity["properties"]["url"]
        )
    )
    worker.start()
    worker.join()
    return found[0]


def test_the_first_thread_runs_the_program_compiled_at_load(compiles: list[str | None]) -> None:
    text = json.dumps(RULES) + " "  # a text of its own: not a cached mapping
    mapping = load_mapping_text(text, "json", jira_base_url="https://acme.atlassian.net/")
    assert compiles == ["https://acme.atlassian.net"]
    assert _url(mapping, "https://acme.atlassian.net") == "https://acme.atlassian.net/browse/ABC-1"
    assert compiles == ["https://acme.atlassian.net"]  # taken over, not compiled again
    # another thread, or another base URL, compiles its own (one program is never shared by two threads)
    assert _url(mapping, "https://acme.atlassian.net") == "https://acme.atlassian.net/browse/ABC-1"
    assert _url(mapping, "https://other.example") == "https://other.example/browse/ABC-1"
    assert compiles == ["https://acme.atlassian.net", "https://acme.atlassian.net", "https://other.example"]


def test_the_live_functions_compile_for_their_jira_base_url(
    compiles: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_BASE_URL", "https://live.atlassian.net")
    monkeypatch.setenv("MAPPING_CONFIG", json.dumps(RULES) + "  ")
    runtime.start_live_mapping()
    mapping = runtime.live_mapping().current()
    assert compiles == ["https://live.atlassian.net"]
    assert _url(mapping, "https://live.atlassian.net") == "https://live.atlassian.net/browse/ABC-1"
    assert compiles == ["https://live.atlassian.net"]


@pytest.fixture
def relevance_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which program each compilation was: ``evaluation`` or ``relevance``."""
    seen: list[str] = []
    real = programs.compile_program

    def counted(text: str, jira_base_url: str | None = None) -> Any:
        if text.startswith(programs.PRELUDE + "["):
            seen.append("evaluation")
        elif text.startswith(programs.PRELUDE + "any("):
            seen.append("relevance")
        return real(text, jira_base_url)

    monkeypatch.setattr(programs, "compile_program", counted)
    return seen


def _relevant(mapping: CompiledMapping) -> bool:
    """The first relevance check, on a thread other than the loader's (as the webhook function runs it)."""
    found: list[bool] = []
    worker = threading.Thread(
        target=lambda: found.append(mapping.relevant(EVENT, jira_base_url="https://a.b"))
    )
    worker.start()
    worker.join()
    return found[0]


def test_the_webhook_compiles_its_relevance_check_at_load(relevance_compiles: list[str]) -> None:
    # an edited mapping: its evaluation program is compiled too, which validates its fields
    mapping = load_mapping_text(
        json.dumps(RULES) + "   ", "json", jira_base_url="https://a.b", first="relevance"
    )
    assert relevance_compiles == ["evaluation", "relevance"]
    assert _relevant(mapping) is True
    assert relevance_compiles == ["evaluation", "relevance"]  # the first check compiled nothing
    broken = [{**RULES[0], "entity": {"identifier": ".body.issue.key | ascii_upcase("}}]
    with pytest.raises(MappingError, match=r"identifier"):
        load_mapping_text(json.dumps(broken), "json", first="relevance")


def test_the_bundled_default_is_not_compiled_twice_for_the_webhook(relevance_compiles: list[str]) -> None:
    # the default's expressions all compile (it is loaded for the sync function in every live test)
    text = data_text(gate.MEASURED_FILE) + "    "  # the same mapping, not the cached one
    mapping = load_mapping_text(text, "json", jira_base_url="https://a.b", first="relevance")
    assert relevance_compiles == ["relevance"]
    assert _relevant(mapping) is True
    assert relevance_compiles == ["relevance"]


def test_the_webhook_function_loads_for_its_relevance_check(
    relevance_compiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_BASE_URL", "https://a.b")
    monkeypatch.setenv("MAPPING_CONFIG", json.dumps(RULES) + "     ")
    runtime.start_live_mapping("relevance")
    mapping = runtime.live_mapping().current()
    assert relevance_compiles == ["evaluation", "relevance"]
    assert _relevant(mapping) is True
    assert relevance_compiles == ["evaluation", "relevance"]
