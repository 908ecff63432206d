"""Backfill speed against two baselines under injected latency, and peak memory against the issue count.

The local Jira and Port run in a separate process (a host), so the measured process holds only the
backfill: its time, its heap (tracemalloc) and its resident set (VmHWM) are jira-port's own.

- Speed: issue 14's workload, 3,000 issues in 20 projects, Jira answering every call after 150 ms and Port
  after 40 ms, every contender against a fresh, empty Port. In each of ``ROUNDS`` rounds, side by side:
  jira-port with its defaults (pages of 100, 8 partitions at once, each read one page ahead, Port bulk
  writes 8 at once, pipelined, fields derived from the mapping, each page mapped in one jq run over its
  raw bytes) as a first incremental run (a full pass without reconciliation) in this process, metering
  bytes read from Jira and CPU of this process and its jq workers; the same with ``JIRA_FIELDS=*all``;
  ``jira-port backfill`` in a fresh interpreter (start-up included); and baseline (b), Ocean's approach:
  pages of 50 strictly in sequence, each page's bulk writes of 20 concurrent but not overlapped with the
  next fetch. Once: jira-port's full run with reconciliation, and baseline (a), the guides' approach:
  page Jira, then one Port upsert per entity, sequentially. All map with the default mapping's project and
  issue rules.
- Memory: full runs (with reconciliation) of 10,000 and 100,000 issues (500 per project) at zero latency,
  each in a fresh interpreter; one run per size measures VmHWM, another tracemalloc's peak (which slows
  Python down).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench._backfill_runs import measure_memory, quiet, run_cli_process, run_jira_port, run_metered
from bench._emulator_host import Host
from bench.backfill_profiles import (
    PROFILE_2026_12_07,
    PROFILE_CPU_ROUND,
    PROFILE_CPU_ROUND_2,
    PROFILE_CPU_ROUND_3,
)
from jira_port_tools.port_admin import upsert_entity
from tests.support.kinds import without_kind_rules_text

SPEED_ISSUES = 3_000
SPEED_PROJECTS = 20
JIRA_LATENCY = 0.150
PORT_LATENCY = 0.040
ROUNDS = 3
# Same shape (500 issues per project), so only the issue count differs between the two runs.
MEMORY_SIZES = ((10_000, 20), (100_000, 200))
OCEAN_PAGE = 50
OCEAN_BATCH = 20
# Issue 14's targets: wall time (or the ratio to the Ocean-style run) and CPU per issue.
TARGET_SECONDS = 2.0
TARGET_RATIO = 8.0
TARGET_CPU_MS = 0.3
#: Issue 14's workload is projects and issues: every contender maps with the default mapping's project and
#: issue rules (the catalog kinds have their own benchmark, bench_kinds).
ISSUES_ONLY = without_kind_rules_text()


# ---- the three contenders -----------------------------------------------------------------------


def _clients(env: dict[str, str], page: int) -> tuple[Any, Any, Any]:
    from jira_port.jira import JiraClient
    from jira_port.mapping.load import load_mapping_text
    from jira_port.port import PortClient
    from jira_port.settings.jira import JiraSettings
    from jira_port.settings.port import PortSettings

    jira = JiraClient.from_settings(JiraSettings.from_env(env), page_size=page)
    return (
        jira,
        PortClient(PortSettings.from_env(env)),
        load_mapping_text(env["MAPPING_CONFIG"], "yaml", "bench"),
    )


def _bodies(jira: Any, page: int) -> Any:
    """Pages of webhook-shaped bodies: the projects (pages of ``page``), then issue pages, in sequence."""
    projects = list(jira.iter_projects())
    for start in range(0, len(projects), page):
        yield [{"webhookEvent": "project_updated", "project": p} for p in projects[start : start + page]]
    for issue_page in jira.iter_issue_pages(None, page_size=page):
        yield [{"webhookEvent": "jira:issue_updated", "issue": i} for i in issue_page.issues]


def run_one_per_entity(env: dict[str, str]) -> None:
    """Baseline (a): page Jira (50), then one Port upsert per entity, strictly sequentially."""
    jira, port, mapping = _clients(env, OCEAN_PAGE)
    headers = {"x-jira-port-source": "backfill"}
    for bodies in _bodies(jira, OCEAN_PAGE):
        for body in bodies:
            for action in mapping.evaluate(body, headers, {}, jira_base_url=env["JIRA_BASE_URL"]):
                upsert_entity(port, action.blueprint, action.entity)
    port.close()


def run_sequential_pages(env: dict[str, str]) -> None:
    """Baseline (b): pages of 50 in sequence; each page's bulk writes of 20 at once, then the next page."""
    jira, port, mapping = _clients(env, OCEAN_PAGE)
    headers = {"x-jira-port-source": "backfill"}
    with ThreadPoolExecutor(16) as pool:
        for bodies in _bodies(jira, OCEAN_PAGE):
            by_blueprint: dict[str, list[dict[str, Any]]] = {}
            for body in bodies:
                for action in mapping.evaluate(body, headers, {}, jira_base_url=env["JIRA_BASE_URL"]):
                    by_blueprint.setdefault(action.blueprint, []).append(action.entity)
            batches = [
                (bp, entities[i : i + OCEAN_BATCH])
                for bp, entities in by_blueprint.items()
                for i in range(0, len(entities), OCEAN_BATCH)
            ]
            list(pool.map(lambda batch: port.upsert_entities(batch[0], batch[1]), batches))
    port.close()


