"""The backfill's records: its input, what it reads (as webhook events), a run, its partitions, tallies.

Every persistent record serialises to plain JSON (``to_json``/``from_json``) so the same records live
in DynamoDB items and in the local state file. What the backfill reads is presented exactly as the
live webhooks carry it, so one mapping serves both paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from jira_port.errors import JiraPortError
from jira_port.mapping.document import SOURCE_HEADER

Mode = Literal["full", "incremental"]
MODES: tuple[Mode, ...] = ("full", "incremental")
RunStatus = Literal["running", "succeeded", "failed"]
Phase = Literal["projects", "issues", "reconcile", "done"]
PartitionStatus = Literal["pending", "done", "failed"]
MAX_EXAMPLES = 5
BACKFILL_SOURCE = "backfill"
BACKFILL_HEADERS: dict[str, str] = {SOURCE_HEADER: BACKFILL_SOURCE}
ISSUE_EVENT = "jira:issue_updated"
PROJECT_EVENT = "project_updated"


class InvalidRequestError(JiraPortError):
    """The invocation input is not ``{"mode": "full" | "incremental", "runId"?: str}``."""


@dataclass(frozen=True, slots=True)
class BackfillRequest:
    """A validated invocation input."""

    mode: Mode
    run_id: str | None = None

    @classmethod
    def parse(cls, event: Any) -> BackfillRequest:
        """Validate a scheduler / manual / continuation input; raises ``InvalidRequestError``."""
        if not isinstance(event, dict):
            raise InvalidRequestError('backfill input must be a JSON object like {"mode": "incremental"}')
        unknown = sorted(set(event) - {"mode", "runId"})
        if unknown:
            raise InvalidRequestError(f"unknown backfill input keys: {', '.join(map(str, unknown))}")
        mode = event.get("mode")
        if mode not in MODES:
            raise InvalidRequestError(f"backfill mode must be one of {', '.join(MODES)}, got {mode!r}"[:200])
        run_id = event.get("runId")
        if run_id is not None and (not isinstance(run_id, str) or not 0 < len(run_id) <= 100):
            raise InvalidRequestError("runId must be a non-empty string of at most 100 characters")
        return cls(mode=mode, run_id=run_id)

    def payload(self, run_id: str) -> dict[str, str]:
        """The continuation input for ``run_id``."""
        return {"mode": self.mode, "runId": run_id}


def issue_event(issue: dict[str, Any], read_at_ms: int) -> dict[str, Any]:
    """A ``jira:issue_updated`` webhook body for ``issue`` (REST v2 shape), stamped with the read time."""
    return {"webhookEvent": ISSUE_EVENT, "timestamp": read_at_ms, "issue": issue}


def project_event(project: dict[str, Any], read_at_ms: int) -> dict[str, Any]:
    """A ``project_updated`` webhook body for ``project``, stamped with the read time."""
    return {"webhookEvent": PROJECT_EVENT, "timestamp": read_at_ms, "project": project}


@dataclass(slots=True)
class Tally:
    """Counts of one page, one partition, one invocation or one whole run."""

    pages: int = 0
    items: int = 0
    upserted: int = 0
    deleted: int = 0
    rejected: int = 0
    retried: int = 0
    skipped_newer: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Accumulate ``other`` (rejection codes summed, the first examples kept)."""
        self.pages += other.pages
        self.items += other.items
        self.upserted += other.upserted
        self.deleted += other.deleted
        self.rejected += other.rejected
        self.retried += other.retried
        self.skipped_newer += other.skipped_newer
        for code, count in other.codes.items():
            self.codes[code] = self.codes.get(code, 0) + count
        room = MAX_EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(other.examples[:room])

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "pages": self.pages,
            "items": self.items,
            "upserted": self.upserted,
            "deleted": self.deleted,
            "rejected": self.rejected,
            "retried": self.retried,
            "skippedNewer": self.skipped_newer,
            "codes": dict(self.codes),
            "examples": list(self.examples),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Tally:
        """Inverse of ``to_json`` (missing keys count as zero)."""
        data = data or {}
        return cls(
            pages=int(data.get("pages", 0)),
            items=int(data.get("items", 0)),
            upserted=int(data.get("upserted", 0)),
            deleted=int(data.get("deleted", 0)),
            rejected=int(data.get("rejected", 0)),
            retried=int(data.get("retried", 0)),
            skipped_newer=int(data.get("skippedNewer", 0)),
            codes={str(k): int(v) for k, v in (data.get("codes") or {}).items()},
            examples=list(data.get("examples") or []),
        )


