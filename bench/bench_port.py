"""Port write throughput: bulk upserts (20 per request, concurrent) vs one entity per request.

The local Port emulator adds 40 ms to every request, a stand-in for the round trip to api.port.io.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jira_port.port import PortClient
from jira_port_emulators.port import PortFaults
from jira_port_tools.port_admin import get_blueprint, upsert_entity
from tests.support.port_emulator import client_for, new_emulator

LATENCY = 0.04
BULK_COUNT = 2000
SINGLE_COUNT = 200  # one-by-one is slow; its rate is measured on fewer entities


def issues(count: int) -> list[dict[str, Any]]:
    return [
        {
            "identifier": f"BENCH-{i}",
            "title": f"Issue {i}",
            "properties": {"summary": f"Issue {i}", "status": "To Do", "labels": ["bench"]},
            "relations": {"project": "BENCH"},
        }
        for i in range(count)
    ]


def bulk(client: PortClient, entities: list[dict[str, Any]]) -> None:
    result = client.upsert_entities("jiraIssue", entities)
    assert result.ok, result.failures[:3]


def one_by_one(client: PortClient, entities: list[dict[str, Any]]) -> None:
    workers = client.settings.max_concurrency
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda e: upsert_entity(client, "jiraIssue", e), entities))


def measure(
    mode: str, write: Callable[[PortClient, list[dict[str, Any]]], None], count: int, workers: int
) -> str:
    emu = new_emulator(faults=PortFaults(latency=LATENCY, seed=1))
    entities = issues(count)
    with emu.running(), client_for(emu, max_concurrency=workers) as client:
        get_blueprint(client, "jiraIssue")  # token and connection set up outside the timing
        emu.clear_requests()
        started = time.perf_counter()
        write(client, entities)
        seconds = time.perf_counter() - started
    assert len(emu.entities("jiraIssue")) == count
    requests = emu.request_count()
    return f"| {mode} | {workers} | {count} | {requests} | {seconds:.2f} | {count / seconds:,.0f} |"


def run() -> str:
    """Measure and return the Markdown section."""
    rows = [
        measure("bulk (20 per request)", bulk, BULK_COUNT, 8),
        measure("bulk (20 per request)", bulk, BULK_COUNT, 1),
        measure("one per request", one_by_one, SINGLE_COUNT, 8),
        measure("one per request", one_by_one, SINGLE_COUNT // 4, 1),
    ]
    return "\n".join(
        [
            "## Port writes: bulk vs one by one",
            "",
            "| mode | concurrency | entities | requests | seconds | entities/s |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Measured with `PortClient` against the local Port emulator on 127.0.0.1, which adds"
            f" {LATENCY * 1000:.0f} ms to every request (no injected faults); upserts of `jiraIssue`"
            " entities with a project relation; token and connection set-up excluded.",
        ]
    )


if __name__ == "__main__":
    print(run())
