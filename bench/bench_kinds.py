"""The catalog kinds: users, boards, sprints, versions and components, concurrent vs sequential.

Issue 13's workload: 20,000 issues in 20 projects, 2,000 users, 200 boards (180 scrum with 11 sprints
each, 20 kanban), 1,000 versions (50 per project) and the projects' components. The local Jira (150 ms per
call) and Port (40 ms per request) run in a separate host process (``bench._emulator_host``), so this
process holds only jira-port and the emulators' CPU does not share its GIL.

- Reads: ``read_kinds`` under the default Jira bound (4) and under 8, against the sequential per-kind
  baseline (the same readers under a bound of 1: users, then boards, then each board's sprints, then each
  project's versions and components), side by side in each round.
- The whole full backfill (projects, 20,000 issues, every kind; ``bench._backfill_runs.run_jira_port``)
  with jira-port's defaults against the sequential per-kind baseline: the same backfill with every bound at
  1 (``JIRA_MAX_CONCURRENCY``, ``BACKFILL_PARTITION_CONCURRENCY``, ``PORT_MAX_CONCURRENCY``), so one Jira
  request and one Port bulk write (of up to 20 entities) at a time, the kinds one after another.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from typing import Any

from bench._backfill_runs import quiet, run_jira_port
from bench._emulator_host import Host
from jira_port.jira import JiraClient
from jira_port.jira.kinds import KINDS
from jira_port.jira.kinds_read import read_kinds
from jira_port.settings.jira import JiraSettings
from tests.support.kinds import kinds_blueprints

LATENCY = 0.15
PORT_LATENCY = 0.04
ROUNDS = 3
BACKFILL_ROUNDS = 2
DATASET = {"users": 2000, "boards": 200, "sprints_per_board": 11, "versions_per_project": 50}
PROJECTS = 20
ISSUES = 20_000
CONTENDERS = (
    ("sequential per kind (bound 1)", 1),
    ("concurrent, bound 4 (default)", 4),
    ("concurrent, bound 8", 8),
)
SEQUENTIAL = {"JIRA_MAX_CONCURRENCY": "1", "BACKFILL_PARTITION_CONCURRENCY": "1", "PORT_MAX_CONCURRENCY": "1"}
BACKFILLS: tuple[tuple[str, dict[str, str]], ...] = (
    ("sequential per kind (every bound 1)", SEQUENTIAL),
    ("jira-port (default bounds)", {}),
)
ROUTE_KINDS = (("user", "user"), ("sprint", "sprint"), ("board", "board"), ("version", "version"),
               ("project/search", "project"),
               ("search", "issue"), ("component", "component"), ("project", "project"))  # fmt: skip
BLUEPRINT_KINDS = {"jiraProject": "project", "jiraIssue": "issue", "jiraUser": "user",
                   "jiraBoard": "board", "jiraSprint": "sprint", "jiraVersion": "version",
                   "jiraComponent": "component"}  # fmt: skip


def _kind_of(route: str) -> str:
    for needle, kind in ROUTE_KINDS:
        if needle in route:
            return kind
    return "other"


def _jira_requests(served: Counter[str]) -> Counter[str]:
    requests: Counter[str] = Counter()
    for route, count in served.items():
        requests[_kind_of(route)] += count
    return requests


def _port_requests(served: Counter[str]) -> Counter[str]:
    """Port's requests per kind: the blueprint in the path (token and other calls: ``other``)."""
    requests: Counter[str] = Counter()
    for request, count in served.items():
        parts = request.split(" ", 1)[1].split("/")
        blueprint = parts[parts.index("blueprints") + 1] if "blueprints" in parts[:-1] else ""
        requests[BLUEPRINT_KINDS.get(blueprint, "other")] += count
    return requests


def measure_backfill(host: Host, overrides: dict[str, str]) -> dict[str, Any]:
    """One full backfill of every project, issue and kind into a fresh Port: seconds, Jira and Port
    requests per kind, entities in Port."""
    env = {**host.fresh_port(), **overrides}  # the bundled default mapping
    jira_before, _ = host.requests()
    started = time.perf_counter()
    summary = run_jira_port(env, "full")
    seconds = time.perf_counter() - started
    assert summary["ok"], summary
    jira_after, port_served = host.requests()
    return {
        "seconds": seconds,
        "jira": _jira_requests(jira_after - jira_before),
        "port": _port_requests(port_served),
        "held": host.every_count(),
    }


def measure(host: Host, env: dict[str, str], workers: int) -> tuple[float, Counter[str], Counter[str]]:
    """One read of every kind: wall seconds, items per kind, Jira requests per kind."""
    client = JiraClient.from_settings(JiraSettings.from_env(env), max_concurrency=workers, deployment="cloud")
    keys = sorted(p["key"] for p in client.iter_projects())
    before, _ = host.requests()
    items: Counter[str] = Counter()
    started = time.perf_counter()
    read = read_kinds(client, KINDS, keys, max_workers=workers)
    for page in read.pages():
        items[page.kind] += len(page.items)
    seconds = time.perf_counter() - started
    client.close()
    after, _ = host.requests()
    return seconds, items, _jira_requests(after - before)


def _per_kind(requests: Counter[str], kinds: tuple[str, ...]) -> str:
    """``total (kind n, ...)``."""
    return f"{sum(requests.values())} ({', '.join(f'{k} {requests[k]}' for k in kinds)})"


