"""The visible projects, and per-project partitions of the sync scope paged concurrently with bounded memory.

A project the credentials cannot read (403/404 on its query, or Jira's "The value 'X' does not exist for
the field 'project'") is reported as ``PartitionSkipped`` with the reason; the other partitions go on.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from jira_port.jira import jql as jqlmod
from jira_port.jira.errors import JiraAPIError, JiraNotFoundError, JiraResponseError
from jira_port.jira.handoff import POLL_SECONDS, put_unless_stopped
from jira_port.jira.models import IssuePage, Partition, PartitionPage, PartitionSkipped
from jira_port.observability import logger

if TYPE_CHECKING:
    from jira_port.jira.client import JiraClient

# What Jira says about a project the caller cannot browse (it pretends the project does not exist).
_ACCESS_MESSAGES = (
    re.compile(r"does not exist for the field 'project'", re.IGNORECASE),
    re.compile(r"no project could be found", re.IGNORECASE),
)
CLOUD_PROJECT_PAGE = 100  # /project/search caps maxResults at 100
# ``insight`` carries ``totalIssueCount``: the backfill's planning needs no count query for most projects.
CLOUD_PROJECT_EXPAND = "description,lead,url,insight"
SERVER_PROJECT_EXPAND = "description,lead,url"


def iter_projects(client: JiraClient) -> Iterator[dict[str, Any]]:
    """Every project the user can see (REST v2 shape; Cloud pages ``/project/search``).

    While the deployment is still unknown, Cloud's first project page is asked for together with the
    detection (``serverInfo``), so on Cloud the listing does not wait for it; Server/DC drops that answer.
    """
    first: Future[dict[str, Any] | None] | None = None
    if not client.deployment_known:
        with ThreadPoolExecutor(1, thread_name_prefix="jira-projects") as pool:
            first = pool.submit(_cloud_project_page, client, 0)
            if client.deployment != "cloud":
                first.cancel()  # Server/DC: its answer (or error) is dropped
                first = None
    if client.deployment == "server":
        data = client.request("GET", "/rest/api/2/project", params={"expand": SERVER_PROJECT_EXPAND})
        if not isinstance(data, list):
            raise JiraResponseError("GET /rest/api/2/project did not return a list")
        yield from data
        return
    start = 0
    while True:
        page = first.result() if first is not None else _cloud_project_page(client, start)
        first = None
        if page is None:
            return  # "no projects matching the search criteria"
        values = page.get("values") or []
        yield from values
        total = page.get("total")
        start += len(values)
        if not values or page.get("isLast") is True or (isinstance(total, int) and start >= total):
            return


def _cloud_project_page(client: JiraClient, start: int) -> dict[str, Any] | None:
    """One page of ``/project/search`` (None: Jira's 404 for "no projects match")."""
    params = {"startAt": start, "maxResults": CLOUD_PROJECT_PAGE, "expand": CLOUD_PROJECT_EXPAND}
    try:
        page = client.request("GET", "/rest/api/2/project/search", params=params)
    except JiraNotFoundError:
        return None
    if not isinstance(page, dict):
        raise JiraResponseError("Jira projects response is not a JSON object")
    return page


def insight_issue_count(project: Mapping[str, Any]) -> int | None:
    """``insight.totalIssueCount`` of a Cloud project listed by ``iter_projects`` (every issue of the
    project, so at least as many as any JQL scope inside it matches), or None when absent."""
    insight = project.get("insight")
    count = insight.get("totalIssueCount") if isinstance(insight, Mapping) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def project_access_reason(exc: JiraAPIError) -> str | None:
    """Why ``exc`` means "this project cannot be read" (None when it means something else)."""
    detail = "; ".join(exc.all_messages) or "no details"
    if exc.status in (403, 404):
        return f"HTTP {exc.status}: {detail}"
    if exc.status == 400 and any(p.search(m) for m in exc.all_messages for p in _ACCESS_MESSAGES):
        return detail
    return None


def project_partitions(client: JiraClient, jql: str | None) -> list[Partition]:
    """One partition per project ``client`` can see: ``project = <id> AND (<jql restriction>)``."""
    partitions = []
    for project in client.iter_projects():
        pid, key = project.get("id"), project.get("key")
        if pid is None or key is None or not str(pid).isdigit():
            logger.warning("Jira project without a numeric id skipped", extra={"project_key": key})
            continue
        partitions.append(Partition(str(pid), str(key), jqlmod.project_partition(str(pid), jql)))
    return partitions


def iter_scope_pages(
    client: JiraClient, where: str, options: dict[str, Any], cursor: Mapping[str, Any] | None
) -> Iterator[IssuePage]:
    """A scope spanning projects, one visible project at a time (key anchors only mean something inside
    one project); the cursor is ``{"project": <id>, "chain": <that project's cursor>}``."""
    ids = sorted(int(p["id"]) for p in client.iter_projects() if str(p.get("id", "")).isdigit())
    start = int(cursor["project"]) if cursor is not None and "project" in cursor else None
    for n, pid in enumerate(ids):
        if start is not None and pid < start:
            continue
        chain = cursor.get("chain") if cursor is not None and pid == start else None
        following = {"project": str(ids[n + 1]), "chain": None} if n + 1 < len(ids) else None
        try:
            for page in client.project_pages(jqlmod.project_partition(pid, where), options, chain):
                cursor_out = {"project": str(pid), "chain": page.cursor} if page.cursor else following
                yield IssuePage(page.issues, cursor_out, page.raw, page.raw_skip)
        except JiraAPIError as exc:
            if project_access_reason(exc) is None:
                raise
            logger.warning("Jira project skipped: the credentials cannot read it", extra={"project_id": pid})
            yield IssuePage([], following)


def iter_partition_pages(
    client: JiraClient,
    partitions: Sequence[Partition],
    *,
    cursors: Mapping[str, Mapping[str, Any] | None] | None = None,
    max_workers: int = 1,
    **options: Any,
) -> Iterator[PartitionPage | PartitionSkipped]:
    """Pages of every partition; ``cursors`` (by project id) resume partitions; pages of one partition
    come out in order. At most ``2 * max_workers`` pages wait in memory. Other errors propagate."""
    cursor_map = cursors or {}
    if max_workers <= 1 or len(partitions) <= 1:
        for partition in partitions:
            yield from _page_one(client, partition, cursor_map.get(partition.project_id), options)
        return
    yield from _Pool(client, partitions, cursor_map, min(max_workers, len(partitions)), options).run()


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
