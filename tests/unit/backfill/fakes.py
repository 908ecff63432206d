"""Small in-memory stand-ins for Jira, the mapping, Port and the version guard (unit tests only)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from jira_port.backfill.mapper import BackfillMapper
from jira_port.backfill.pages import PageWriter
from jira_port.backfill.partitions import PipelineOptions
from jira_port.backfill.service import BackfillService
from jira_port.backfill.store import BackfillStore
from jira_port.jira import JiraClient
from jira_port.jira.errors import JiraAPIError, JiraUnavailableError
from jira_port.live.guard import VersionGuard
from jira_port.mapping import CompiledMapping
from jira_port.port import PortClient
from jira_port.port.apply import ActionOutcome, ApplyResult
from jira_port.port.types import Action, BulkResult, EntityFailure
from jira_port.settings.backfill import BackfillSettings
from jira_port.state import ItemTable, OwnershipLedger
from jira_port_tools.backfill_local import RecordingContinuation
from jira_port_tools.state_file import MemoryTable

_PROJECT = re.compile(r"project = (\d+)")
_SINCE = re.compile(r'updated >= "([^"]+)"')


@dataclass(frozen=True)
class Page:
    issues: list[dict[str, Any]]
    cursor: dict[str, Any] | None


@dataclass
class FakeJira:
    """Projects with issues; pages by list position; records every page served."""

    projects: list[dict[str, Any]]
    issues: dict[str, list[dict[str, Any]]]  # project id -> issues
    page_size: int = 3
    fail_after_pages: int | None = None  # raise RuntimeError once this many pages were served
    failures: dict[str, list[BaseException]] = field(default_factory=dict)  # project id -> errors to raise
    timezone: str = "UTC"
    served: list[tuple[str, int]] = field(default_factory=list)  # (project id or "*", page start)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def iter_projects(self) -> Iterator[dict[str, Any]]:
        yield from self.projects

    def myself(self) -> dict[str, Any]:
        return {"timeZone": self.timezone}

    def changed_projects(self, jql: str) -> set[str] | None:
        """The probe of an incremental run: project ids holding matches."""
        _, pool = self._select(jql)
        return {pid for pid, issues in self.issues.items() for i in issues if i in pool}

    def _select(self, jql: str) -> tuple[str, list[dict[str, Any]]]:
        match = _PROJECT.search(jql)
        since = _SINCE.search(jql)
        if match:
            pool = list(self.issues.get(match.group(1), []))
            label = match.group(1)
        else:
            pool = [i for issues in self.issues.values() for i in issues]
            label = "*"
        if since:
            pool = [i for i in pool if i["fields"]["updated"] >= since.group(1)]
        return label, pool

    def iter_issue_pages(
        self,
        jql: str,
        *,
        fields: list[str] | None = None,
        expand: str | None = None,
        page_size: int | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Iterator[Page]:
        label, pool = self._select(jql)
        size = page_size or self.page_size
        start = int(cursor["next"]) if cursor else 0
        while True:
            errors = self.failures.get(label)
            if errors:
                raise errors.pop(0)
            with self.lock:
                if self.fail_after_pages is not None and len(self.served) >= self.fail_after_pages:
                    raise RuntimeError("injected crash")
                self.served.append((label, start))
            chunk = pool[start : start + size]
            start += len(chunk)
            more = start < len(pool)
            yield Page(chunk, {"next": start} if more else None)
            if not more:
                return


def make_jira(projects: int = 3, per_project: int = 7, **kwargs: Any) -> FakeJira:
    """Projects P0.. with ids 10000.. and issues Pn-1..; ``updated`` is a JQL-comparable string."""
    plist, issues = [], {}
    for p in range(projects):
        pid, key = str(10000 + p), f"P{p}"
        plist.append({"id": pid, "key": key, "name": f"Project {p}"})
        issues[pid] = [
            {
                "id": str(p * 1000 + n),
                "key": f"{key}-{n}",
                "fields": {"summary": f"issue {n}", "updated": "2026-01-01 00:00", "project": {"key": key}},
            }
            for n in range(1, per_project + 1)
        ]
    return FakeJira(plist, issues, **kwargs)


class FakeMapping:
    """issue → jiraIssue upsert, project → jiraProject upsert (like the default mapping, minus jq)."""

    def __init__(self) -> None:
        self.bodies: list[tuple[dict[str, Any], dict[str, str], dict[str, str], str | None]] = []

    def evaluate(self, body, headers=None, query_params=None, *, jira_base_url=None) -> list[Action]:
        self.bodies.append((body, dict(headers or {}), dict(query_params or {}), jira_base_url))
        if "issue" in body:
            issue = body["issue"]
            entity = {"identifier": issue["key"], "title": issue["fields"]["summary"], "properties": {}}
            return [Action("upsert", "jiraIssue", entity)]
        project = body["project"]
        return [Action("upsert", "jiraProject", {"identifier": project["key"], "title": project["name"]})]

    def current(self) -> FakeMapping:
        return self

    def relevant(self, body, headers=None, query_params=None, *, jira_base_url=None) -> bool:
        """Only issue and project bodies (the catalog kinds are not mapped, so none is read)."""
        return "issue" in body or "project" in body


Failure = EntityFailure  # what Port did not accept, as the real apply step reports it


class FakePort:
    """Entities per blueprint; ``reject`` = identifiers Port answers 422 for; counts calls."""

    def __init__(self) -> None:
        self.entities: dict[str, dict[str, dict[str, Any]]] = {}
        self.reject: set[str] = set()
        self.apply_calls = 0
        self.upserts_by_id: dict[str, int] = {}
        self.deleted: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def apply(self, actions: list[Action]) -> ApplyResult:
        result = ApplyResult()
        with self.lock:
            self.apply_calls += 1
            for action in actions:
                if action.identifier in self.reject:
                    failure = Failure(
                        action.blueprint, action.identifier, "upsert", 422, "invalid_entity", "bad", False
                    )
                    result.failures.append(failure)
                    result.outcomes.append(ActionOutcome(action, failure))
                    continue
                if action.operation == "upsert":
                    self.entities.setdefault(action.blueprint, {})[action.identifier] = action.entity
                    self.upserts_by_id[action.identifier] = self.upserts_by_id.get(action.identifier, 0) + 1
                    result.upserted += 1
                else:
                    self.entities.get(action.blueprint, {}).pop(action.identifier, None)
                    result.deleted += 1
                result.outcomes.append(ActionOutcome(action))
        return result

    def iter_entity_identifiers(
        self, blueprint: str, *, created_by: Sequence[str] | None = None
    ) -> Iterator[str]:
        for ident, entity in sorted(self.entities.get(blueprint, {}).items()):
            if created_by is None or entity.get("createdBy") in created_by:
                yield ident

    def delete_entities(
        self, blueprint: str, identifiers: Iterable[str], *, delete_dependents: bool = False
    ) -> BulkResult:
        out = BulkResult(blueprint, "delete")
        for ident in identifiers:
            if self.entities.get(blueprint, {}).pop(ident, None) is None:
                out.absent.append(ident)
            else:
                out.succeeded.append(ident)
                self.deleted.append((blueprint, ident))
        return out

    def ids(self, blueprint: str) -> set[str]:
        return set(self.entities.get(blueprint, {}))


class FakeGuard:
    """Entities the live path touched, with the version it recorded."""

    def __init__(self, versions: dict[tuple[str, str], int] | None = None) -> None:
        self.versions = dict(versions or {})
        self.calls: list[int] = []

    def newer_entries(self, keys: Iterable[tuple[str, str]], version_ms: int) -> set[tuple[str, str]]:
        self.calls.append(version_ms)
        return {k for k in keys if self.versions.get(k, -1) > version_ms}


class Clock:
    """A Lambda clock: ``remaining_ms`` drops by ``step`` on every call."""

    def __init__(self, start_ms: int, step_ms: int) -> None:
        self.left = start_ms
        self.step = step_ms

    def __call__(self) -> int:
        self.left -= self.step
        return self.left


@dataclass
class Harness:
    jira: FakeJira
    port: FakePort
    table: MemoryTable
    continuation: RecordingContinuation
    mapping: FakeMapping
    guard: FakeGuard | None
    settings: BackfillSettings

    def service(
        self, *, table: ItemTable | None = None, scope: str = "project IS NOT EMPTY"
    ) -> BackfillService:
        store = BackfillStore(table or self.table)
        ledger = OwnershipLedger(table or self.table)
        guard = as_guard(self.guard)
        return BackfillService(
            jira=cast(JiraClient, self.jira),
            mapper=BackfillMapper(cast(CompiledMapping, self.mapping), "https://jira.example.com"),
            writer=PageWriter(self.port.apply, guard, ledger),
            store=store,
            continuation=self.continuation,
            settings=self.settings,
            scope=scope,
            options=PipelineOptions(
                concurrency=self.settings.partition_concurrency,
                max_attempts=self.settings.partition_max_attempts,
            ),
            port=as_port(self.port),
            guard=guard,
            ledger=ledger,
        )


def harness(jira: FakeJira | None = None, guard: FakeGuard | None = None, **settings: Any) -> Harness:
    values = {"partition_concurrency": 2, "safety_margin_seconds": 1, **settings}
    return Harness(
        jira=jira or make_jira(),
        port=FakePort(),
        table=MemoryTable(),
        continuation=RecordingContinuation(),
        mapping=FakeMapping(),
        guard=guard,
        settings=BackfillSettings(**values),
    )


def transient_error() -> JiraUnavailableError:
    return JiraUnavailableError("Jira kept answering 503")


def jql_error(status: int = 400) -> JiraAPIError:
    message = "The value '1' does not exist for the field 'project'."
    return JiraAPIError(status, "POST", "/rest/api/2/search/jql", messages=[message])


def as_port(port: FakePort) -> PortClient:
    """The fake where the backfill takes the real client (it answers the same calls)."""
    return cast(PortClient, port)


def as_guard(guard: FakeGuard | None) -> VersionGuard | None:
    """The fake where the backfill takes the real version guard."""
    return cast(VersionGuard | None, guard)
