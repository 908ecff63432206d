"""Mapping cost per event: our one-jq-run-per-event program (bounded in a worker process, and in-process as
before the bound) vs Ocean-style per-field jq vs jq's own floor."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jq

from jira_port.mapping import CompiledMapping, load_mapping, load_mapping_text
from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.document import build_document
from jira_port.mapping.issue_fields import derive_issue_fields
from jira_port.mapping.pages import evaluate_page, page_program

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
HEADERS = {"x-jira-port-source": "webhook"}
BASE_URL = "https://acme.atlassian.net"
REPEATS = 7
TARGET_SECONDS = 0.5  # per repeat and variant (the workers' CPU time is counted in 10 ms ticks)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Ocean's default Jira issue mapping (integrations/jira/.port/resources/port-app-config.yaml) in Port's
# webhook format: 17 entity expressions plus the selector query "true" = 18 jq expressions per issue.
OCEAN_LIKE = [
    {
        "blueprint": "jiraIssue",
        "filter": "true",
        "entity": {
            "identifier": ".body.issue.key",
            "title": ".body.issue.fields.summary",
            "properties": {
                "url": '(.body.issue.self | split("/") | .[:3] | join("/")) + "/browse/" + .body.issue.key',
                "status": ".body.issue.fields.status.name",
                "issueType": ".body.issue.fields.issuetype.name",
                "components": ".body.issue.fields.components",
                "creator": ".body.issue.fields.creator.emailAddress",
                "priority": ".body.issue.fields.priority.name",
                "labels": ".body.issue.fields.labels",
                "created": ".body.issue.fields.created",
                "updated": ".body.issue.fields.updated",
                "resolutionDate": ".body.issue.fields.resolutiondate",
            },
            "relations": {
                "project": ".body.issue.fields.project.key",
                "parentIssue": ".body.issue.fields.parent.key",
                "subtasks": ".body.issue.fields.subtasks | map(.key)",
                "assignee": ".body.issue.fields.assignee.accountId",
                "reporter": ".body.issue.fields.reporter.accountId",
            },
        },
    }
]


class PerField:
    """Ocean's way: each expression compiled on its own, run on the whole event with a fresh input.

    Like Ocean's ``JQEntityProcessor``: ``compiled.input_value(data).first()`` per field (the event is
    re-serialised for every field), errors and no output become null; a rule's fields are evaluated
    only when its filter returned true.
    """

    def __init__(self, mapping: CompiledMapping) -> None:
        def compiled(program: str) -> Any:
            return jq.compile(program, args={"jira_base_url": BASE_URL})

        self.rules = [
            (
                compiled(rule.filter.program) if rule.filter else None,
                [(f.path, compiled(f.program)) for f in rule.fields],
            )
            for rule in mapping.rules
        ]

    def evaluate(self, document: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for filter_program, fields in self.rules:
            if filter_program is not None and _first(filter_program, document) is not True:
                continue
            out.append({path: _first(program, document) for path, program in fields})
        return out

    def expressions_run(self, document: dict[str, Any]) -> int:
        """How many jq runs ``evaluate`` makes for this event."""
        runs = 0
        for filter_program, fields in self.rules:
            runs += filter_program is not None
            if filter_program is None or _first(filter_program, document) is True:
                runs += len(fields)
        return runs


def _first(program: Any, document: dict[str, Any]) -> Any:
    try:
        return program.input_value(document).first()
    except (ValueError, StopIteration):
        return None


def _per_call_us(**calls: Callable[[], object]) -> dict[str, tuple[float, float]]:
    """Per variant, the best over REPEATS of the mean (CPU, wall) time of one call, in microseconds.

    CPU = this process plus its children (the jq worker of the bounded variants), so that other
    processes competing for the CPU do not count; wall = elapsed time, which includes the worker's
    wake-ups (and, on a busy machine, its waits for a core). Variants alternate (round robin) and the
    minimum is kept, as noise only adds time.
    """
    loops = {}
    for name, call in calls.items():
        call()
        started, count = time.perf_counter(), 0
        while time.perf_counter() - started < TARGET_SECONDS / 5:
            call()
            count += 1
        loops[name] = max(5, count * 5)
    cpu = dict.fromkeys(calls, float("inf"))
    wall = dict.fromkeys(calls, float("inf"))
    for _ in range(REPEATS):
        for name, call in calls.items():
            cpu_begin, wall_begin = _cpu_seconds(), time.perf_counter_ns()
            for _ in range(loops[name]):
                call()
            wall[name] = min(wall[name], (time.perf_counter_ns() - wall_begin) / loops[name] / 1000)
            cpu[name] = min(cpu[name], (_cpu_seconds() - cpu_begin) / loops[name] * 1e6)
    return {name: (cpu[name], wall[name]) for name in calls}


def _cpu_seconds() -> float:
    """CPU time of this process and of its live children (the jq workers), from /proc."""
    total = time.process_time()
    for listing in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in listing.read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def _largest_capture() -> Path:
    def compact_size(path: Path) -> int:
        return len(json.dumps(json.loads(path.read_text(encoding="utf-8")), separators=(",", ":")))

    return max(sorted((FIXTURES / "jira-webhooks").glob("*.json")), key=compact_size)


def _scenario(
    label: str, load: Callable[[EvaluationLimits | None], CompiledMapping], body: dict[str, Any]
) -> dict[str, Any]:
    mapping, unbounded = load(EvaluationLimits()), load(None)
    assert mapping.limits is not None and unbounded.limits is None
    document = build_document(body, HEADERS, None)
    per_field = PerField(mapping)
    floor = jq.compile(".")
    expected = mapping.evaluate_detailed(body, HEADERS, jira_base_url=BASE_URL)
    assert expected.actions and not expected.warnings, f"{label}: the scenario must map cleanly"
    raw = json.dumps(body, separators=(",", ":"))  # as Jira sends it
    assert expected == unbounded.evaluate_detailed(body, HEADERS, jira_base_url=BASE_URL)
    assert expected == mapping.evaluate_detailed(body, HEADERS, jira_base_url=BASE_URL, raw_body=raw)
    timing = _per_call_us(
        ours=lambda: mapping.evaluate_detailed(body, HEADERS, jira_base_url=BASE_URL, raw_body=raw),
        ours_parsed=lambda: mapping.evaluate_detailed(body, HEADERS, jira_base_url=BASE_URL),
        in_process=lambda: unbounded.evaluate_detailed(body, HEADERS, jira_base_url=BASE_URL),
        per_field=lambda: per_field.evaluate(document),
        floor=lambda: floor.input_value(document).first(),
    )
    evaluated = per_field.expressions_run(document)
    return {
        "label": label,
        "expressions": evaluated,
        "bytes": len(json.dumps(document, separators=(",", ":"))),
        **timing,
    }


PAGE_ISSUES = 100
READ_AT = 1_733_000_000_000


def _page_issues() -> list[dict[str, Any]]:
    """A search page of 100 issues cycled from the captured webhook issues, each with its own key."""
    captured = []
    for path in sorted((FIXTURES / "jira-webhooks").glob("*.json")):
        issue = json.loads(path.read_text("utf-8")).get("issue")
        if isinstance(issue, dict) and isinstance(issue.get("fields"), dict):
            captured.append(issue)
    page = []
    for n in range(PAGE_ISSUES):
        issue = dict(captured[n % len(captured)])
        issue["key"] = f"{str(issue['key']).split('-')[0]}-{n + 1}"
        page.append(issue)
    return page


def _page_scenario(label: str, mapping: CompiledMapping, issues: list[dict[str, Any]]) -> str:
    """Per-issue CPU of a backfill page: issue by issue (parsed issues re-encoded) vs one jq run."""
    headers = {"x-jira-port-source": "backfill"}
    raw = json.dumps({"startAt": 0, "maxResults": PAGE_ISSUES, "issues": issues}).encode("utf-8")
    program = page_program(mapping, "jira:issue_updated", headers)

    def one_by_one() -> list[Any]:
        return [
            mapping.evaluate_detailed(
                {"webhookEvent": "jira:issue_updated", "timestamp": READ_AT, "issue": issue},
                headers, {}, jira_base_url=BASE_URL,
            )
            for issue in issues
        ]  # fmt: skip

    def by_page() -> Any:
        return evaluate_page(
            mapping, program, raw, skip=0, count=PAGE_ISSUES, read_at_ms=READ_AT, jira_base_url=BASE_URL
        )

    assert by_page() == one_by_one(), f"{label}: the page must map like its issues"
    timing = _per_call_us(issue_by_issue=one_by_one, page=by_page)
    (cpu_each, wall_each), (cpu_page, wall_page) = timing["issue_by_issue"], timing["page"]
    return (
        f"| {label} | {len(raw) / PAGE_ISSUES:,.0f} | {cpu_each / PAGE_ISSUES:.0f} | "
        f"{cpu_page / PAGE_ISSUES:.0f} | {cpu_each / cpu_page:.1f}x | "
        f"{wall_each / PAGE_ISSUES:.0f} / {wall_page / PAGE_ISSUES:.0f} |"
    )


def _page_rows() -> list[str]:
    mapping = load_mapping(None)
    issues = _page_issues()
    derived = set(derive_issue_fields(mapping.rules).fields)
    narrowed = [{**i, "fields": {k: v for k, v in i["fields"].items() if k in derived}} for i in issues]
    return [
        _page_scenario("fields `*all` (captured issues)", mapping, issues),
        _page_scenario("fields derived from the default mapping", mapping, narrowed),
    ]


def _row(s: dict[str, Any]) -> str:
    (before, before_wall), (live, live_wall), (parsed, parsed_wall) = (
        s["in_process"],
        s["ours"],
        s["ours_parsed"],
    )
    per_field, floor = s["per_field"][0], s["floor"][0]
    return (
        f"| {s['label']} | {s['expressions']} | {s['bytes']:,} | {before:.0f} | {live:.0f} "
        f"| {(live / before - 1) * 100:+.0f}% | {parsed:.0f} | {(parsed / before - 1) * 100:+.0f}% "
        f"| {before_wall:.0f} / {live_wall:.0f} / {parsed_wall:.0f} | {per_field:.0f} | {floor:.0f} "
        f"| {per_field / live:.1f}x | {live / floor:.2f}x |"
    )


def run() -> str:
    """Measure three scenarios and return the Markdown section."""
    cloud_payload = json.loads((FIXTURES / "port-guides" / "cloud-guide-payload.json").read_text("utf-8"))
    largest = _largest_capture()
    scenarios = [
        _scenario(
            "Cloud guide payload, Cloud guide mapping",
            lambda limits: load_mapping("cloud-guide", limits),
            cloud_payload,
        ),
        _scenario(
            "Cloud guide payload, Ocean-like default issue mapping",
            lambda limits: load_mapping_text(json.dumps(OCEAN_LIKE), limits=limits),
            cloud_payload,
        ),
        _scenario(
            f"largest capture ({largest.name}), jira-port default mapping",
            lambda limits: load_mapping(None, limits),
            json.loads(largest.read_text("utf-8")),
        ),
    ]
    rows = [_row(s) for s in scenarios]
    return "\n".join(
        [
            "## mapping",
            "",
            "Cost of mapping one Jira event to Port actions, in microseconds per event (lower is better).",
            "",
            "| scenario | jq expressions | event bytes | before the bound (in-process) µs "
            "| bounded, live path (raw body) µs | vs before | bounded, parsed body only µs | vs before "
            "| wall µs: before / live / parsed "
            "| per-field (Ocean-style) µs | floor: jq `.` µs | per-field / bounded | bounded / floor |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "How: CPU time per call of this process and its jq worker process (wall time in its own "
            "column); the five variants are timed in alternation, "
            f"{REPEATS} rounds of a loop of about {TARGET_SECONDS:.2f} s each, after warm-up; the best "
            "round counts. jira-port = "
            "`CompiledMapping.evaluate_detailed` end to end (document, one JSON serialisation, one jq run "
            "for all rules, assembly of the actions). Before the bound = `limits=None`, jq in this process "
            "(what every path ran before; no protection against a runaway expression). Bounded = the "
            "default: the jq run in the worker process with its deadline and memory cap "
            "(`MAPPING_TIMEOUT_SECONDS`, `MAPPING_MEMORY_MB`); the input text goes down a pipe and the "
            "result comes back as JSON. The live path (webhook relevance check and sync) passes the body "
            "text it received (`raw_body`), which jq reads as sent instead of a re-serialisation of the "
            "parsed body, which offsets part of the pipe's cost. The backfill has only parsed bodies (last "
            "bounded column). Per-field = "
            "every expression compiled alone and run with `input_value(event).first()` (the event "
            "serialised and parsed again per expression, as "
            "Port's Ocean does), fields evaluated only for rules whose filter is true; floor = "
            "`jq.compile('.')` with `input_value(event)` (serialise, parse and convert back the event once). "
            "The expression count is what per-field evaluation runs for that event (filters, then the "
            "fields of the rules whose filter is true).",
            "",
            f"Backfill: a search page of {PAGE_ISSUES} issues (captured webhook issues, each with its own "
            "key), jira-port's default mapping, bounded; µs per issue (CPU of this process and its jq "
            "worker; wall in its own column).",
            "",
            "| page | issue bytes | issue by issue µs | one jq run per page (raw bytes) µs | faster by "
            "| wall µs: issue by issue / page |",
            "|---|---:|---:|---:|---:|---:|",
            *_page_rows(),
            "",
            "Issue by issue = `evaluate_detailed` per issue on the parsed issue (the backfill before: "
            "serialised again for jq, one worker round trip per issue). Page = `mapping.pages.evaluate_page` "
            "on the response bytes as received: one jq run builds every webhook-shaped event and runs every "
            "rule; Python decodes only the mapped output. Both give the same actions and warnings "
            "(asserted before timing).",
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
