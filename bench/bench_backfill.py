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


#: Where the time went before issue 14's second round (not re-measured by this run): one quiet-machine
#: profile (load 0.4) of the 3,000-issue run, py-spy (GIL samples, all threads) and a request timeline.
PROFILE_2026_12_07 = """\
Profile before this round's changes (2026-12-07, load 0.4; py-spy over all threads plus a timeline of every
request; 3.6-3.8 s in process, 0.77-0.88 ms CPU per issue):

- wall: 0.30 s `serverInfo`, then the project listing, in sequence; 0.55 s for 20 `approximate-count`
  queries (8 at a time) before the first issue page; then 20 partitions, 8 at a time, whose next page was
  asked for only after the current one was mapped (50-220 ms per page with 8 mappers on 2 cores), and
  3-8 jq worker processes started during the pass (8 concurrent mappers, 4 idle workers kept; 53 ms CPU
  and about 200 ms each);
- CPU per issue: jq 0.31 ms (parsing the 5.4 KB issue alone 0.16 ms: jq reads JSON at about 35 MB/s,
  Python's decoder at about 250 MB/s; the rules 0.13 ms); the local state file rewritten whole after
  every change, 3,000 ownership items included, about 0.3 ms (quadratic in the issue count); worker
  starts 0.05-0.14 ms; the rest (decoding pages, HTTP, Port bodies, results) about 0.15 ms.

Changed since: the deployment detection and Cloud's first project page go out together; a project that
Cloud's listing puts at or below `BACKFILL_SPLIT_ISSUES` is not counted; each partition reads one page
ahead; at most 4 pages are mapped at once, on workers started before the first page arrives; the state
file appends a journal instead of rewriting itself. What remains is mostly jq itself.
"""

#: Issue 14's CPU round (measured 2026-12-07 12:00-12:55 UTC under load 1.5-11 from other work on 2 cores:
#: ratios side by side, not absolute numbers; the table above is this run's).
PROFILE_CPU_ROUND = """\
CPU per issue, before and after the CPU round (2026-12-07, load 6-11 on 2 cores, so side by side:
`python -m bench.bench_backfill --cpu 2` alternating with the previous tree, 6 pairs; the process's own
CPU from `os.times`, the workers' from `/proc/PID/stat`): 0.65-0.73 ms -> 0.47-0.58 ms (median ratio
0.71x); the jq workers 0.37-0.39 ms -> 0.20-0.25 ms, this process about 0.25 ms before and after.
At load 1.5-2.4, 3 pairs: 0.62-0.64 ms -> 0.46-0.52 ms (median ratio 0.77x), wall 2.05-2.13 s -> 1.96-2.12 s.
jq CPU per issue on one 100-issue emulator page with the derived fields (best of 7): every rule on the
raw page 341 us (parsing its 5,630 bytes alone 143 us); on the page cut to what the mapping reads (1,249
bytes, parsing 42 us) 241 us; also without the five rules whose filter is false for any issue of a
backfill issue page 180 us. The cut costs this process 13 us per issue (Python decodes the page anyway:
20 us). Left in this process (py-spy GIL samples): decoding Jira pages, the cut, HTTP to Jira and Port,
decoding jq's output and building actions, threads; left in jq: the issue rule's 24 fields, 2-6 us each.
"""

#: Issue 14's second CPU round (2026-12-07 14:40-16:00 UTC, load 0.5-2.4 from other work on 2 cores).
PROFILE_CPU_ROUND_2 = """\
CPU per issue, second CPU round (2026-12-07, load 0.7-2.4 on 2 cores, so side by side: `python -m
bench.bench_backfill --cpu 3` alternating with the previous tree, 4 pairs at load 0.7-1.4): 0.51-0.59 ms ->
0.45-0.53 ms (ratios 0.86, 0.89, 0.87, 1.03), wall 2.12-2.39 s -> 2.07-2.22 s. Where it goes now (thread CPU
of one run at load 1.5, per issue; about twice the quiet-machine cost of each step): this process 0.29 ms:
Port bulk upserts 0.08 (160 requests through `requests`, about 0.5 ms each alone) and the page writer 0.04;
Jira pages 0.07 (HTTP 0.03, decoding 5.6 KB 0.04); mapping 0.06 (the cut 0.03, the worker round trip and
decoding its answer 0.015, building actions 0.02). The jq workers 0.22 ms: in-process on one page (best of
9) parsing the cut issue 40 us, the envelope 6, the issue rule's filter 5 and its 25 fields about 95 (a
plain path about 2.3 us; `first()` 2.2 us more; url, issueUrl, description and sprint lost theirs once the
proof counted `//`'s outputs as the larger side's, not the sum). Changed: the default mapping's kind rules
are left out of issue pages too (a static conjunct may use `//`: jq 262 -> 175 us per issue with the whole
default mapping); fields with at most one output skip `first()` (plain paths joined by `|` or `//`, or a
proof bound of one: 170 -> 144-150 us); the collector's first threshold is 50,000 during the pass (GC 24-36
-> 0-7 us); Jira bodies are read in one chunk (about 1 ms less per 750 KB page). Tried and reverted: mapping
pages in this process (proven mapping, within its gate): CPU equal, wall 0.3 s worse, since jq then holds
the GIL and no longer runs beside the Jira and Port threads on the second core.
Then a run's first invocation starts the issue pass beside the project writes (pages read and mapped while
the projects are written; issue writes wait for them): 3 pairs of `--cpu 2`, 2.23/2.24/2.08 ->
2.17/2.21/2.02 s.
"""