def _timed(host: Host, fn: Callable[[dict[str, str]], Any]) -> tuple[float, Any, dict[str, int]]:
    env = host.fresh_port() | {"MAPPING_CONFIG": ISSUES_ONLY}
    started = time.perf_counter()
    result = fn(env)
    return time.perf_counter() - started, result, host.counts()


# ---- report -----------------------------------------------------------------------------------------

Timed = tuple[float, Any, dict[str, int]]


def run() -> str:
    """Measure and return the Markdown section."""
    quiet()
    host = Host(SPEED_PROJECTS, SPEED_ISSUES, JIRA_LATENCY, PORT_LATENCY)
    load = [os.getloadavg()[0]]
    rounds: dict[str, list[Timed]] = {"derive": [], "*all": [], "cli": [], "ocean": []}
    try:
        for _ in range(ROUNDS):
            rounds["derive"].append(_timed(host, lambda env: run_metered(env, "derive")))
            rounds["*all"].append(_timed(host, lambda env: run_metered(env, "*all")))
            rounds["cli"].append(_timed(host, run_cli_process))
            rounds["ocean"].append(_timed(host, run_sequential_pages))
        full = _timed(host, lambda env: run_jira_port(env, "full"))
        single = _timed(host, run_one_per_entity)
    finally:
        host.close()
    load.append(os.getloadavg()[0])
    expected = {"jiraProject": SPEED_PROJECTS, "jiraIssue": SPEED_ISSUES}
    for _, _, counts in [*(t for ts in rounds.values() for t in ts), full, single]:
        written = {bp: counts[bp] for bp in expected}  # the issues' relations may add bare users, sprints…
        assert written == expected, f"a contender left {counts} in Port, expected {expected}"
    assert (
        all(r["summary"]["ok"] for name in ("derive", "*all") for _, r, _ in rounds[name]) and full[1]["ok"]
    )
    memory = {
        (n, trace): measure_memory(n, projects, trace=trace, mapping=ISSUES_ONLY)
        for n, projects in MEMORY_SIZES
        for trace in (False, True)
    }
    for result in memory.values():
        assert result["ok"] and result["written"] == result["issues"], result
    return "\n".join([*_speed_lines(rounds, full[0], single[0], load), *_memory_lines(memory), *_how_lines()])


def _median(runs: list[Timed], of: Callable[[Timed], float] = lambda t: t[0]) -> float:
    return statistics.median(of(t) for t in runs)


def _speed_lines(rounds: dict[str, list[Timed]], full: float, single: float, load: list[float]) -> list[str]:
    n = SPEED_ISSUES + SPEED_PROJECTS
    ours, ocean = _median(rounds["derive"]), _median(rounds["ocean"])
    ratios = [o[0] / d[0] for d, o in zip(rounds["derive"], rounds["ocean"], strict=True)]
    rows: list[tuple[str, list[Timed], float]] = [
        ("jira-port first run, in process (full pass, no reconciliation)", rounds["derive"], ours),
        ("jira-port, same, with `JIRA_FIELDS=*all`", rounds["*all"], _median(rounds["*all"])),
        (
            "`jira-port backfill` in a fresh interpreter (start-up included)",
            rounds["cli"],
            _median(rounds["cli"]),
        ),
        ("jira-port full run (with reconciliation; once)", [], full),
        ("(b) Ocean-style: pages of 50 in sequence, bulk 20 concurrent per page", rounds["ocean"], ocean),
        ("(a) guides: one Port request per entity, sequential (once)", [], single),
    ]
    lines = [
        "## Backfill",
        "",
        f"Speed: {SPEED_ISSUES:,} issues in {SPEED_PROJECTS} projects (Jira Cloud flavour), "
        f"Jira answering after {JIRA_LATENCY * 1000:.0f} ms per call and Port after "
        f"{PORT_LATENCY * 1000:.0f} ms per request; every contender leaves the same entities in Port. "
        f"Medians of {ROUNDS} rounds run side by side (load average {load[0]:.1f} before, "
        f"{load[1]:.1f} after, on {os.cpu_count()} cores).",
        "",
        "| approach | seconds (rounds) | median | entities/s | slower than jira-port's first run |",
        "|---|---|---:|---:|---:|",
    ]
    for label, runs, seconds in rows:
        each = ", ".join(f"{t[0]:.2f}" for t in runs)
        ratio = f"{seconds / ours:.1f}x" if label.startswith("(") else "-"
        lines.append(f"| {label} | {each} | {seconds:.2f} | {n / seconds:,.0f} | {ratio} |")
    cpu = {
        name: (
            _median(rounds[name], lambda t: t[1]["jira_bytes"] / SPEED_ISSUES),
            _median(rounds[name], lambda t: t[1]["cpu"] * 1000 / SPEED_ISSUES),
        )
        for name in ("derive", "*all")
    }
    lines += [
        "",
        "jira-port's first run in process, per issue (medians; CPU = this process and its jq workers, "
        "start-up excluded):",
        "",
        "| fields | bytes read from Jira per issue | CPU ms per issue |",
        "|---|---:|---:|",
        f"| derived from the mapping (default) | {cpu['derive'][0]:,.0f} | {cpu['derive'][1]:.2f} |",
        f"| `*all` | {cpu['*all'][0]:,.0f} | {cpu['*all'][1]:.2f} |",
        "",
        f"Issue 14's targets: <= {TARGET_SECONDS:.1f} s or >= {TARGET_RATIO:.0f}x the Ocean-style run: "
        f"{ours:.2f} s, {statistics.median(ratios):.1f}x (per round: "
        f"{', '.join(f'{r:.1f}x' for r in ratios)}) -> "
        f"{'met' if ours <= TARGET_SECONDS or statistics.median(ratios) >= TARGET_RATIO else 'NOT met'}; "
        f"<= {TARGET_CPU_MS} ms CPU per issue: {cpu['derive'][1]:.2f} ms -> "
        f"{'met' if cpu['derive'][1] <= TARGET_CPU_MS else 'NOT met'}.",
        "",
    ]
    return lines


