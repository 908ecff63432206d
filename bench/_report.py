"""Discovery, isolated execution and the Markdown report of the benchmark modules."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
REPORT = ROOT / "docs" / "benchmarks.md"
COMMAND = "make bench"
# Sections in reading order: the pipeline's parts first, then any other benchmark alphabetically.
ORDER = ("mapping", "port", "jira", "webhook", "backfill")
SECTION_TIMEOUT_SECONDS = 1800
_MARK = re.compile(
    r"<!-- bench:(?P<name>[a-z0-9_]+) (?P<meta>.*?) -->\n(?P<body>.*?)<!-- /bench:(?P=name) -->\n", re.S
)


@dataclass(frozen=True)
class Section:
    """The outcome of one benchmark module."""

    name: str
    ok: bool
    markdown: str
    seconds: float
    measured_at: str

    def render(self) -> str:
        """The section wrapped in markers, so a later ``--only`` run can replace it alone."""
        status = "ok" if self.ok else "failed"
        meta = f"status={status} measured={self.measured_at} seconds={self.seconds:.1f}"
        return f"<!-- bench:{self.name} {meta} -->\n{self.markdown.rstrip()}\n\n<!-- /bench:{self.name} -->\n"


def discover() -> list[str]:
    """Names (``bench_<name>.py`` -> ``<name>``) of every benchmark module, in report order."""
    names = sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))
    first = [n for n in ORDER if n in names]
    return first + [n for n in names if n not in ORDER]


def run_isolated(name: str) -> Section:
    """Run ``bench_<name>.run()`` in a fresh interpreter; a crash or exception becomes a failed section.

    A separate process keeps one benchmark's environment variables, mocks, threads and imported
    modules from changing the next one's numbers.
    """
    started = time.perf_counter()
    measured_at = _now()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "section.md"
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench", "--run-one", name, "--out", str(out)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=SECTION_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return _failed(name, f"timed out after {SECTION_TIMEOUT_SECONDS} s", started, measured_at)
        if done.returncode == 0 and out.is_file():
            return Section(
                name, True, out.read_text(encoding="utf-8"), time.perf_counter() - started, measured_at
            )
        detail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-25:])
        return _failed(name, detail or f"exit status {done.returncode}", started, measured_at)


def run_one(name: str, out: Path) -> None:
    """Child side of ``run_isolated``: import the module, call ``run()`` and write its Markdown."""
    import importlib

    module = importlib.import_module(f"bench.bench_{name}")
    markdown = module.run()
    if not isinstance(markdown, str) or not markdown.lstrip().startswith("## "):
        raise TypeError(f"bench_{name}.run() must return a Markdown section starting with '## '")
    out.write_text(markdown, encoding="utf-8")


def _failed(name: str, detail: str, started: float, measured_at: str) -> Section:
    body = f"## {name}: FAILED\n\nThe benchmark did not complete:\n\n```text\n{detail}\n```\n"
    return Section(name, False, body, time.perf_counter() - started, measured_at)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")


def machine() -> dict[str, str]:
    """CPU model, cores, memory, OS and Python of this machine."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in {"model name", "Hardware", "Processor"} and value.strip():
                cpu = value.strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        match = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text(encoding="utf-8"))
        if match:
            memory = f"{int(match.group(1)) / 1024**2:.1f} GiB"
    system = f"{platform.system()} {platform.release()}"
    os_release = Path("/etc/os-release")
    if os_release.is_file():
        match = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', os_release.read_text(encoding="utf-8"), re.M)
        if match:
            system = f"{match.group(1)} (kernel {platform.release()})"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": f"{cpu} ({platform.machine()})",
        "Cores": f"{os.cpu_count()} ({usable} usable by this process)",
        "Memory": memory,
        "OS": system,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def previous_sections(text: str) -> dict[str, str]:
    """Marked sections of an existing report, by name (markers included)."""
    return {m.group("name"): m.group(0) for m in _MARK.finditer(text)}


def compose(sections: dict[str, str], names: list[str], updated: list[Section]) -> str:
    """The whole report: header, machine, command, a status table, then the sections in order."""
    rows = []
    for name in names:
        match = _MARK.search(sections[name])
        meta = dict(kv.split("=", 1) for kv in match.group("meta").split()) if match else {}
        rows.append(f"| {name} | {meta.get('status', '?')} | {meta.get('measured', '?')} |")
    lines = [
        "# Benchmarks",
        "",
        "Measured numbers, regenerated by the command below; every section says how it was measured.",
        "Numbers depend on the machine: compare runs on the same machine only.",
        "",
        f"- Command: `{COMMAND}` (`python -m bench`; `python -m bench --only NAME` re-runs one section)",
        f"- Generated: {_now()}" + (f" (re-ran: {', '.join(s.name for s in updated)})" if updated else ""),
    ]
    lines += [f"- {key}: {value}" for key, value in machine().items()]
    lines += ["", "| section | status | measured |", "|---|---|---|", *rows, ""]
    return "\n".join(lines) + "\n" + "\n".join(sections[n] for n in names)
