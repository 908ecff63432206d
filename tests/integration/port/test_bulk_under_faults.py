"""Thousands of entities through the client against a faulty local Port: all land, exactly once, in bulk."""

from __future__ import annotations

import math
from typing import Any

import pytest

from jira_port_emulators.port import PortFaults
from tests.support.port_emulator import client_for, new_emulator

COUNT = 2000
BULK = "/v1/blueprints/jiraIssue/entities/bulk"
TOKEN = "/v1/auth/access_token"


def issues(count: int) -> list[dict[str, Any]]:
    return [
        {
            "identifier": f"PROJ-{i}",
            "title": f"Issue {i}",
            "properties": {
                "summary": f"Issue {i}",
                "status": ["To Do", "In Progress", "Done"][i % 3],
                "labels": [f"l{i % 7}"],
                "created": "2024-05-01T10:00:00.000+0000",
                "url": f"https://example.atlassian.net/browse/PROJ-{i}",
                "resolutionDate": None,
            },
            "relations": {"project": f"P{i % 5}"},
        }
        for i in range(count)
    ]


@pytest.mark.slow
def test_2000_entities_land_exactly_once_despite_faults() -> None:
    # Given a Port that answers 10 % of requests with 5xx/429, takes 50 ms each, and whose tokens live 5 s
    faults = PortFaults(latency=0.05, error_rate=0.05, throttle_rate=0.05, retry_after=0.05, seed=7)
    emu = new_emulator(faults=faults, token_lifetime=5)
    wanted = issues(COUNT)
    with emu.running(), client_for(emu, max_concurrency=8) as client:
        # When the client upserts them in bulk
        result = client.upsert_entities("jiraIssue", wanted)
        stats = client.stats.snapshot()
    # Then every entity is present, created once, and equal to the input
    assert result.ok, result.failures[:3]
    assert len(result.succeeded) == COUNT and result.created == COUNT
    stored = emu.entities("jiraIssue")
    assert set(stored) == {e["identifier"] for e in wanted}
    for entity in wanted:
        got = stored[entity["identifier"]]
        assert (got["title"], got["properties"], got["relations"]) == (
            entity["title"],
            entity["properties"],
            entity["relations"],
        )
        assert emu.creation_count("jiraIssue", entity["identifier"]) == 1
    assert all(emu.creation_count("jiraProject", f"P{i}") == 1 for i in range(5))
    # And bulk was used: close to ceil(2000 / 20) requests plus retries of the 10 % faults
    minimum = math.ceil(COUNT / 20)
    api_requests = emu.request_count() - emu.request_count(path=TOKEN)
    assert emu.request_count(method="POST", path=BULK) == api_requests
    assert minimum <= api_requests <= 1.35 * minimum
    assert emu.request_count(path=TOKEN) <= 10
    assert stats["retries_throttled"] > 0 and stats["retries_server_error"] > 0  # the faults really happened


def test_short_lived_tokens_are_renewed_during_a_run() -> None:
    emu = new_emulator(token_lifetime=1, faults=PortFaults(latency=0.02, seed=1))
    with emu.running(), client_for(emu, max_concurrency=2) as client:
        first = client.upsert_entities("jiraIssue", issues(300))
        token_calls_before = emu.request_count(path=TOKEN)
        emu.expire_tokens()  # what 1 s of wall time would do, without sleeping
        second = client.upsert_entities("jiraIssue", issues(300))
    assert first.ok and second.ok
    assert emu.request_count(path=TOKEN) > token_calls_before
    assert emu.request_count(status=401) <= 2 * 2  # at most the in-flight requests hit the dead token
    assert len(emu.entities("jiraIssue")) == 300


def test_one_invalid_entity_in_a_bulk_is_reported_and_the_others_land() -> None:
    emu = new_emulator()
    batch = issues(20)
    batch[11]["properties"]["nope"] = "not in the blueprint"
    with emu.running(), client_for(emu) as client:
        result = client.upsert_entities("jiraIssue", batch)
    [failure] = result.failures
    assert (failure.identifier, failure.status, failure.error, failure.transient) == (
        "PROJ-11",
        422,
        "invalid_entity",
        False,
    )
    assert "nope" in failure.message
    assert len(result.succeeded) == 19 and "PROJ-11" not in emu.entities("jiraIssue")
    assert len(emu.entities("jiraIssue")) == 19
    assert emu.request_count(path=BULK) == 1