def _memory_lines(memory: dict[tuple[int, bool], dict[str, Any]]) -> list[str]:
    lines = [
        "Memory: full runs with reconciliation at zero latency, each in a fresh interpreter "
        "(the emulators run in another process), 500 issues per project at both sizes.",
        "",
        "| issues | seconds | issues/s | RSS after imports | peak RSS (VmHWM) | tracemalloc peak |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for issues, _ in MEMORY_SIZES:
        plain, traced = memory[(issues, False)], memory[(issues, True)]
        lines.append(
            f"| {issues:,} | {plain['seconds']:.1f} | {issues / plain['seconds']:,.0f} | "
            f"{plain['rss_before_kb'] / 1024:.0f} MiB | {plain['rss_peak_kb'] / 1024:.0f} MiB | "
            f"{traced['traced_peak'] / 2**20:.1f} MiB |"
        )
    return lines


def _how_lines() -> list[str]:
    return [
        "",
        PROFILE_2026_12_07,
        PROFILE_CPU_ROUND,
        PROFILE_CPU_ROUND_2,
        PROFILE_CPU_ROUND_3,
        "Measured by `bench/bench_backfill.py` (`python -m bench --only backfill`): wall time of each "
        "contender against a local Jira and Port (separate process, injected latency); memory as "
        "`/proc/self/status` VmHWM of a run without tracemalloc and `tracemalloc.get_traced_memory()` peak "
        "of a second run.",
        "",
    ]


def run_cpu(rounds: int, fields: str = "derive", profile: str | None = None) -> None:
    """Only jira-port's first run in process, ``rounds`` times: wall time, CPU and bytes per issue (for
    working on the CPU target: ``python -m bench.bench_backfill --cpu 5 [--fields '*all'] [--profile F]``,
    ``--profile`` writes a cProfile of the last round, this process only)."""
    import cProfile

    quiet()
    host = Host(SPEED_PROJECTS, SPEED_ISSUES, JIRA_LATENCY, PORT_LATENCY)
    load, runs = os.getloadavg()[0], []
    try:
        for i in range(rounds):
            profiler = cProfile.Profile() if profile and i == rounds - 1 else None
            with profiler or contextlib.nullcontext():
                seconds, result, counts = _timed(host, lambda env: run_metered(env, fields))
            if profiler is not None and profile:
                profiler.dump_stats(profile)
            assert result["summary"]["ok"], result["summary"]
            assert counts == {"jiraProject": SPEED_PROJECTS, "jiraIssue": SPEED_ISSUES}
            cpu, size = result["cpu"] * 1000 / SPEED_ISSUES, result["jira_bytes"] / SPEED_ISSUES
            workers = result["worker_cpu"] * 1000 / SPEED_ISSUES
            runs.append((seconds, cpu, workers))
            print(
                f"round {i + 1}: {seconds:.2f} s, {cpu:.3f} ms CPU/issue (jq workers {workers:.3f}), "
                f"{size:,.0f} B/issue"
            )
    finally:
        host.close()
    wall, cpu, workers = (statistics.median(r[k] for r in runs) for k in (0, 1, 2))
    print(
        f"median: {wall:.2f} s, {cpu:.3f} ms CPU/issue (jq workers {workers:.3f}; "
        f"load {load:.1f} -> {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="The Backfill section; --cpu: only the CPU per issue")
    parser.add_argument(
        "--cpu", type=int, metavar="ROUNDS", help="run only jira-port's first run, in process"
    )
    parser.add_argument("--fields", default="derive", help="JIRA_FIELDS for --cpu (default: derived)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile of --cpu's last round")
    args = parser.parse_args()
    if args.cpu:
        run_cpu(args.cpu, args.fields, args.profile)
    else:
        print(run())
