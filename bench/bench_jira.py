"""Jira read throughput: one paged JQL vs per-project partitions paged concurrently.

The local Jira emulator adds 150 ms to every request, a stand-in for a Jira Cloud search page's latency.
"""

from __future__ import annotations

import time
from typing import Any

from bench._partition_pages import PartitionPage, iter_partition_pages, project_partitions
from jira_port_emulators.jira import JiraFaults
from tests.support.jira_emulator import running_jira

LATENCY = 0.15
PROJECTS = 8
ISSUES = 4000
PAGE = 100
FIELDS = ["summary", "status", "assignee", "updated"]


def measure(flavour: str, mode: str, workers: int, fields: list[str] = FIELDS) -> str:
    faults = JiraFaults(latency=LATENCY, seed=1)
    with running_jira(flavour, projects=PROJECTS, issues=ISSUES, faults=faults) as jira:
        client = jira.client(max_concurrency=max(workers, 1), page_size=PAGE, deployment=flavour)
        issues = pages = 0
        started = time.perf_counter()
        if mode == "one JQL":
            for page in client.iter_issue_pages(fields=fields):
                issues += len(page.issues)
                pages += 1
        else:
            partitions = project_partitions(client)
            items: Any = iter_partition_pages(client, partitions, max_workers=workers, fields=fields)
            for item in items:
                assert isinstance(item, PartitionPage)
                issues += len(item.page.issues)
                pages += 1
        seconds = time.perf_counter() - started
    assert issues == ISSUES, issues
    label = "all fields" if fields == ["*all"] else f"{len(fields)} fields"
    return (
        f"| {flavour} | {mode} | {workers} | {label} | {pages} | {seconds:.2f} | {pages / seconds:.1f} |"
        f" {issues / seconds:,.0f} |"
    )


def run() -> str:
    """Measure and return the Markdown section."""
    rows = [
        measure("cloud", "one JQL", 1),
        measure("cloud", f"{PROJECTS} partitions", 1),
        measure("cloud", f"{PROJECTS} partitions", 4),
        measure("cloud", f"{PROJECTS} partitions", 8),
        measure("cloud", f"{PROJECTS} partitions", 4, ["*all"]),
        measure("server", "one JQL", 1),
        measure("server", f"{PROJECTS} partitions", 4),
    ]
    return "\n".join(
        [
            "## Jira reads: sequential vs concurrent partitions",
            "",
            "| flavour | mode | concurrency | fields | pages | seconds | pages/s | issues/s |",
            "|---|---|---:|---|---:|---:|---:|---:|",
            *rows,
            "",
            "Measured with `JiraClient` (Cloud: `search/jql` tokens; Server: keyset) against the local Jira"
            f" emulator on 127.0.0.1 with {LATENCY * 1000:.0f} ms added to every request, {ISSUES:,} issues"
            f" in {PROJECTS} projects, {PAGE} issues per page (project listing included in partition runs).",
        ]
    )


if __name__ == "__main__":
    print(run())
