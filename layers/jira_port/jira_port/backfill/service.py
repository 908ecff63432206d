"""One backfill invocation: take the lock, resume or start the run, work until done or out of time.

A run moves through the phases ``projects`` → ``issues`` → (``reconcile``) → ``done`` and may span
many invocations. Out of time, the invocation hands the lock to the run's next invocation and starts
it through the ``Continuation``; a crash leaves the saved cursors, and whichever invocation next
gets the lock for that mode resumes the unfinished run.

Decisions:
- One lock for every mode: a full and an incremental run never write at the same time.
- An invocation without ``runId`` first resumes any unfinished run (of either mode), so an
  interrupted run never waits for its own, possibly weekly, schedule.
- An incremental run with no earlier successful run is a full pass without reconciliation.
- Only a successful run moves the incremental watermark, so what a failed run missed (e.g. entities
  a blueprint rejected) is read again by the next run once the cause is fixed.
- Reconciliation runs only after a clean full pass (no rejection, no failed partition).
- The issue pass starts beside the project writes (its writes wait for them); the run is in its issue
  phase once projects and kinds are written.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from jira_port.backfill.kinds import backfill_kinds
from jira_port.backfill.lock import Deadline, RunLock
from jira_port.backfill.mapper import BackfillMapper
from jira_port.backfill.pages import IssuePipeline, PageWriter
from jira_port.backfill.partitions import (
    PROJECTS_KEY,
    PipelineOptions,
    account_timezone,
    jql_since,
    pass_options,
    plan_partitions,
)
from jira_port.backfill.reconcile import SeenIndex, reconcile
from jira_port.backfill.report import BackfillSummary, ProgressListener, Status, verdict
from jira_port.backfill.store import MODES, BackfillStore, Mode, PartitionState, RunState, Tally, now_ms
from jira_port.errors import ConfigError
from jira_port.observability import logger
from jira_port.settings.backfill import BackfillSettings

if TYPE_CHECKING:
    from jira_port.backfill.runtime import BackfillRequest
    from jira_port.jira import JiraClient
    from jira_port.live.guard import VersionGuard
    from jira_port.port import PortClient
    from jira_port.state import OwnershipLedger


class Continuation(Protocol):
    """Starts the next invocation of a run with ``{"mode": ..., "runId": ...}``: the Lambda invokes
    itself (``runtime.LambdaContinuation``), the CLI loops in process (its recording continuation)."""

    def continue_run(self, payload: dict[str, str]) -> None: ...


def new_run_id() -> str:
    """Time-sortable and unique, e.g. ``20261123T061500Z-1a2b3c4d``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass(slots=True, kw_only=True)
