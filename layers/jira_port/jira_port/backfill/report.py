"""What a backfill reports: rejection tallies, progress, the end-of-run summary and verdict, its metrics.

Rejections are never hidden: a run with any rejected entity, failed partition, failed or refused
reconciliation is ``failed`` (``ok: false``), whatever else went well.

Metrics (Powertools EMF, namespace ``JiraPort``) are this invocation's share, so sums over time are
totals; ``RejectedEntities`` and ``BackfillFailed`` feed the template's alarms. No extra dimension:
the alarms match on ``service``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from jira_port.backfill.store import MAX_EXAMPLES, PartitionState, RunState, Tally
from jira_port.observability import MetricUnit, metrics

if TYPE_CHECKING:
    from jira_port.port.types import EntityFailure

Status = Literal["succeeded", "failed", "continued", "locked", "stale"]
MAX_FAILED_PARTITIONS = 5
MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress snapshot for the CLI bar."""

    issues: int
    pages: int
    partitions_done: int
    partitions_total: int
    elapsed_seconds: float


ProgressListener = Callable[[Progress], None]


def failure_code(failure: EntityFailure) -> str:
    """The key rejections are counted by: Port's error code and the HTTP status, e.g. ``not_found (404)``."""
    status = "no response" if failure.status == 0 else str(failure.status)
    return f"{failure.error or 'error'} ({status})"


def tally_failures(failures: Sequence[EntityFailure]) -> Tally:
    """Rejection counts per code and the first examples."""
    tally = Tally(rejected=len(failures))
    for failure in failures:
        code = failure_code(failure)
        tally.codes[code] = tally.codes.get(code, 0) + 1
        if len(tally.examples) < MAX_EXAMPLES:
            tally.examples.append(
                {
                    "blueprint": failure.blueprint,
                    "identifier": failure.identifier,
                    "operation": failure.operation,
                    "status": failure.status,
                    "error": failure.error,
                    "message": failure.message[:MAX_MESSAGE_CHARS],
                    "transient": failure.transient,
                }
            )
    return tally


def run_totals(run: RunState, partitions: list[PartitionState]) -> Tally:
    """Projects, issue partitions and reconciliation deletes of a run, added up."""
    total = Tally()
    total.add(run.projects)
    for partition in partitions:
        total.add(partition.tally)
    rec = run.reconciliation or {}
    total.deleted += int(rec.get("deleted", 0))
    return total


def verdict(run: RunState, partitions: list[PartitionState]) -> str | None:
    """Why the run is not a success, or None when it is (all partitions done, nothing rejected)."""
    reasons = []
    total = run_totals(run, partitions)
    rejected = total.rejected + int((run.reconciliation or {}).get("failed", 0))
    if rejected:
        reasons.append(f"Port rejected {rejected} entities")
    failed = [p.key for p in partitions if p.status == "failed"]
    if failed:
        reasons.append(f"{len(failed)} partitions failed ({', '.join(failed[:MAX_FAILED_PARTITIONS])})")
    pending = [p.key for p in partitions if p.status == "pending"]
    if pending:
        reasons.append(f"{len(pending)} partitions not finished")
    rec = run.reconciliation or {}
    if rec.get("refused"):
        reasons.append(f"reconciliation refused: {rec.get('reason')}")
    if rec.get("ownershipError"):
        reasons.append(f"reconciliation skipped: {rec.get('skipped')}")
    if run.error:
        reasons.append(run.error)
    return "; ".join(reasons) or None


