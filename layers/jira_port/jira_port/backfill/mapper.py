"""Map what the backfill read through the configured mapping, exactly as a live webhook would be.

A page of issues that came with its raw search response is mapped in one jq run over those bytes
(``mapping.pages``); otherwise, or when that run fails or passes its bound, issue by issue. An issue that
makes the mapping pass its per-event bound is logged with the culprit and fails the page: the run stops
before reconciliation, so an entity whose issue could not be mapped is never deleted as unseen.

With a ``MappingProvider`` (``MAPPING_SOURCE`` in S3 or Port) each page uses the mapping current when it
is mapped; the page program is compiled once per mapping.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from jira_port.jira.models import IssuePage
from jira_port.mapping.evaluate import CompiledMapping, MappingLimitError, log_warnings
from jira_port.mapping.issue_fields import Shape, derive_issue_fields, search_request
from jira_port.mapping.model import SOURCE_HEADER
from jira_port.mapping.pages import evaluate_page, page_program
from jira_port.mapping.source import MappingProvider
from jira_port.observability import logger
from jira_port.port.apply import moved_away_deletions
from jira_port.port.types import Action

BACKFILL_SOURCE = "backfill"
BACKFILL_HEADERS: dict[str, str] = {SOURCE_HEADER: BACKFILL_SOURCE}
ISSUE_EVENT = "jira:issue_updated"
PROJECT_EVENT = "project_updated"

#: Pages mapped at once (more readers wait): ``mapping.bounded`` keeps 4 idle jq workers, so no page
#: waits for a worker process to start (about 50 ms of CPU each, and 8 partitions would start 8).
PAGE_MAPPERS = 4


def issue_event(issue: dict[str, Any], read_at_ms: int) -> dict[str, Any]:
    """A ``jira:issue_updated`` webhook body for ``issue`` (REST v2 shape), stamped with the read time."""
    return {"webhookEvent": ISSUE_EVENT, "timestamp": read_at_ms, "issue": issue}


def project_event(project: dict[str, Any], read_at_ms: int) -> dict[str, Any]:
    """A ``project_updated`` webhook body for ``project``, stamped with the read time."""
    return {"webhookEvent": PROJECT_EVENT, "timestamp": read_at_ms, "project": project}


@dataclass(slots=True)
class MappedPage:
    """The actions of one page and, per blueprint, the identifiers its upserts keep alive."""

    actions: list[Action] = field(default_factory=list)
    seen: dict[str, list[str]] = field(default_factory=dict)

    def add(self, actions: list[Action]) -> None:
        """Append one item's actions, recording upserted identifiers as seen."""
        for action in actions:
            self.actions.append(action)
            if action.operation == "upsert":
                self.seen.setdefault(action.blueprint, []).append(action.identifier)


