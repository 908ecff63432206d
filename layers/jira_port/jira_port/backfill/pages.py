"""The page flow of the issue pass: read → map → guard → write → commit, partitions paged concurrently.

Per partition, one reader thread loops: take page k+1 (``jira.paging.read_ahead`` has already asked Jira
for page k+2) → map it (at most ``mapper.PAGE_MAPPERS`` pages at once) → hand it to the writer pool
(``PageWriter``: version guard, apply, ownership) → wait for page k's writes → save page k's seen
identifiers, then its cursor. So Jira requests overlap mapping and Port writes, cursors are saved strictly
in page order and only after the page's writes completed (a crash re-reads at most the pages in flight,
never skips one), and at most three pages per partition are held in memory (flat memory whatever the
issue count).

In a run's first invocation the pass starts while the projects are written; its writes wait for them
(``after``). Stopping (time budget or another partition's fatal error): readers ask for no new page, map and
write the one already asked for, finish the writes in flight and save their cursors. A partition whose Jira
requests fail (after the client's retries) keeps its cursor and is retried by a later invocation, up to
``max_attempts``; a permanent error (e.g. 400 on its JQL) marks it failed. Any other exception is fatal: it
stops the pass and is re-raised once every partition has saved what it completed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jira_port.backfill.collector import fewer_collections
from jira_port.backfill.lock import Deadline, RunLock
from jira_port.backfill.mapper import BackfillMapper, MappedPage
from jira_port.backfill.partitions import PipelineOptions
from jira_port.backfill.report import Progress, ProgressListener, tally_failures
from jira_port.backfill.store import BackfillStore, PartitionState, RunState, Tally, now_ms
from jira_port.errors import ConfigError, JiraPortError, is_transient
from jira_port.jira.paging import read_ahead
from jira_port.observability import logger
from jira_port.port.types import Action
from jira_port.transport import HttpError

if TYPE_CHECKING:
    from jira_port.jira import IssuePage, JiraClient
    from jira_port.live.guard import VersionGuard
    from jira_port.port.apply import ApplyResult
    from jira_port.state import OwnershipLedger

ApplyFn = Callable[[list[Action]], "ApplyResult"]


@dataclass(slots=True)
class _InFlight:
    future: Future[Tally]
    mapped: MappedPage
    cursor: dict[str, object] | None
    issues: int


@dataclass(slots=True)
class _Shared:
    tally: Tally = field(default_factory=Tally)
    partitions_done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _FetchFailed(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _partition_error(exc: BaseException) -> bool:
    """Errors that belong to one partition's Jira requests (the rest are fatal)."""
    return isinstance(exc, JiraPortError | HttpError) and not isinstance(exc, ConfigError)


class PageWriter:
    """Applies a page's actions; with a version guard, drops upserts a newer live change superseded.

    The guard is asked with the time the page was read: an entity the live path wrote or deleted after
    that instant is left alone, so a backfill never overwrites a newer change nor resurrects an entity a
    live delete removed. With an ownership ledger, every entity Port accepted is recorded as this
    deployment's (a ledger failure raises: the page is not committed and is written again)."""

    def __init__(
        self, apply: ApplyFn, guard: VersionGuard | None = None, ledger: OwnershipLedger | None = None
    ) -> None:
        self.apply = apply
        self.guard = guard
        self.ledger = ledger

    def write(self, actions: list[Action], read_at_ms: int, after: Future[Tally] | None = None) -> Tally:
        """Write ``actions`` (after ``after``'s writes: the projects kinds and issues relate to; raises
        their error) and return their tally (``pages``/``items`` are left to the caller)."""
        if after is not None:
            after.result()
        skipped = 0
        if self.guard is not None and actions:
            newer = self.guard.newer_entries({(a.blueprint, a.identifier) for a in actions}, read_at_ms)
            if newer:
                kept = [a for a in actions if (a.blueprint, a.identifier) not in newer]
                skipped = len(actions) - len(kept)
                actions = kept
        if not actions:
            return Tally(skipped_newer=skipped)
        result = self.apply(actions)
        if self.ledger is not None:
            self.ledger.record(
                (o.action.blueprint, o.action.identifier)
                for o in result.outcomes
                if o.action.operation == "upsert" and o.applied
            )
        tally = tally_failures(result.failures)
        tally.upserted, tally.deleted, tally.retried = result.upserted, result.deleted, result.retried
        tally.skipped_newer = skipped
        return tally


