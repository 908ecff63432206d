"""Backfill state: the records of a run (``RunState``, ``PartitionState``, ``Tally``) and their items.

Every record serialises to plain JSON (``to_json``/``from_json``), so the same records live in the
DynamoDB state table and in the local state file (both ``tables.ItemTable``). Item layout (``pk`` / ``sk``):

- ``backfill#<mode>`` / ``run``: the current (or last) run of that mode.
- ``backfill#<mode>`` / ``last-success``: start of the last successful run (incremental watermark).
- ``backfill#<mode>`` / ``partition#<runId>#<key>``: one partition (status, cursor, tally). Each is an
  independent item, so partitions could be spread over concurrent workers later.
- ``backfill#<mode>`` / ``seen#<runId>#<key>#<page>``: the identifiers the mapping produced for one
  page, per blueprint, zlib-compressed (a few hundred bytes per page). Written before the page's
  cursor is saved and keyed by page index, so a re-read page overwrites its own chunk.
- ``backfill#lock`` / ``lock``: the lease that keeps two invocations from working at the same time
  (``tables.RunLock``).

Partition and seen items expire (TTL) after ``ttl_days``; run and watermark items are kept.
"""

from __future__ import annotations

import base64
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from jira_port.state import ItemTable

Mode = Literal["full", "incremental"]
MODES: tuple[Mode, ...] = ("full", "incremental")
RunStatus = Literal["running", "succeeded", "failed"]
Phase = Literal["projects", "issues", "reconcile", "done"]
PartitionStatus = Literal["pending", "done", "failed"]
MAX_EXAMPLES = 5


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


def _pk(mode: Mode) -> str:
    return f"backfill#{mode}"


def encode_ids(ids: list[str]) -> str:
    """Identifiers as base64(zlib(newline-joined)): compact and JSON-safe."""
    return base64.b64encode(zlib.compress("\n".join(ids).encode("utf-8"), 6)).decode("ascii")


def decode_ids(blob: str) -> list[str]:
    """Inverse of ``encode_ids``."""
    text = zlib.decompress(base64.b64decode(blob)).decode("utf-8")
    return text.split("\n") if text else []


class BackfillStore:
    """Typed access to the backfill's items."""

    def __init__(
        self, table: ItemTable, *, ttl_days: int = 14, clock: Callable[[], float] = time.time
    ) -> None:
        self.table = table
        self.ttl_seconds = ttl_days * 86400
        self._clock = clock

    def _expiry(self) -> int:
        return int(self._clock()) + self.ttl_seconds

    def load_run(self, mode: Mode) -> RunState | None:
        """The current or last run of ``mode``."""
        data = self.table.get(_pk(mode), "run")
        return None if data is None else RunState.from_json(data)

    def save_run(self, run: RunState) -> None:
        """Persist the run record."""
        self.table.put(_pk(run.mode), "run", run.to_json())

    def last_success_ms(self) -> int | None:
        """Start of the most recent successful run of any mode (the incremental watermark)."""
        starts = []
        for mode in MODES:
            data = self.table.get(_pk(mode), "last-success")
            if data is not None:
                starts.append(int(data["startedMs"]))
        return max(starts) if starts else None

    def record_success(self, run: RunState) -> None:
        """Make ``run`` the watermark of later incremental runs."""
        self.table.put(_pk(run.mode), "last-success", {"runId": run.run_id, "startedMs": run.started_ms})

    def load_partitions(self, run: RunState) -> list[PartitionState]:
        """Every partition of ``run``, ordered by key."""
        prefix = f"partition#{run.run_id}#"
        return [PartitionState.from_json(data) for _, data in self.table.query(_pk(run.mode), prefix)]

    def save_partition(self, run: RunState, partition: PartitionState) -> None:
        """Persist one partition (status, cursor, tally)."""
        sk = f"partition#{run.run_id}#{partition.key}"
        self.table.put(_pk(run.mode), sk, partition.to_json(), expires_at=self._expiry())

    def save_seen(self, run: RunState, key: str, page: int, ids: Mapping[str, list[str]]) -> None:
        """Record the identifiers (per blueprint) that page ``page`` of partition ``key`` produced."""
        sk = f"seen#{run.run_id}#{key}#{page:08d}"
        blobs = {blueprint: encode_ids(values) for blueprint, values in ids.items() if values}
        self.table.put(_pk(run.mode), sk, {"ids": blobs}, expires_at=self._expiry())

    def iter_seen(self, run: RunState) -> Iterator[tuple[str, list[str]]]:
        """Every (blueprint, identifiers) chunk recorded for ``run``."""
        for _, data in self.table.query(_pk(run.mode), f"seen#{run.run_id}#"):
            for blueprint, blob in (data.get("ids") or {}).items():
                yield blueprint, decode_ids(blob)