@dataclass(slots=True)
class BackfillSummary:
    """What a run (as of this invocation) did. ``ok`` is None while the run is unfinished."""

    mode: str
    status: Status
    ok: bool | None
    run_id: str | None = None
    message: str = ""
    since: str | None = None
    projects: int = 0
    issues: int = 0
    pages: int = 0
    totals: Tally = field(default_factory=Tally)
    partitions: dict[str, int] = field(default_factory=dict)
    failed_partitions: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: dict[str, Any] | None = None
    invocations: int = 0
    duration_seconds: float = 0.0
    active_seconds: float = 0.0
    invocation: Tally = field(default_factory=Tally)

    @property
    def issues_per_second(self) -> float:
        """Issues read per second of active processing (across invocations)."""
        return round(self.issues / self.active_seconds, 1) if self.active_seconds > 0 else 0.0

    @classmethod
    def of_run(
        cls, run: RunState, partitions: list[PartitionState], status: Status, invocation: Tally
    ) -> BackfillSummary:
        """The summary of ``run`` after this invocation."""
        totals = run_totals(run, partitions)
        issue_tally = Tally()
        for partition in partitions:
            issue_tally.add(partition.tally)
        end_ms = run.finished_ms or time.time_ns() // 1_000_000
        counts = {"total": len(partitions), "done": 0, "failed": 0, "pending": 0}
        for partition in partitions:
            counts[partition.status] += 1
        reason = verdict(run, partitions)
        ok: bool | None = None
        if status == "succeeded":
            ok = True
        elif status == "failed":
            ok = False
        return cls(
            mode=run.mode,
            status=status,
            ok=ok,
            run_id=run.run_id,
            message=reason or "",
            since=run.since,
            projects=run.projects.items,
            issues=issue_tally.items,
            pages=issue_tally.pages,
            totals=totals,
            partitions=counts,
            failed_partitions=[
                {"key": p.key, "attempts": p.attempts, "error": p.error}
                for p in partitions
                if p.status == "failed"
            ][:MAX_FAILED_PARTITIONS],
            reconciliation=run.reconciliation,
            invocations=run.invocations,
            duration_seconds=round(max(0, end_ms - run.started_ms) / 1000, 3),
            active_seconds=round(run.active_ms / 1000, 3),
            invocation=invocation,
        )

    @classmethod
    def without_run(
        cls, mode: str, status: Status, message: str, run_id: str | None = None
    ) -> BackfillSummary:
        """The summary of an invocation that did no work (lock held elsewhere, stale continuation)."""
        return cls(mode=mode, status=status, ok=None, run_id=run_id, message=message)

    def to_dict(self) -> dict[str, Any]:
        """The Lambda response / CLI JSON form."""
        return {
            "ok": self.ok,
            "status": self.status,
            "mode": self.mode,
            "runId": self.run_id,
            "message": self.message,
            "since": self.since,
            "projects": self.projects,
            "issues": self.issues,
            "pages": self.pages,
            "upserted": self.totals.upserted,
            "deleted": self.totals.deleted,
            "rejected": self.totals.rejected,
            "rejections": dict(sorted(self.totals.codes.items(), key=lambda kv: -kv[1])),
            "examples": self.totals.examples,
            "retried": self.totals.retried,
            "skippedNewer": self.totals.skipped_newer,
            "partitions": self.partitions,
            "failedPartitions": self.failed_partitions,
            "reconciliation": self.reconciliation,
            "invocations": self.invocations,
            "durationSeconds": self.duration_seconds,
            "activeSeconds": self.active_seconds,
            "issuesPerSecond": self.issues_per_second,
        }


def publish_metrics(summary: BackfillSummary, elapsed_seconds: float) -> None:
    """Add the invocation's metrics to the Powertools metrics object (flushed by ``log_metrics``)."""
    done = summary.invocation
    metrics.add_metric(name="Pages", unit=MetricUnit.Count, value=done.pages)
    metrics.add_metric(name="Issues", unit=MetricUnit.Count, value=done.items)
    metrics.add_metric(name="Upserts", unit=MetricUnit.Count, value=done.upserted)
    metrics.add_metric(name="Deletes", unit=MetricUnit.Count, value=done.deleted)
    metrics.add_metric(name="Failures", unit=MetricUnit.Count, value=done.rejected)
    metrics.add_metric(name="RejectedEntities", unit=MetricUnit.Count, value=done.rejected)
    rate = done.items / elapsed_seconds if elapsed_seconds > 0 else 0.0
    metrics.add_metric(name="IssuesPerSecond", unit=MetricUnit.CountPerSecond, value=round(rate, 2))
    metrics.add_metric(
        name="BackfillFailed", unit=MetricUnit.Count, value=1 if summary.status == "failed" else 0
    )
    rec = summary.reconciliation or {}
    if rec.get("refused"):
        metrics.add_metric(name="ReconciliationRefused", unit=MetricUnit.Count, value=1)
    if rec.get("ownershipError"):
        metrics.add_metric(name="ReconciliationSkipped", unit=MetricUnit.Count, value=1)
    if rec.get("keptNotOwned"):
        metrics.add_metric(name="KeptNotOwned", unit=MetricUnit.Count, value=int(rec["keptNotOwned"]))
