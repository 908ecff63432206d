"""The catalog kinds: users, boards, sprints, versions and components, concurrent vs sequential.

Issue 13's workload: 20,000 issues in 20 projects, 2,000 users, 200 boards (180 scrum with 11 sprints
each, 20 kanban), 1,000 versions (50 per project) and the projects' components, Jira answering after 150 ms
per call. Contenders, side by side in one run: ``read_kinds`` under the default bound
(``JIRA_MAX_CONCURRENCY`` 4) and under 8, and the sequential per-kind baseline (the same readers under a
bound of 1: users, then boards, then each board's sprints, then each project's versions and components).
Then the whole backfill (20,000 issues plus the kinds, Port answering after 40 ms per request) with the
default bounds against the same backfill with every Jira bound at 1.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from jira_port.backfill.runtime import BackfillRequest, compose
from jira_port.jira import JiraClient
from jira_port.jira.kinds import KINDS
from jira_port.jira.kinds_read import read_kinds
from jira_port.settings.backfill import BackfillSettings
from jira_port.settings.jira import JiraSettings
from jira_port_emulators.jira import JiraEmulator, JiraFaults
from jira_port_emulators.port import PortEmulator, PortFaults
from jira_port_tools.backfill_local import RecordingContinuation
from jira_port_tools.state_file import FileTable
from tests.support.jira_emulator import running_jira
from tests.support.kinds import KIND_BLUEPRINTS, kinds_blueprints, kinds_mapping
from tests.support.port_emulator import CLIENT_ID, CLIENT_SECRET, client_for

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
ROUTE_KINDS = (("user", "user"), ("sprint", "sprint"), ("board", "board"), ("version", "version"),
               ("project/search", "project"),
               ("search", "issue"), ("component", "component"), ("project", "project"))  # fmt: skip
PORT_LATENCY = 0.04


def _kind_of(route: str) -> str:
    for needle, kind in ROUTE_KINDS:
        if needle in route:
            return kind
    return "other"


def _requests(emu: JiraEmulator, before: Counter[str]) -> Counter[str]:
    requests: Counter[str] = Counter()
    for route, count in (Counter(emu.requests_by_route) - before).items():
        requests[_kind_of(route)] += count
    return requests


def measure_backfill(emu: JiraEmulator, tmp: Path, bound: int) -> tuple[float, Counter[str], int]:
    """One full backfill of every project, issue and kind into a fresh Port: seconds, Jira requests per
    kind, entities in Port. ``bound`` is the partition and Jira concurrency (defaults: 8 and 4)."""
    port = PortEmulator(
        CLIENT_ID, CLIENT_SECRET, faults=PortFaults(latency=PORT_LATENCY), blueprints=kinds_blueprints()
    )
    with port.running():
        env = {"JIRA_BASE_URL": emu.url, "JIRA_EMAIL": "admin@example.com", "JIRA_API_TOKEN": "api-token"}
        jira_settings = JiraSettings.from_env(env)
        settings = BackfillSettings(partition_concurrency=8 if bound > 1 else 1, safety_margin_seconds=1)
        jira = JiraClient.from_settings(
            jira_settings, max_concurrency=jira_settings.max_concurrency if bound > 1 else 1
        )
        table = FileTable(tmp / f"state-{bound}.json")
        service = compose(
            settings, jira_settings, jira=jira, mapping=kinds_mapping(), table=table,
            continuation=RecordingContinuation(), port=client_for(port),
        )  # fmt: skip
        before = Counter(emu.requests_by_route)
        started = time.perf_counter()
        summary = service.invoke(BackfillRequest("full"))
        seconds = time.perf_counter() - started
        assert summary.status == "succeeded", summary.render()
        held = sum(len(port.entities(b)) for b in ("jiraProject", "jiraIssue", *KIND_BLUEPRINTS))
        jira.close()
    return seconds, _requests(emu, before), held


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
    return seconds, items, _requests(emu, before)


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
        with tempfile.TemporaryDirectory() as tmp:
            logging.disable(logging.INFO)
            backfills = {bound: measure_backfill(emu, Path(tmp), bound) for bound in (1, 4)}
            logging.disable(logging.NOTSET)
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
    backfill_rows = []
    for label, bound in (("sequential (every Jira bound 1)", 1), ("jira-port (default bounds)", 4)):
        wall, requests, held = backfills[bound]
        per_kind = ", ".join(f"{k} {requests[k]}" for k in ("project", "issue", *KINDS))
        backfill_rows.append(
            f"| {label} | {wall:.1f} | {backfills[1][0] / wall:.1f}x | {held:,}"
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
            "",
            f"The whole full backfill of that site (projects, {ISSUES:,} issues and every kind, mapped by the"
            " bundled default mapping into the bundled blueprints) into a fresh local Port"
            f" answering after {PORT_LATENCY * 1000:.0f} ms per request; one run each:",
            "",
            "| backfill | seconds | faster than sequential | entities in Port | Jira requests (per kind) |",
            "|---|---:|---:|---:|---|",
            *backfill_rows,
        ]
    )


if __name__ == "__main__":
    print(run())