def _note(text: str) -> None:
    print(f"[kinds {time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {text}", file=sys.stderr)


def run() -> str:
    """Measure and return the Markdown section."""
    quiet()
    blueprints = kinds_blueprints()
    host = Host(PROJECTS, ISSUES, LATENCY, PORT_LATENCY, dataset_options=DATASET, blueprints=blueprints)
    loads: list[float] = []
    try:
        env = host.fresh_port()
        expected = host.sizes()
        seconds: dict[int, list[float]] = {w: [] for _, w in CONTENDERS}
        counts: dict[int, tuple[Counter[str], Counter[str]]] = {}
        for _ in range(ROUNDS):
            for label, workers in CONTENDERS:
                wall, items, requests = measure(host, env, workers)
                seconds[workers].append(wall)
                counts[workers] = (items, requests)
                _note(f"read {label}: {wall:.2f} s")
            loads.append(os.getloadavg()[0])
        backfills: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in BACKFILLS}
        for _ in range(BACKFILL_ROUNDS):
            for label, overrides in BACKFILLS:
                backfills[label].append(measure_backfill(host, overrides))
                _note(f"backfill {label}: {backfills[label][-1]['seconds']:.1f} s")
            loads.append(os.getloadavg()[0])
    finally:
        host.close()
    return _markdown(expected, seconds, counts, backfills, loads)


def _markdown(
    expected: dict[str, int],
    seconds: dict[int, list[float]],
    counts: dict[int, tuple[Counter[str], Counter[str]]],
    backfills: dict[str, list[dict[str, Any]]],
    loads: list[float],
) -> str:
    base = statistics.median(seconds[1])
    rows = []
    for label, workers in CONTENDERS:
        items, requests = counts[workers]
        assert dict(items) == expected, (items, expected)
        median = statistics.median(seconds[workers])
        runs = ", ".join(f"{s:.2f}" for s in seconds[workers])
        rows.append(
            f"| {label} | {runs} | {median:.2f} | {base / median:.1f}x | {_per_kind(requests, KINDS)} |"
        )
    kinds = ("project", "issue", *KINDS)
    sequential = statistics.median(r["seconds"] for r in backfills[BACKFILLS[0][0]])
    held = backfills[BACKFILLS[0][0]][0]["held"]
    backfill_rows = []
    for label, _ in BACKFILLS:
        rounds = backfills[label]
        assert all(r["held"] == held for r in rounds), [r["held"] for r in rounds]
        median = statistics.median(r["seconds"] for r in rounds)
        last = rounds[-1]
        backfill_rows.append(
            f"| {label} | {', '.join(f'{r["seconds"]:.1f}' for r in rounds)} | {median:.1f}"
            f" | {sequential / median:.1f}x | {_per_kind(last['jira'], kinds)}"
            f" | {_per_kind(last['port'], (*kinds, 'other'))} |"
        )
    totals = ", ".join(f"{n:,} {k}s" for k, n in expected.items())
    entities = ", ".join(f"{held[bp]:,} {kind}" for bp, kind in BLUEPRINT_KINDS.items())
    load = ", ".join(f"{x:.1f}" for x in loads)
    return "\n".join(
        [
            "## Catalog kinds: concurrent vs sequential per kind",
            "",
            f"A Jira Cloud site with {ISSUES:,} issues in {PROJECTS} projects and {totals}; the local Jira"
            f" answers after {LATENCY * 1000:.0f} ms per call and the local Port after"
            f" {PORT_LATENCY * 1000:.0f} ms per request, both served from a separate host process"
            " (`bench/_emulator_host.py`), so the measured process holds only jira-port. Contenders run"
            f" side by side in each round; 1-minute load average after each round: {load} (2 cores, shared).",
            "",
            "Reading the kinds (`jira_port.jira.kinds_read.read_kinds`, no issues, no Port),"
            f" {ROUNDS} rounds:",
            "",
            "| contender | seconds per round | median | faster than sequential | Jira requests (per kind) |",
            "|---|---|---:|---:|---|",
            *rows,
            "",
            f'The whole full backfill (`run_jira_port(env, "full")` of `bench/_backfill_runs.py`: projects,'
            f" issues and every kind, mapped by the bundled default mapping into the bundled blueprints, with"
            f" reconciliation) into a fresh Port, {BACKFILL_ROUNDS} rounds."
            " The sequential per-kind baseline is the same backfill with `JIRA_MAX_CONCURRENCY`,"
            " `BACKFILL_PARTITION_CONCURRENCY` and `PORT_MAX_CONCURRENCY` all 1: one Jira request and one"
            " Port bulk write (up to 20 entities) at a time, projects, then each kind one after another,"
            " then one issue partition after another. Both make the same requests; entities in Port after"
            f" each run: {entities}.",
            "",
            "| backfill | seconds per round | median | faster than sequential | Jira requests (per kind)"
            " | Port requests (per kind) |",
            "|---|---|---:|---:|---|---|",
            *backfill_rows,
            "",
            "Measured by `bench/bench_kinds.py` (`python -m bench --only kinds`); Jira requests from the"
            " emulator's per-route counter (the agile probe of `agile_available` counts as a board request),"
            " Port requests from the Port emulator's request log (`other`: the token).",
        ]
    )


if __name__ == "__main__":
    print(run())
