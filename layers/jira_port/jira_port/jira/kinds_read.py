"""Reading several kinds at once: one stream per source, run concurrently under one bound.

Sources: the users (one stream), the boards (one stream; each page of boards starts one sprint stream per
board that has sprints, so boards x sprints fan out), and per project its versions and its components.
Pages come out as they arrive, in no fixed order; an item shown twice (a sprint on two boards, a user on
two short pages) comes out once. Without Jira Software, boards and sprints are skipped; a kind the
credentials are refused (403, e.g. users without "Browse users and groups") is skipped with a warning. Both
are reported in ``KindsRead.skipped`` (complete once ``pages()`` is exhausted) so that reconciliation
leaves them alone.

```python
read = read_kinds(client, {"user", "sprint"}, project_keys, max_workers=4)
for page in read.pages():            # KindPage(kind, items, source)
    ...
read.skipped                          # {"board", "sprint"} when the agile API is absent
```
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jira_port.jira.errors import JiraPermissionError
from jira_port.jira.handoff import put_unless_stopped
from jira_port.jira.kinds import (
    AGILE_KINDS,
    Kind,
    agile_available,
    has_sprints,
    iter_board_pages,
    iter_sprint_pages,
    iter_user_pages,
    kind_identifier,
    project_components,
    project_versions,
)
from jira_port.observability import logger

if TYPE_CHECKING:
    from jira_port.jira.client import JiraClient

Pages = Callable[[], Iterable[list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class KindPage:
    """Items of one kind from one source (``users``, ``boards``, ``board 12``, ``project PLAT``)."""

    kind: Kind
    items: list[dict[str, Any]]
    source: str


@dataclass
class KindsRead:
    """One concurrent read of ``kinds`` (see the module docstring); iterate ``pages()`` once."""

    client: JiraClient
    kinds: frozenset[Kind]
    project_keys: Sequence[str]
    max_workers: int
    skipped: set[Kind] = field(default_factory=set)
    pages_by_kind: dict[Kind, int] = field(default_factory=dict)

    def pages(self) -> Iterator[KindPage]:
        if self.kinds & AGILE_KINDS and not agile_available(self.client):
            self.skipped |= self.kinds & AGILE_KINDS
        wanted = self.kinds - self.skipped
        streams = _Streams(max(1, self.max_workers))
        seen: dict[Kind, set[str]] = {kind: set() for kind in wanted}
        self._start(streams, wanted)
        try:
            for page in streams.results():
                self.pages_by_kind[page.kind] = self.pages_by_kind.get(page.kind, 0) + 1
                if page.kind == "board" and "sprint" in wanted:
                    for board in page.items:
                        if has_sprints(board):
                            streams.submit("sprint", f"board {board['id']}", _sprints(self.client, board))
                if page.kind not in wanted:
                    continue  # boards read only to reach their sprints
                fresh = [i for i in page.items if _first(seen[page.kind], kind_identifier(page.kind, i))]
                if fresh:
                    yield KindPage(page.kind, fresh, page.source)
        finally:
            streams.close()
            self.skipped |= streams.denied

    def _start(self, streams: _Streams, wanted: frozenset[Kind]) -> None:
        """The streams that need nothing read first: users, boards, each project's versions/components."""
        if "user" in wanted:
            streams.submit("user", "users", lambda: iter_user_pages(self.client))
        if wanted & AGILE_KINDS:
            streams.submit("board", "boards", lambda: iter_board_pages(self.client))
        for key in self.project_keys:
            if "version" in wanted:
                streams.submit("version", f"project {key}", _one(project_versions, self.client, key))
            if "component" in wanted:
                streams.submit("component", f"project {key}", _one(project_components, self.client, key))


def read_kinds(
    client: JiraClient, kinds: Collection[Kind], project_keys: Sequence[str], *, max_workers: int
) -> KindsRead:
    """A concurrent read of ``kinds`` (versions and components of ``project_keys``)."""
    return KindsRead(client, frozenset(kinds), list(project_keys), max_workers)


def _first(seen: set[str], ident: str) -> bool:
    if ident in seen:
        return False
    seen.add(ident)
    return True


def _one(read: Callable[[JiraClient, str], list[dict[str, Any]]], client: JiraClient, key: str) -> Pages:
    return lambda: [read(client, key)]


def _sprints(client: JiraClient, board: dict[str, Any]) -> Pages:
    return lambda: iter_sprint_pages(client, board)


class _Streams:
    """Streams run on a bounded thread pool; their pages meet in one bounded queue (back-pressure)."""

    def __init__(self, workers: int) -> None:
        self.denied: set[Kind] = set()  # kinds a stream was refused (403) before its first page
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="jira-kinds")
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2 * workers)
        self._stop = threading.Event()
        self._pending = 0

    def submit(self, kind: Kind, source: str, pages: Pages) -> None:
        self._pending += 1
        self._pool.submit(self._run, kind, source, pages)

    def results(self) -> Iterator[KindPage]:
        while self._pending:
            tag, value = self._queue.get()
            if tag == "done":
                self._pending -= 1
            elif tag == "error":
                raise value
            elif tag == "denied":
                self.denied.add(value)
            else:
                yield value

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, kind: Kind, source: str, pages: Pages) -> None:
        started = False
        try:
            for items in pages():
                started = True
                if self._stop.is_set() or not self._put(("page", KindPage(kind, items, source))):
                    return
        except JiraPermissionError as exc:
            if started:  # refused half-way: the kind is incomplete, the run must fail
                self._put(("error", exc))
                return
            logger.warning(
                "Jira refused a catalog kind to these credentials: it is skipped",
                extra={"kind": kind, "source": source, "status": exc.status},
            )
            self._put(("denied", kind))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(("error", exc))
        finally:
            self._put(("done", None))

    def _put(self, item: tuple[str, Any]) -> bool:
        return put_unless_stopped(self._queue, item, self._stop)
