"""Reading the catalog kinds: users, boards, sprints, versions and components, concurrent vs sequential.

Issue 13's workload: 20,000 issues in 20 projects, 2,000 users, 200 boards (180 scrum with 11 sprints
each, 20 kanban), 1,000 versions (50 per project) and the projects' components, Jira answering after 150 ms
per call. Contenders, side by side in one run: ``read_kinds`` under the default bound
(``JIRA_MAX_CONCURRENCY`` 4) and under 8, and the sequential per-kind baseline (the same readers under a
bound of 1: users, then boards, then each board's sprints, then each project's versions and components).
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable

from jira_port.jira import JiraClient
from jira_port.jira.kinds import KINDS
from jira_port.jira.kinds_read import read_kinds
from jira_port_emulators.jira import JiraEmulator, JiraFaults
from tests.support.jira_emulator import running_jira

LATENCY = 0.15
ROUNDS = 3
DATASET = {"users": 2000, "boards": 200, "sprints_per_board": 11, "versions_per_project": 50}
PROJECTS = 20
ISSUES = 20_000
CONTENDERS = (
    ("sequential per kind (bound 1)", 1),
    ("concurrent, bound 4 (default)", 4),
    ("concurrent, bound 8", 8),
)
ROUTE_KINDS = (("user", "user"), ("sprint", "sprint"), ("board", "board"), ("version", "version"))


def _kind_of(route: str) -> str:
    for needle, kind in ROUTE_KINDS:
        if needle in route:
            return kind
    return "component" if "component" in route else "other"


def measure(
    emu: JiraEmulator, client_factory: Callable[[int], JiraClient], workers: int
) -> tuple[float, Counter[str], Counter[str]]:
    """One read of every kind: wall seconds, items per kind, requests per kind."""
    keys = sorted(p.key for p in emu.ds.projects.values())
    before = Counter(emu.requests_by_route)
    items: Counter[str] = Counter()
    started = time.perf_counter()
    read = read_kinds(client_factory(workers), KINDS, keys, max_workers=workers)
    for page in read.pages():
        items[page.kind] += len(page.items)
    seconds = time.perf_counter() - started
    requests: Counter[str] = Counter()
    for route, count in (Counter(emu.requests_by_route) - before).items():
        requests[_kind_of(route)] += count
    return seconds, items, requests


def run() -> str:
    """Measure and return the Markdown section."""
    options = dict(DATASET)
    with running_jira("cloud", projects=PROJECTS, issues=ISSUES, dataset_options=options) as jira:
        emu = jira.emulator
        emu.faults = JiraFaults(latency=LATENCY, seed=1)
        seconds: dict[int, list[float]] = {w: [] for _, w in CONTENDERS}
        counts: dict[int, tuple[Counter[str], Counter[str]]] = {}
        for _ in range(ROUNDS):
            for _, workers in CONTENDERS:
                wall, items, requests = measure(
                    emu, lambda w: jira.client(max_concurrency=w, deployment="cloud"), workers
                )
                seconds[workers].append(wall)
                counts[workers] = (items, requests)
        expected = {
            "user": len(emu.ds.users),
            "board": len(emu.ds.kinds.boards),
            "sprint": len(emu.ds.kinds.sprints),
            "version": len(emu.ds.kinds.versions),
            "component": len(emu.ds.kinds.components),
        }
    base = statistics.median(seconds[1])
    rows = []
    for label, workers in CONTENDERS:
        items, requests = counts[workers]
        assert dict(items) == expected, (items, expected)
        median = statistics.median(seconds[workers])
        runs = ", ".join(f"{s:.2f}" for s in seconds[workers])
        per_kind = ", ".join(f"{k} {requests[k]}" for k in KINDS)
        rows.append(
            f"| {label} | {runs} | {median:.2f} | {base / median:.1f}x"
            f" | {sum(requests.values())} ({per_kind}) |"
        )
    load = os.getloadavg()[0]
    totals = ", ".join(f"{n:,} {k}s" for k, n in expected.items())
    return "\n".join(
        [
            "## Catalog kinds: concurrent vs sequential per-kind reads",
            "",
            f"Read every kind of a site with {totals} ({ISSUES:,} issues in {PROJECTS} projects, not read"
            f" here), Jira answering after {LATENCY * 1000:.0f} ms per call; {ROUNDS} rounds, contenders"
            f" side by side in each round; load average {load:.1f} at the end.",
            "",
            "| contender | seconds per round | median | faster than sequential | requests (per kind) |",
            "|---|---|---:|---:|---|",
            *rows,
            "",
            "Measured by `bench/bench_kinds.py` (`python -m bench --only kinds`): `jira_port.jira.kinds_read."
            "read_kinds` against the local Jira emulator (Cloud flavour) on 127.0.0.1; request counts from"
            " the emulator's per-route counter (the agile probe of `agile_available` counts as a board"
            " request).",
        ]
    )


if __name__ == "__main__":
    print(run())