#: Issue 14's third CPU round (2026-12-07 16:55-18:00 UTC, load 0.2-3.9 from other work on 2 cores).
PROFILE_CPU_ROUND_3 = """\
CPU per issue, third CPU round (2026-12-07; side by side: `python -m bench.bench_backfill --cpu 3` or
`--cpu 4` alternating with the previous tree): 5 pairs at load 1.7-3.0 0.51/0.44/0.43/0.51/0.50 ->
0.43/0.40/0.41/0.42/0.42 ms (ratios 0.84, 0.91, 0.95, 0.83, 0.84); 6 pairs at load 0.8-2.0
0.41/0.38/0.46/0.42/0.37/0.39 -> 0.34/0.32/0.33/0.31/0.31/0.35 ms (ratios 0.82, 0.86, 0.71, 0.75, 0.84,
0.91), the jq workers 0.15-0.19 -> 0.11-0.12 ms, wall 1.80-1.96 -> 1.70-1.84 s. The previous tree measured
0.37-0.38 ms on a quiet host (load 0.3). Where it went before (thread CPU of one run, quiet host): jq
workers 0.16 ms; Port requests 0.06 (160 through `requests`, about 1.3 ms each alone, `trust_env` 0.15 of
it); mapping in this process 0.06 (the cut 13 us, the worker round trip 8, building actions 12); Jira
pages 0.05 (decoding 5.6 KB 22-25 us, HTTP 14); the page writer 0.03 (bulk bodies 9 us, the local state
file's ledger about 6); the run's set-up 0.011 (the fields derived twice, 12 ms, and the page program,
15 ms, per run). In jq on one emulator page, in process (best of 9-15): 137 us per issue, of which parsing
the 1,311-byte cut issue 38, the issue rule's 25 fields 60-80 (a plain path 1.5-3 us, three index steps of
it `.body.issue.fields`), converting the output 9 and its `json.dumps` 9. Changed: a page program binds
each issue and its fields once and an expression starting with `.body.issue.fields.X`/`.body.issue.X`
reads them there (137 -> 121 us); the cut keeps of an array mapped over (`map(.key)`) each element's parts
read, and of the issue only its keys read (1,311 -> 850 bytes, 121 -> 106-110 us); a plain path's value
comes back bare, not in a list, and an expression two fields share runs once (-> 90-99 us); workers answer
in `marshal`'s format (encoding 9 -> 1 us, decoding 7 -> 5); a session reads proxies and CA bundle once
(1.39 -> 1.26 ms per Port request); a bulk body is one `json.dumps` (8.9 -> 5.2 us per entity), its query
encoded once per batch; the fields an expression reads and whether a filter never matches are kept per
process (27 ms per run -> under 1 ms from the second run). Where it goes now (thread CPU, 4 rounds at
load 1.1-1.9: 0.28, 0.30, 0.33, 0.38 ms, the last with the workers' start): jq workers 0.117 ms, mapping
in this process 0.056, Port requests 0.054, Jira pages 0.048, the page writer 0.024, set-up 0.006.
Tried and reverted: `tojson` in jq instead of converting its output (24 us slower per issue, and it keeps
literals such as `1.0` and `1E+1000` that the per-event path turns into `1` and `1.797e308`); 2 pages
mapped at once instead of 4 (CPU equal, wall 0.1 s worse); a faster template fill when building actions
(0.5 us per issue, not worth touching the coordinator's model.py). Left: decoding Jira pages (stdlib
`json`, 22-25 us per issue), the per-request cost of `requests` itself (about 0.8 ms: preparing and
merging each call, cookies, header parsing), the local state file's ledger (a `json.loads` per item), jq
parsing the cut issue (about 25 us) and the sprint field (8 us).
"""


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
