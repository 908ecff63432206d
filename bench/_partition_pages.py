"""Per-project partitions of a scope paged concurrently with bounded memory (the Jira read benches).

Lambda never runs this: the backfill plans its own partitions (``backfill/partitions.py``) and pages them
through its pipeline. A project the credentials cannot read (403/404 on its query, or Jira's "The value 'X'
does not exist for the field 'project'") comes out as ``PartitionSkipped`` with the reason; the other
partitions go on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jira_port.jira import IssuePage, JiraClient
from jira_port.jira import jql as jqlmod
from jira_port.jira.errors import JiraAPIError
from jira_port.jira.handoff import POLL_SECONDS, put_unless_stopped
from jira_port.jira.projects import project_access_reason
from jira_port.observability import logger


@dataclass(frozen=True, slots=True)
class Partition:
    """One project's slice of the sync scope; ``jql`` is a restriction without ORDER BY."""

    project_id: str
    project_key: str
    jql: str


@dataclass(frozen=True, slots=True)
class PartitionPage:
    """A page produced while paging several partitions concurrently."""

    partition: Partition
    page: IssuePage


@dataclass(frozen=True, slots=True)
class PartitionSkipped:
    """A partition whose project the credentials cannot read; the others carry on."""

    partition: Partition
    reason: str
    status: int


def project_partitions(client: JiraClient, jql: str | None = None) -> list[Partition]:
    """One partition per project ``client`` can see: ``project = <id> AND (<jql restriction>)``, ``jql``
    defaulting to the client's (``JIRA_JQL``)."""
    scope = jql if jql is not None else client.jql
    partitions = []
    for project in client.iter_projects():
        pid, key = project.get("id"), project.get("key")
        if pid is None or key is None or not str(pid).isdigit():
            logger.warning("Jira project without a numeric id skipped", extra={"project_key": key})
            continue
        partitions.append(Partition(str(pid), str(key), jqlmod.project_partition(str(pid), scope)))
    return partitions


def iter_partition_pages(
    client: JiraClient,
    partitions: Sequence[Partition],
    *,
    cursors: Mapping[str, Mapping[str, Any] | None] | None = None,
    max_workers: int | None = None,
    **options: Any,
) -> Iterator[PartitionPage | PartitionSkipped]:
    """Pages of every partition, ``max_workers`` (default the client's ``max_concurrency``) at a time;
    ``cursors`` (by project id) resume partitions; pages of one partition come out in order. At most
    ``2 * max_workers`` pages wait in memory. Other errors propagate."""
    workers = max_workers or client.max_concurrency
    cursor_map = cursors or {}
    if workers <= 1 or len(partitions) <= 1:
        for partition in partitions:
            yield from _page_one(client, partition, cursor_map.get(partition.project_id), options)
        return
    yield from _Pool(client, partitions, cursor_map, min(workers, len(partitions)), options).run()


def _page_one(
    client: JiraClient,
    partition: Partition,
    cursor: Mapping[str, Any] | None,
    options: dict[str, Any],
) -> Iterator[PartitionPage | PartitionSkipped]:
    try:
        for page in client.iter_issue_pages(partition.jql, cursor=cursor, **options):
            yield PartitionPage(partition, page)
    except JiraAPIError as exc:
        reason = project_access_reason(exc)
        if reason is None:
            raise
        logger.warning(
            "Jira project skipped: the credentials cannot read it",
            extra={"project_key": partition.project_key, "status": exc.status},
        )
        yield PartitionSkipped(partition, reason, exc.status)


class _Pool:
    """Worker threads, each paging whole partitions, feeding one bounded queue."""

    def __init__(
        self,
        client: JiraClient,
        partitions: Sequence[Partition],
        cursors: Mapping[str, Mapping[str, Any] | None],
        workers: int,
        options: dict[str, Any],
    ) -> None:
        self._client = client
        self._todo = iter(list(partitions))
        self._cursors = cursors
        self._workers = workers
        self._options = options
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2 * workers)

    def run(self) -> Iterator[PartitionPage | PartitionSkipped]:
        threads = [
            threading.Thread(target=self._work, name=f"jira-partition-{i}", daemon=True)
            for i in range(self._workers)
        ]
        for thread in threads:
            thread.start()
        finished = 0
        try:
            while finished < len(threads):
                kind, value = self._queue.get()
                if kind == "done":
                    finished += 1
                elif kind == "error":
                    raise value
                else:
                    yield value
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=POLL_SECONDS * 10)

    def _put(self, item: tuple[str, Any]) -> bool:
        return put_unless_stopped(self._queue, item, self._stop)

    def _next(self) -> Partition | None:
        with self._lock:
            return next(self._todo, None)

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                partition = self._next()
                if partition is None:
                    return
                cursor = self._cursors.get(partition.project_id)
                for item in _page_one(self._client, partition, cursor, self._options):
                    if not self._put(("item", item)):
                        return
        except BaseException as exc:  # handed to the consumer thread, which re-raises it
            self._put(("error", exc))
        finally:
            self._put(("done", None))
