"""Backfill speed against two baselines under injected latency, and peak memory against the issue count.

The local Jira and Port run in a separate process (a host), so the measured process holds only the
backfill: its time, its heap (tracemalloc) and its resident set (VmHWM) are jira-port's own.

- Speed: N issues, Jira answering every call after 150 ms and Port after 40 ms. jira-port runs with its
  defaults (pages of 100, 8 partitions at once, Port bulk writes 8 at once, pipelined, fields derived
  from the mapping, each page mapped in one jq run over its raw bytes; once more with
  ``JIRA_FIELDS=*all``, metering bytes read from Jira and CPU of this process and its jq workers) as a first
  incremental run (a full pass without reconciliation), like the baselines, and once more as a full run
  with reconciliation. Baseline (a) is the guides' approach: page Jira, then one Port upsert per entity,
  sequentially. Baseline (b) is Ocean's: pages of 50 strictly in sequence, each page's bulk writes of 20
  concurrent but not overlapped with the next fetch. All three map with the same default mapping.
- Memory: full runs (with reconciliation) of 10,000 and 100,000 issues (500 per project) at zero latency,
  each in a fresh interpreter; one run per size measures VmHWM, another tracemalloc's peak (which slows
  Python down).
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench._emulator_host import Host

SPEED_ISSUES = 3_000
SPEED_PROJECTS = 20
JIRA_LATENCY = 0.150
PORT_LATENCY = 0.040
JIRA_PORT_RUNS = 3
# Same shape (500 issues per project), so only the issue count differs between the two runs.
MEMORY_SIZES = ((10_000, 20), (100_000, 200))
OCEAN_PAGE = 50
OCEAN_BATCH = 20


# ---- the three contenders -----------------------------------------------------------------------


def _quiet() -> None:
    import logging

    from jira_port.observability import logger

    logger.setLevel(logging.WARNING)


def run_jira_port(env: dict[str, str], mode: str = "incremental") -> dict[str, Any]:
    """One jira-port backfill with its defaults (state in a temporary file); returns its summary."""
    from jira_port_tools.backfill_local import LocalOptions, RecordingContinuation, build_local, run_to_end

    with tempfile.TemporaryDirectory() as tmp:
        continuation = RecordingContinuation()
        service = build_local(
            LocalOptions(state_file=Path(tmp) / "state.json"), continuation=continuation, env=env
        )
        summary = run_to_end(service, continuation, mode)
    result: dict[str, Any] = summary.to_dict()
    return result


class Meter:
    """Bytes of Jira search responses read and CPU seconds (this process and its jq workers) of a run."""

    def __init__(self) -> None:
        self.jira_bytes = 0
        self.cpu = 0.0

    def __enter__(self) -> Meter:
        from jira_port.jira.http import JiraHTTP

        self._original = original = JiraHTTP.request_raw
        meter = self

        def counted(http: Any, method: str, path: str, **kwargs: Any) -> tuple[Any, bytes]:
            data, raw = original(http, method, path, **kwargs)
            if path.startswith("/rest/api/2/search"):
                meter.jira_bytes += len(raw)
            return data, raw

        JiraHTTP.request_raw = counted  # type: ignore[method-assign,assignment]
        self._cpu_before = _cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        from jira_port.jira.http import JiraHTTP

        self.cpu = _cpu_seconds() - self._cpu_before
        JiraHTTP.request_raw = self._original  # type: ignore[method-assign]


def _cpu_seconds() -> float:
    """CPU of this process, its reaped children and its live jq workers (read from /proc)."""
    import os

    from jira_port.mapping import bounded

    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    ticks = os.sysconf("SC_CLK_TCK")
    for worker in list(bounded._workers):
        try:
            stat = Path(f"/proc/{worker.process.pid}/stat").read_text(encoding="utf-8")
        except OSError:
            continue
        parts = stat.rsplit(")", 1)[1].split()
        total += (int(parts[11]) + int(parts[12])) / ticks
    return total


def run_metered(env: dict[str, str], fields: str) -> dict[str, Any]:
    """``run_jira_port`` (incremental) with ``JIRA_FIELDS=fields``, metered."""
    with Meter() as meter:
        summary = run_jira_port({**env, "JIRA_FIELDS": fields})
    return {"summary": summary, "jira_bytes": meter.jira_bytes, "cpu": meter.cpu}


def _clients(env: dict[str, str], page: int) -> tuple[Any, Any, Any]:
    from jira_port.jira import JiraClient
    from jira_port.mapping import load_mapping
    from jira_port.port import PortClient
    from jira_port.settings.jira import JiraSettings
    from jira_port.settings.port import PortSettings

    jira = JiraClient.from_settings(JiraSettings.from_env(env), page_size=page)
    return jira, PortClient(PortSettings.from_env(env)), load_mapping(None)


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
                port.upsert_entity(action.blueprint, action.entity)
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
    env = host.fresh_port()
    started = time.perf_counter()
    result = fn(env)
    return time.perf_counter() - started, result, host.counts()


# ---- memory (fresh interpreter per measurement) ---------------------------------------------------


def _measure(conn: Connection, env: dict[str, str], trace: bool) -> None:
    import tracemalloc

    _quiet()
    from jira_port.backfill import runtime  # noqa: F401 - imports counted before the run

    rss_before = _status_kb("VmRSS")
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    summary = run_jira_port(env, "full")
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    conn.send(
        {
            "seconds": elapsed,
            "ok": summary["ok"],
            "issues": summary["issues"],
            "rss_before_kb": rss_before,
            "rss_peak_kb": _status_kb("VmHWM"),
            "traced_peak": peak,
        }
    )


def _status_kb(field: str) -> int:
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    return int(status.split(f"{field}:")[1].split()[0])


def measure_memory(issues: int, projects: int, *, trace: bool) -> dict[str, Any]:
    """A full run over ``issues`` issues in a fresh interpreter; time, VmHWM or tracemalloc peak."""
    host = Host(projects, issues, 0.0, 0.0)
    try:
        env = host.fresh_port()
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_measure, args=(child, env, trace))
        process.start()
        result: dict[str, Any] = parent.recv()
        process.join(timeout=60)
        result["written"] = host.counts()["jiraIssue"]
        return result
    finally:
        host.close()


# ---- report -----------------------------------------------------------------------------------------


def run() -> str:
    """Measure and return the Markdown section."""
    _quiet()
    host = Host(SPEED_PROJECTS, SPEED_ISSUES, JIRA_LATENCY, PORT_LATENCY)
    try:
        ours = [_timed(host, lambda env: run_metered(env, "derive")) for _ in range(JIRA_PORT_RUNS)]
        every = [_timed(host, lambda env: run_metered(env, "*all")) for _ in range(JIRA_PORT_RUNS)]
        full = _timed(host, lambda env: run_jira_port(env, "full"))
        ocean = _timed(host, run_sequential_pages)
        single = _timed(host, run_one_per_entity)
    finally:
        host.close()
    expected = {"jiraProject": SPEED_PROJECTS, "jiraIssue": SPEED_ISSUES}
    for _, _, counts in [*ours, *every, full, ocean, single]:
        assert counts == expected, f"a contender left {counts} in Port, expected {expected}"
    assert all(r["summary"]["ok"] for _, r, _ in [*ours, *every]) and full[1]["ok"]
    best = statistics.median(s for s, _, _ in ours)
    metered = {
        "derive": (best, _per_issue(ours)),
        "*all": (statistics.median(s for s, _, _ in every), _per_issue(every)),
    }
    memory = {
        (n, trace): measure_memory(n, projects, trace=trace)
        for n, projects in MEMORY_SIZES
        for trace in (False, True)
    }
    for result in memory.values():
        assert result["ok"] and result["written"] == result["issues"], result
    return _markdown(best, full[0], ocean[0], single[0], memory, metered)


def _per_issue(runs: list[tuple[float, Any, dict[str, int]]]) -> tuple[float, float]:
    """Median bytes read from Jira and CPU milliseconds, per issue."""
    return (
        statistics.median(r["jira_bytes"] / SPEED_ISSUES for _, r, _ in runs),
        statistics.median(r["cpu"] * 1000 / SPEED_ISSUES for _, r, _ in runs),
    )


def _markdown(  # noqa: PLR0917 - one argument per measured contender
    ours: float,
    full: float,
    ocean: float,
    single: float,
    memory: dict[tuple[int, bool], dict[str, Any]],
    metered: dict[str, tuple[float, tuple[float, float]]],
) -> str:
    n = SPEED_ISSUES + SPEED_PROJECTS
    rows = [
        ("jira-port (first run: full pass, no reconciliation; median of 3)", ours),
        ("jira-port, same, with `JIRA_FIELDS=*all` (median of 3)", metered["*all"][0]),
        ("jira-port full run (with reconciliation)", full),
        ("(b) Ocean-style: pages of 50 in sequence, bulk 20 concurrent per page", ocean),
        ("(a) guides: one Port request per entity, sequential", single),
    ]
    lines = [
        "## Backfill",
        "",
        f"Speed: {SPEED_ISSUES:,} issues in {SPEED_PROJECTS} projects (Jira Cloud flavour), "
        f"Jira answering after {JIRA_LATENCY * 1000:.0f} ms per call and Port after "
        f"{PORT_LATENCY * 1000:.0f} ms per request; every contender leaves the same entities in Port.",
        "",
        "| approach | seconds | entities/s | jira-port's first run is faster by |",
        "|---|---:|---:|---:|",
    ]
    for label, seconds in rows:
        ratio = f"{seconds / ours:.1f}x" if label.startswith("(") else "-"
        lines.append(f"| {label} | {seconds:.1f} | {n / seconds:,.0f} | {ratio} |")
    lines += [
        "",
        "jira-port's first run, per issue (medians of 3; CPU = this process and its jq workers, "
        "start-up excluded):",
        "",
        "| fields | seconds | bytes read from Jira per issue | CPU ms per issue |",
        "|---|---:|---:|---:|",
    ]
    for label, (seconds, (jira_bytes, cpu_ms)) in metered.items():
        name = "derived from the mapping (default)" if label == "derive" else "`*all`"
        lines.append(f"| {name} | {seconds:.1f} | {jira_bytes:,.0f} | {cpu_ms:.2f} |")
    lines += [
        "",
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
    lines += [
        "",
        "Measured by `bench/bench_backfill.py`: wall time of each contender against a local Jira and Port "
        "(separate process, injected latency); memory as `/proc/self/status` VmHWM of a run without "
        "tracemalloc and `tracemalloc.get_traced_memory()` peak of a second run.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
