"""jira-port's backfill as the benchmark runs it, and what a run costs.

- ``run_jira_port``: one run in this process with the defaults (state in a temporary file);
  ``run_metered`` also meters the bytes read from Jira's search and the CPU of this process and its
  jq workers; ``run_cli_process``: ``jira-port backfill`` in a fresh interpreter, so its wall time
  includes start-up (interpreter, imports, configuration) as a scheduled run pays it.
- ``measure_memory``: a full run in a fresh interpreter, its resident set (VmHWM) or tracemalloc peak.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench._emulator_host import Host


def quiet() -> None:
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
        self.worker_cpu = 0.0  # the part of ``cpu`` spent in jq workers (and other child processes)

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

        (own, workers), before = _cpu_seconds(), self._cpu_before
        own, workers = own - before[0], workers - before[1]
        self.cpu, self.worker_cpu = own + workers, workers
        JiraHTTP.request_raw = self._original  # type: ignore[method-assign]


def _cpu_seconds() -> tuple[float, float]:
    """CPU of this process, and of its reaped children and live jq workers (read from /proc)."""
    from jira_port.mapping import bounded

    times = os.times()
    total = times.children_user + times.children_system
    ticks = os.sysconf("SC_CLK_TCK")
    for worker in list(bounded._workers):
        try:
            stat = Path(f"/proc/{worker.process.pid}/stat").read_text(encoding="utf-8")
        except OSError:
            continue
        parts = stat.rsplit(")", 1)[1].split()
        total += (int(parts[11]) + int(parts[12])) / ticks
    return times.user + times.system, total


def run_metered(env: dict[str, str], fields: str) -> dict[str, Any]:
    """``run_jira_port`` (incremental) with ``JIRA_FIELDS=fields``, metered."""
    with Meter() as meter:
        summary = run_jira_port({**env, "JIRA_FIELDS": fields})
    return {
        "summary": summary,
        "jira_bytes": meter.jira_bytes,
        "cpu": meter.cpu,
        "worker_cpu": meter.worker_cpu,
    }


def run_cli_process(env: dict[str, str], mode: str = "incremental") -> None:
    """``jira-port backfill`` in a fresh interpreter (state in a temporary file); raises when it fails."""
    code = "import sys; from jira_port_tools.cli import main; sys.exit(main(sys.argv[1:]))"
    with tempfile.TemporaryDirectory() as tmp:
        args = ["backfill", "--mode", mode, "--state", str(Path(tmp) / "state.json"), "--no-progress"]
        subprocess.run(
            [sys.executable, "-c", code, *args],
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def _measure(conn: Connection, env: dict[str, str], trace: bool) -> None:
    import tracemalloc

    quiet()
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


def measure_memory(issues: int, projects: int, *, trace: bool, mapping: str | None = None) -> dict[str, Any]:
    """A full run over ``issues`` issues in a fresh interpreter; time, VmHWM or tracemalloc peak.
    ``mapping``: the ``MAPPING_CONFIG`` to run with (default: the bundled default mapping)."""
    host = Host(projects, issues, 0.0, 0.0)
    try:
        env = host.fresh_port() | ({"MAPPING_CONFIG": mapping} if mapping else {})
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