class BackfillService:
    """Runs invocations of backfill runs (built by ``runtime``; ``port=None`` = dry run, no reconcile)."""

    jira: JiraClient
    mapper: BackfillMapper
    writer: PageWriter
    store: BackfillStore
    continuation: Continuation
    settings: BackfillSettings
    scope: str
    options: PipelineOptions
    port: PortClient | None = None
    guard: VersionGuard | None = None
    progress: ProgressListener | None = None
    reconcile_enabled: bool = True
    ledger: OwnershipLedger | None = None

    def invoke(
        self, request: BackfillRequest, remaining_ms: Callable[[], int] | None = None
    ) -> BackfillSummary:
        """One invocation; ``remaining_ms`` is the Lambda's clock (None = no time limit)."""
        started = time.monotonic()
        deadline = Deadline(remaining_ms, self.settings.safety_margin_seconds)
        if deadline.expired():
            raise ConfigError(
                "the function timeout leaves no time beyond BACKFILL_SAFETY_MARGIN_SECONDS; "
                "raise the timeout or lower the margin"
            )
        lock = RunLock(
            self.store.table, f"invocation:{uuid.uuid4().hex}", lease_seconds=self.settings.lock_lease_seconds
        )
        if not lock.acquire(request.run_id):
            logger.warning(
                "backfill skipped: another invocation holds the lock", extra={"mode": request.mode}
            )
            return BackfillSummary.without_run(
                request.mode, "locked", "another backfill invocation is running"
            )
        run: RunState | None = None
        invocation = Tally()
        try:
            run = self._resolve_run(request)
            if run is None:
                lock.release()
                return BackfillSummary.without_run(
                    request.mode, "stale", "this continuation's run is no longer running", request.run_id
                )
            run.invocations += 1
            self.store.save_run(run)
            self._work(run, deadline, lock, invocation)
        except BaseException:
            try:  # keep what this invocation counted; the saved cursors already hold its progress
                if run is not None:
                    run.active_ms += int((time.monotonic() - started) * 1000)
                    self.store.save_run(run)
            finally:
                lock.release()
            raise
        run.active_ms += int((time.monotonic() - started) * 1000)
        return self._end_invocation(request, run, lock, invocation)

    def _resolve_run(self, request: BackfillRequest) -> RunState | None:
        if request.run_id is not None:
            current = self.store.load_run(request.mode)
            if current is not None and current.run_id == request.run_id and current.status == "running":
                return current
            return None
        # Any unfinished run (a crash, a lost continuation) is finished first, whichever mode it has:
        # the frequent incremental trigger thereby heals an interrupted full run too.
        for mode in (request.mode, *(m for m in MODES if m != request.mode)):
            current = self.store.load_run(mode)
            if current is None or current.status != "running":
                continue
            if current.scope == self.scope:
                logger.info(
                    "backfill resuming unfinished run", extra={"run_id": current.run_id, "mode": mode}
                )
                return current
            current.status, current.error = "failed", "superseded: the JQL scope changed"
            current.finished_ms = now_ms()
            self.store.save_run(current)
        return self._new_run(request.mode)

    def _new_run(self, mode: Mode) -> RunState:
        run = RunState(run_id=new_run_id(), mode=mode, scope=self.scope, started_ms=now_ms())
        if mode == "full":
            run.reconcile = self.reconcile_enabled
        else:
            watermark = self.store.last_success_ms()
            if watermark is not None:
                zone = self.settings.jira_timezone
                if zone == "auto":
                    zone = account_timezone(self.jira)
                run.since = jql_since(watermark, self.settings.overlap_seconds, zone)
        logger.info(
            "backfill run started",
            extra={"run_id": run.run_id, "mode": mode, "since": run.since, "reconcile": run.reconcile},
        )
        return run

    def _work(self, run: RunState, deadline: Deadline, lock: RunLock, invocation: Tally) -> None:
        while run.phase != "done" and not deadline.expired():
            if run.phase in ("projects", "issues"):
                if run.phase == "projects":  # the issue pass starts beside the project writes
                    projects, partitions = self._projects(run, deadline, lock, invocation)
                    invocation.add(replace(projects, items=0))  # ``items`` counts issues
                else:
                    partitions = self.store.load_partitions(run)
                    invocation.add(self._issues(run, deadline, lock, partitions))
                if any(p.status == "pending" for p in partitions):
                    return
                run.phase = "reconcile" if run.reconcile else "done"
            elif run.phase == "reconcile":
                invocation.add(self._reconcile(run))
                run.phase = "done"
            self.store.save_run(run)

    def _issues(
        self, run: RunState, deadline: Deadline, lock: RunLock, partitions: list[PartitionState],
        after: Future[Tally] | None = None,
    ) -> Tally:  # fmt: skip
        pipeline = IssuePipeline(jira=self.jira, mapper=self.mapper, writer=self.writer, store=self.store,
                                 run_state=run, deadline=deadline, options=pass_options(self.options, run),
                                 lock=lock, progress=self.progress, after=after)  # fmt: skip
        return pipeline.run(partitions)

    def _projects(
        self, run: RunState, deadline: Deadline, lock: RunLock, invocation: Tally
    ) -> tuple[Tally, list[PartitionState]]:
        read_at = now_ms()
        projects = list(self.jira.iter_projects())
        mapped = self.mapper.map_projects(projects, read_at)
        keys = [str(p["key"]) for p in projects if p.get("key")]
        # Project writes (and Port's token) and the kinds go out while Jira plans the partitions and the issue
        # pass reads; kinds and issues relate to projects, so their writes wait for the projects'. Once both
        # are written the phase is over (saved at once: a crash from then on resumes from the pass's cursors).
        with ThreadPoolExecutor(3, thread_name_prefix="backfill-projects") as pool:
            written = pool.submit(self.writer.write, mapped.actions, read_at)
            kinds = pool.submit(backfill_kinds, jira=self.jira, mapper=self.mapper, writer=self.writer,
                                store=self.store, run=run, project_keys=keys, projects_written=written,
                                max_workers=self.options.concurrency)  # fmt: skip
            partitions = plan_partitions(self.jira, projects, run, self.settings)
            for partition in partitions:
                self.store.save_partition(run, partition)

            def close() -> Tally:
                tally = written.result()
                tally.items = len(projects)  # ``items`` counts projects here
                tally.add(replace(kinds.result(), items=0, pages=0))
                if run.reconcile:
                    self.store.save_seen(run, PROJECTS_KEY, 0, mapped.seen)
                run.projects, run.phase = tally, "issues"
                self.store.save_run(run)
                logger.info(
                    "backfill projects written",
                    extra={
                        "run_id": run.run_id,
                        "projects": len(projects),
                        "upserted": tally.upserted,
                        "rejected": tally.rejected,
                        "partitions": len(partitions),
                    },
                )
                return tally

            done = pool.submit(close)
            try:
                invocation.add(self._issues(run, deadline, lock, partitions, after=written))
            finally:
                tally = done.result()  # the projects' error, then the kinds', wins over the pass's
        return tally, partitions

    def _reconcile(self, run: RunState) -> Tally:
        partitions = self.store.load_partitions(run)
        blocker = verdict(run, partitions)
        if blocker is not None or self.port is None or self.ledger is None:
            reason = blocker or (
                "no Port client (dry run)" if self.port is None else "no ownership ledger configured"
            )
            run.reconciliation = {"skipped": reason}
            logger.warning("backfill reconciliation skipped", extra={"run_id": run.run_id, "reason": reason})
            return Tally()
        seen = SeenIndex.build(self.store.iter_seen(run))
        result = reconcile(
            seen,
            self.port,
            self.ledger,
            threshold=self.settings.delete_threshold,
            guard=self.guard,
            run_started_ms=run.started_ms,
            adopt_created_by=self.settings.adopt_client_ids,
        )
        run.reconciliation = result.to_json()
        return result.tally

    def _end_invocation(
        self, request: BackfillRequest, run: RunState, lock: RunLock, invocation: Tally
    ) -> BackfillSummary:
        status: Status
        if run.phase == "done":
            partitions = self.store.load_partitions(run)
            reason = verdict(run, partitions)
            run.status = "failed" if reason else "succeeded"
            run.finished_ms = now_ms()
            status = run.status
            self.store.save_run(run)
            if status == "succeeded":
                self.store.record_success(run)
            lock.release()
        elif run.invocations >= self.settings.max_invocations:
            run.status, run.phase = "failed", "done"
            run.error = f"gave up after {run.invocations} invocations (BACKFILL_MAX_INVOCATIONS)"
            run.finished_ms = now_ms()
            status = "failed"
            self.store.save_run(run)
            lock.release()
            partitions = self.store.load_partitions(run)
        else:
            self.store.save_run(run)
            lock.handoff(run.run_id, self.settings.lock_lease_seconds)
            # The continuation names the run's mode (a resumed run may be of the other mode).
            self.continuation.continue_run(replace(request, mode=run.mode).payload(run.run_id))
            status = "continued"
            partitions = self.store.load_partitions(run)
        summary = BackfillSummary.of_run(run, partitions, status, invocation)
        log = logger.info if status in ("succeeded", "continued") else logger.error
        log("backfill invocation finished", extra={"summary": summary.to_dict()})
        return summary