@dataclass(kw_only=True)
class IssuePipeline:
    """Runs the pending partitions of ``run_state`` until done, stopped, or a fatal error."""

    jira: JiraClient
    mapper: BackfillMapper
    writer: PageWriter
    store: BackfillStore
    run_state: RunState
    deadline: Deadline
    options: PipelineOptions
    lock: RunLock | None = None
    progress: ProgressListener | None = None
    after: Future[Tally] | None = None  # the run's project writes: issues (related to them) are written after
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _shared: _Shared = field(default_factory=_Shared, init=False)
    _started: float = field(default_factory=time.monotonic, init=False)
    _total: int = field(default=0, init=False)
    _writers: ThreadPoolExecutor | None = field(default=None, init=False)
    _readers: ThreadPoolExecutor | None = field(default=None, init=False)

    def run(self, partitions: list[PartitionState]) -> Tally:
        """Process every pending partition; returns this invocation's tally. Re-raises a fatal error."""
        todo = [p for p in partitions if p.status == "pending"]
        self._total = len(partitions)
        self._shared.partitions_done = len(partitions) - len(todo)
        if not todo:
            return self._shared.tally
        workers = max(1, min(self.options.concurrency, len(todo)))
        self.mapper.warm_up()
        fatal: BaseException | None = None
        with (
            fewer_collections(),
            ThreadPoolExecutor(workers, thread_name_prefix="backfill-read") as readers,
            ThreadPoolExecutor(workers, thread_name_prefix="backfill-write") as writers,
            ThreadPoolExecutor(workers, thread_name_prefix="backfill-fetch") as fetchers,
        ):
            self._writers, self._readers = writers, fetchers
            futures = [readers.submit(self._drive, p) for p in todo]
            for future in futures:
                try:
                    future.result()
                except BaseException as exc:  # re-raised below once all partitions stopped
                    self._stop.set()
                    fatal = fatal or exc
        if fatal is not None:
            raise fatal
        return self._shared.tally

    def stopping(self) -> bool:
        """Whether readers must take no new page."""
        return self._stop.is_set() or self.deadline.expired()

    def _drive(self, partition: PartitionState) -> None:
        if self.stopping():
            return
        assert self._readers is not None
        pages = read_ahead(
            iter(
                self.jira.iter_issue_pages(
                    partition.jql,
                    fields=self.options.fields,
                    expand=self.options.expand,
                    page_size=self.options.page_size,
                    cursor=partition.cursor,
                )
            ),
            self._readers,
            now_ms,
            more=lambda: not self.stopping(),
        )
        try:
            with closing(pages):
                self._pump(partition, pages)
        except _FetchFailed as failed:
            self._record_failure(partition, failed.cause)
        except BaseException:
            self._stop.set()
            raise

    def _pump(self, partition: PartitionState, pages: Iterator[tuple[int, IssuePage]]) -> None:
        """Map and write each page handed out (``read_ahead`` ends them once ``stopping``)."""
        pending: _InFlight | None = None
        broken = False  # a commit failed: committing a later page would skip the failed one
        try:
            while (item := self._fetch(pages)) is not None:
                read_at, page = item
                mapped = self.mapper.map_page(page, read_at)
                assert self._writers is not None
                future = self._writers.submit(self.writer.write, mapped.actions, read_at, self.after)
                previous, pending = pending, _InFlight(future, mapped, page.cursor, len(page.issues))
                if previous is not None:
                    broken = True
                    self._commit(partition, previous)
                    broken = False
            if pending is None:
                self._finish_empty(partition)
            elif not self.stopping():  # the pages simply ended: whatever is in flight was the last page
                pending.cursor = None
        finally:
            if pending is not None and not broken:
                self._commit(partition, pending)

    @staticmethod
    def _fetch(pages: Iterator[tuple[int, IssuePage]]) -> tuple[int, IssuePage] | None:
        try:
            return next(pages, None)
        except BaseException as exc:
            if _partition_error(exc):
                raise _FetchFailed(exc) from exc
            raise

    def _commit(self, partition: PartitionState, inflight: _InFlight) -> None:
        tally = inflight.future.result()
        tally.pages = 1
        tally.items = inflight.issues
        if self.options.record_seen:
            self.store.save_seen(self.run_state, partition.key, partition.tally.pages, inflight.mapped.seen)
        partition.tally.add(tally)
        partition.cursor = inflight.cursor
        if inflight.cursor is None:
            partition.status = "done"
            partition.error = None
        self.store.save_partition(self.run_state, partition)
        if self.lock is not None:
            self.lock.renew()
        logger.info(
            "backfill page written",
            extra={
                "run_id": self.run_state.run_id,
                "partition": partition.key,
                "page": partition.tally.pages,
                "issues": tally.items,
                "upserted": tally.upserted,
                "rejected": tally.rejected,
                "skipped_newer": tally.skipped_newer,
                "partition_done": partition.status == "done",
            },
        )
        self._report(tally, partition.status == "done")

    def _finish_empty(self, partition: PartitionState) -> None:
        partition.status = "done"
        partition.error = None
        self.store.save_partition(self.run_state, partition)
        self._report(Tally(), True)

    def _record_failure(self, partition: PartitionState, exc: BaseException) -> None:
        partition.attempts += 1
        partition.error = f"{type(exc).__name__}: {exc}"[:500]
        permanent = not is_transient(exc)
        if permanent or partition.attempts >= self.options.max_attempts:
            partition.status = "failed"
        self.store.save_partition(self.run_state, partition)
        logger.warning(
            "backfill partition failed",
            extra={
                "run_id": self.run_state.run_id,
                "partition": partition.key,
                "attempts": partition.attempts,
                "will_retry": partition.status == "pending",
                "error": partition.error,
            },
        )
        if partition.status == "failed":
            self._report(Tally(), True)

    def _report(self, tally: Tally, finished: bool) -> None:
        with self._shared.lock:
            self._shared.tally.add(tally)
            if finished:
                self._shared.partitions_done += 1
            snapshot = Progress(
                issues=self._shared.tally.items,
                pages=self._shared.tally.pages,
                partitions_done=self._shared.partitions_done,
                partitions_total=self._total,
                elapsed_seconds=time.monotonic() - self._started,
            )
        if self.progress is not None:
            self.progress(snapshot)