class BackfillMapper:
    """Turns issues and projects into Port actions with the webhook mapping."""

    def __init__(self, mapping: CompiledMapping | MappingProvider, jira_base_url: str | None) -> None:
        self.mapping = mapping
        self.jira_base_url = jira_base_url
        self._programs: tuple[CompiledMapping, str, Shape | None] | None = None
        self._slots = threading.BoundedSemaphore(PAGE_MAPPERS)

    def _compiled(self) -> CompiledMapping:
        return self.mapping.current()

    def _page_program(self, compiled: CompiledMapping) -> tuple[str, Shape | None]:
        """The page program of ``compiled`` and the shape of what it reads of ``fields`` (None: all)."""
        cached = self._programs
        if cached is None or cached[0] is not compiled:
            program = page_program(compiled, ISSUE_EVENT, BACKFILL_HEADERS)
            cached = self._programs = (compiled, program, derive_issue_fields(compiled.rules).shape)
        return cached[1], cached[2]

    def issue_request(self, fields: list[str] | None, expand: str | None) -> tuple[list[str], str | None]:
        """The ``fields`` and ``expand`` of the issue search: ``fields`` (``JIRA_FIELDS``) when given,
        else those the mapping reads (see ``mapping.issue_fields``); ``expand`` adds what it reads."""
        return search_request(self._compiled().rules, fields, expand)

    def _evaluate(self, body: dict[str, Any]) -> list[Action]:
        return self._compiled().evaluate(body, BACKFILL_HEADERS, {}, jira_base_url=self.jira_base_url)

    def map_page(self, page: IssuePage, read_at_ms: int) -> MappedPage:
        """Actions for a page of issues read at ``read_at_ms``: one jq run over its raw response when
        it has one, else (or when that run fails or passes its bound) issue by issue."""
        issues = page.issues
        raw: bytes | None = getattr(page, "raw", None)  # test doubles carry issues only
        if raw is None or not issues:
            return self.map_issues(issues, read_at_ms)
        compiled = self._compiled()
        program, shape = self._page_program(compiled)
        with self._slots:
            results = evaluate_page(
                compiled, program, raw, skip=page.raw_skip, count=len(issues), read_at_ms=read_at_ms,
                jira_base_url=self.jira_base_url, cut=None if shape is None else (issues, shape),
            )  # fmt: skip
        if results is None:
            return self.map_issues(issues, read_at_ms)
        mapped = MappedPage()
        for issue, result in zip(issues, results, strict=True):
            log_warnings(result.warnings)
            actions = result.actions
            mapped.add(actions + self._moved_away(issue, read_at_ms, actions))
        return mapped

    def warm_up(self) -> None:
        """Start, in the background, the ``PAGE_MAPPERS`` jq workers the pages will use, each with the
        page program compiled: called before the first issue page is asked for, whose latency covers it.
        Best effort: a worker that cannot start fails the page that needs it, with its error."""
        compiled = self._compiled()
        if not isinstance(compiled, CompiledMapping) or compiled.limits is None:
            return  # in-process jq (or a test double): no worker to start
        program, base = self._page_program(compiled)[0], self.jira_base_url
        pool = ThreadPoolExecutor(PAGE_MAPPERS, thread_name_prefix="backfill-warm-up")
        for _ in range(PAGE_MAPPERS):  # at once, so that each takes a worker of its own
            pool.submit(evaluate_page, compiled, program, b'{"issues":[]}', skip=0, count=0, read_at_ms=0,
                        jira_base_url=base)  # fmt: skip
        pool.shutdown(wait=False)

    def map_issues(self, issues: list[dict[str, Any]], read_at_ms: int) -> MappedPage:
        """Actions for a page of issues read at ``read_at_ms``, one issue at a time."""
        page = MappedPage()
        for issue in issues:
            event = issue_event(issue, read_at_ms)
            try:
                actions = self._evaluate(event)
                page.add(actions + self._moved_away(issue, read_at_ms, actions))
            except MappingLimitError as exc:
                logger.error(
                    "backfill: the issue makes the mapping pass its bound; the run stops before reconciling",
                    extra={"issue_key": issue.get("key"), "rule": exc.rule, "field": exc.field,
                           "problem": str(exc)},
                )  # fmt: skip
                raise
        return page

    def _moved_away(self, issue: dict[str, Any], read_at_ms: int, actions: list[Action]) -> list[Action]:
        """Deletes for the old keys of a moved issue, when the issue came with ``expand=changelog``
        (incremental runs ask for it; full runs' reconciliation removes old keys anyway)."""
        changelog = issue.get("changelog")
        histories = changelog.get("histories") if isinstance(changelog, dict) else None
        items = [i for h in histories or [] if isinstance(h, dict) for i in h.get("items") or []]
        if not items:
            return []
        event = issue_event(issue, read_at_ms) | {"changelog": {"items": items}}
        return moved_away_deletions(self._evaluate, event, actions)

    def relevant(self, body: dict[str, Any]) -> bool:
        """Whether some rule's filter accepts ``body`` presented as the backfill presents it."""
        return self._compiled().relevant(body, BACKFILL_HEADERS, {}, jira_base_url=self.jira_base_url)

    def map_events(self, events: list[dict[str, Any]]) -> MappedPage:
        """Actions for webhook-shaped bodies (the catalog kinds' ``jira.kinds.kind_event``)."""
        page = MappedPage()
        for event in events:
            page.add(self._evaluate(event))
        return page

    def map_projects(self, projects: list[dict[str, Any]], read_at_ms: int) -> MappedPage:
        """Actions for the projects read at ``read_at_ms``."""
        page = MappedPage()
        for project in projects:
            page.add(self._evaluate(project_event(project, read_at_ms)))
        return page
