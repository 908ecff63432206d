"""Local Jira + local Port for backfill integration tests, and the mapped-state oracle."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jira_port.backfill.report import BackfillSummary
from jira_port.backfill.runtime import BackfillRequest, compose
from jira_port.backfill.service import BackfillService
from jira_port.jira import JiraClient
from jira_port.jira.kinds import kind_event, mapped_kinds
from jira_port.jira.kinds_read import read_kinds
from jira_port.mapping import CompiledMapping, load_mapping
from jira_port.mapping.source import MappingProvider
from jira_port.port import PortClient
from jira_port.settings.backfill import BackfillSettings
from jira_port.settings.jira import JiraSettings
from jira_port.state import ItemTable
from jira_port_emulators.jira import JiraEmulator, JiraFaults, generate_dataset
from jira_port_emulators.port import PortEmulator, PortFaults
from jira_port_emulators.port.relation_search import resolve_all
from jira_port_tools.backfill_local import LocalOptions, RecordingContinuation
from jira_port_tools.blueprints import bundled_blueprints, dependency_order
from jira_port_tools.state_file import FileTable
from tests.support.port_emulator import CLIENT_ID, CLIENT_SECRET, FAST_POLICY, client_for

COMPARED = ("title", "properties", "relations")


@dataclass
class Sites:
    """A running local Jira and local Port, and how to reach them."""

    jira: JiraEmulator
    port: PortEmulator
    flavour: str
    tmp: Path
    continuation: RecordingContinuation = field(default_factory=RecordingContinuation)

    @property
    def env(self) -> dict[str, str]:
        """Environment variables for ``build_service`` / the CLI / the Lambda."""
        env = {
            "JIRA_BASE_URL": self.jira.url,
            "PORT_API_URL": str(self.port.url),
            "PORT_CLIENT_ID": CLIENT_ID,
            "PORT_CLIENT_SECRET": CLIENT_SECRET,
        }
        if self.flavour == "cloud":
            env.update(JIRA_EMAIL="admin@example.com", JIRA_API_TOKEN="api-token")
        else:
            env.update(JIRA_PAT="local-pat")
        return env

    def jira_settings(self, **overrides: Any) -> JiraSettings:
        return JiraSettings.from_env(self.env, **overrides)

    def jira_client(self, **overrides: Any) -> JiraClient:
        return JiraClient.from_settings(self.jira_settings(), retry_policy=FAST_POLICY, **overrides)

    def service(
        self,
        *,
        table: ItemTable | None = None,
        jira: Any = None,
        page_size: int = 100,
        local: LocalOptions | None = None,
        port: PortClient | None = None,
        mapping: CompiledMapping | MappingProvider | None = None,
        **settings: Any,
    ) -> BackfillService:
        """A backfill on these sites with fast retries; state in ``tmp/state.json`` unless ``table``;
        Port with the emulator's first credentials unless ``port``."""
        values = {"partition_concurrency": 4, "safety_margin_seconds": 1, **settings}
        return compose(
            BackfillSettings(**values),
            self.jira_settings(page_size=page_size),
            jira=jira or self.jira_client(max_concurrency=values["partition_concurrency"]),
            mapping=mapping or load_mapping(None),
            table=table or FileTable(self.tmp / "state.json"),
            continuation=self.continuation,
            port=port or client_for(self.port),
            jql=local.jql if local is not None else None,
        )

    def drain(
        self, service: BackfillService, request: BackfillRequest, clock: Any = None
    ) -> list[BackfillSummary]:
        """Invoke and follow continuations (each with a fresh ``clock()``) until the run ends."""
        summaries = [service.invoke(request, clock() if clock else None)]
        while (payload := self.continuation.take()) is not None:
            summaries.append(service.invoke(BackfillRequest.parse(payload), clock() if clock else None))
        return summaries


def strict_blueprints(priorities: list[str]) -> list[dict[str, Any]]:
    """The bundled blueprints with ``jiraIssue.priority`` restricted to ``priorities``."""
    definitions = copy.deepcopy(dependency_order(bundled_blueprints()))
    for definition in definitions:
        if definition["identifier"] == "jiraIssue":
            definition["schema"]["properties"]["priority"]["enum"] = priorities
    return definitions


@contextmanager
def sites(
    tmp: Path,
    *,
    flavour: str = "cloud",
    projects: int = 5,
    issues: int = 200,
    jira_faults: JiraFaults | None = None,
    port_faults: PortFaults | None = None,
    token_lifetime: float = 10800.0,
    blueprints: list[dict[str, Any]] | None = None,
    seed: int = 11,
) -> Iterator[Sites]:
    """Both emulators running with a generated dataset."""
    dataset = generate_dataset(projects, issues, flavour=flavour, seed=seed)  # type: ignore[arg-type]
    jira = JiraEmulator(dataset, faults=jira_faults)
    port = PortEmulator(
        CLIENT_ID,
        CLIENT_SECRET,
        token_lifetime,
        port_faults,
        blueprints=blueprints if blueprints is not None else dependency_order(bundled_blueprints()),
    )
    with ExitStack() as stack:
        stack.enter_context(jira.running())
        stack.enter_context(port.running())
        yield Sites(jira, port, flavour, tmp)


def mapped_jira_state(
    site: Sites, mapping: CompiledMapping | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """The oracle: every Jira project and issue, and every item of the kinds the mapping maps (read
    afresh, no faults), through ``mapping`` (default: the bundled one), presented as the corresponding
    webhook body, by blueprint and identifier; relations given as search queries resolved as Port does."""
    mapping = mapping or load_mapping(None)
    client = JiraClient.from_settings(site.jira_settings(), retry_policy=FAST_POLICY)
    headers = {"x-jira-port-source": "backfill"}
    expected: dict[str, dict[str, dict[str, Any]]] = {}
    projects = list(client.iter_projects())
    bodies: list[dict[str, Any]] = [
        {"webhookEvent": "project_updated", "timestamp": 0, "project": p} for p in projects
    ]
    for page in client.iter_issue_pages(None, page_size=1000):
        bodies.extend({"webhookEvent": "jira:issue_updated", "timestamp": 0, "issue": i} for i in page.issues)
    keys = sorted(str(p["key"]) for p in projects)
    for kinds_page in read_kinds(client, mapped_kinds(mapping.relevant), keys, max_workers=1).pages():
        bodies.extend(kind_event(kinds_page.kind, item, 0) for item in kinds_page.items)
    for body in bodies:
        for action in mapping.evaluate(body, headers, {}, jira_base_url=site.jira.url):
            assert action.operation == "upsert"
            expected.setdefault(action.blueprint, {})[action.identifier] = action.entity
    return resolve_all(expected, site.port.blueprints())


def port_state(site: Sites, blueprints: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """What the local Port holds, restricted to the compared fields."""
    return {
        bp: {ident: {k: e.get(k) for k in COMPARED} for ident, e in site.port.entities(bp).items()}
        for bp in blueprints
    }


def comparable(expected: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """The oracle restricted to the compared fields (absent ones as Port stores them)."""
    return {
        bp: {
            ident: {k: e.get(k, {} if k != "title" else None) for k in COMPARED} for ident, e in ents.items()
        }
        for bp, ents in expected.items()
    }