@dataclass(slots=True)
class PartitionState:
    """One independently pageable slice of the issue scope (one project, or the whole scope).

    ``cursor`` resumes *after* the last page whose writes completed; ``tally.pages`` doubles as the
    index of the next page, which keys that page's seen-identifier chunk.
    """

    key: str
    jql: str
    status: PartitionStatus = "pending"
    cursor: dict[str, Any] | None = None
    tally: Tally = field(default_factory=Tally)
    attempts: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "key": self.key,
            "jql": self.jql,
            "status": self.status,
            "cursor": self.cursor,
            "tally": self.tally.to_json(),
            "attempts": self.attempts,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PartitionState:
        """Inverse of ``to_json``."""
        return cls(
            key=str(data["key"]),
            jql=str(data["jql"]),
            status=cast(PartitionStatus, data.get("status", "pending")),
            cursor=data.get("cursor"),
            tally=Tally.from_json(data.get("tally")),
            attempts=int(data.get("attempts", 0)),
            error=data.get("error"),
        )


@dataclass(slots=True)
class RunState:
    """One backfill run, which may span many invocations.

    ``started_ms`` is when the run began reading Jira: once the run succeeds it becomes the
    watermark of the next incremental run. ``since`` is the JQL lower bound of an incremental run.
    """

    run_id: str
    mode: Mode
    scope: str
    started_ms: int
    status: RunStatus = "running"
    phase: Phase = "projects"
    since: str | None = None
    reconcile: bool = False
    projects: Tally = field(default_factory=Tally)
    reconciliation: dict[str, Any] | None = None
    invocations: int = 0
    active_ms: int = 0
    finished_ms: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "runId": self.run_id,
            "mode": self.mode,
            "scope": self.scope,
            "startedMs": self.started_ms,
            "status": self.status,
            "phase": self.phase,
            "since": self.since,
            "reconcile": self.reconcile,
            "projects": self.projects.to_json(),
            "reconciliation": self.reconciliation,
            "invocations": self.invocations,
            "activeMs": self.active_ms,
            "finishedMs": self.finished_ms,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunState:
        """Inverse of ``to_json``."""
        return cls(
            run_id=str(data["runId"]),
            mode=cast(Mode, data["mode"]),
            scope=str(data.get("scope", "")),
            started_ms=int(data["startedMs"]),
            status=cast(RunStatus, data.get("status", "running")),
            phase=cast(Phase, data.get("phase", "projects")),
            since=data.get("since"),
            reconcile=bool(data.get("reconcile", False)),
            projects=Tally.from_json(data.get("projects")),
            reconciliation=data.get("reconciliation"),
            invocations=int(data.get("invocations", 0)),
            active_ms=int(data.get("activeMs", 0)),
            finished_ms=data.get("finishedMs"),
            error=data.get("error"),
        )


def now_ms() -> int:
    """Wall-clock epoch milliseconds (the version stamp of what is read now)."""
    return time.time_ns() // 1_000_000


class Deadline:
    """Whether the invocation must stop taking new work (``remaining_ms`` below the safety margin)."""

    def __init__(self, remaining_ms: Callable[[], int] | None, margin_seconds: float) -> None:
        self._remaining_ms = remaining_ms
        self.margin_ms = int(margin_seconds * 1000)

    def expired(self) -> bool:
        """True once less than the margin is left (never without a time limit)."""
        return self._remaining_ms is not None and self._remaining_ms() < self.margin_ms


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress snapshot for the CLI bar."""

    issues: int
    pages: int
    partitions_done: int
    partitions_total: int
    elapsed_seconds: float


ProgressListener = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Paging and concurrency options of the issue pass."""

    concurrency: int = 8
    fields: list[str] | None = None
    expand: str | None = None
    page_size: int | None = None
    max_attempts: int = 3
    record_seen: bool = True
