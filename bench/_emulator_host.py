"""The local Jira and Port of the backfill benchmark, served from a separate (host) process.

The measured process then holds only the backfill: its time, heap and resident set are jira-port's own.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any


@dataclass(frozen=True)
class _Site:
    """What the host serves: the dataset's shape, the latencies and Port's blueprints."""

    projects: int
    issues: int
    jira_latency: float
    port_latency: float
    dataset_options: dict[str, Any] | None
    blueprints: list[dict[str, Any]] | None


def _host(conn: Connection, site: _Site) -> None:
    """Serve a local Jira with the dataset and a (replaceable) local Port until told to stop."""
    from jira_port_emulators.jira import JiraEmulator, JiraFaults, generate_dataset
    from jira_port_emulators.port import PortEmulator, PortFaults
    from jira_port_tools.blueprints import bundled_blueprints, dependency_order

    options = site.dataset_options or {}
    dataset = generate_dataset(site.projects, site.issues, flavour="cloud", seed=7, **options)
    jira = JiraEmulator(dataset, faults=JiraFaults(latency=site.jira_latency))
    blueprints = dependency_order(bundled_blueprints()) if site.blueprints is None else site.blueprints
    with ExitStack() as outer:
        outer.enter_context(jira.running())
        port_stack = ExitStack()
        port: PortEmulator | None = None
        while True:
            command = conn.recv()
            if command == "port":  # a fresh, empty Port
                port_stack.close()
                port = PortEmulator(faults=PortFaults(latency=site.port_latency), blueprints=blueprints)
                port_stack.enter_context(port.running())
                conn.send((jira.url, port.url))
            elif command == "count":
                assert port is not None
                conn.send({bp: len(port.entities(bp)) for bp in ("jiraProject", "jiraIssue")})
            elif command == "every count":
                assert port is not None
                conn.send({bp["identifier"]: len(port.entities(bp["identifier"])) for bp in blueprints})
            elif command == "requests":  # Jira's calls per route pattern, Port's per method and path
                assert port is not None
                served = Counter(f"{r.method} {r.path}" for r in port.requests)
                conn.send((dict(jira.requests_by_route), dict(served)))
            elif command == "sizes":
                kinds = dataset.kinds
                conn.send({"user": len(dataset.users), "board": len(kinds.boards),
                           "sprint": len(kinds.sprints), "version": len(kinds.versions),
                           "component": len(kinds.components)})  # fmt: skip
            else:
                port_stack.close()
                conn.send("stopped")
                return


class Host:
    """The parent's handle on the emulator host process."""

    def __init__(
        self,
        projects: int,
        issues: int,
        jira_latency: float,
        port_latency: float,
        *,
        dataset_options: dict[str, Any] | None = None,
        blueprints: list[dict[str, Any]] | None = None,
    ) -> None:
        """``dataset_options``: more ``generate_dataset`` arguments; ``blueprints``: Port's (default: the
        bundled ones)."""
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        site = _Site(projects, issues, jira_latency, port_latency, dataset_options, blueprints)
        self._process = ctx.Process(target=_host, args=(child, site), daemon=True)
        self._process.start()

    def fresh_port(self) -> dict[str, str]:
        """Environment variables for the local Jira and a new, empty local Port."""
        self._conn.send("port")
        jira_url, port_url = self._conn.recv()
        return {
            "JIRA_BASE_URL": jira_url,
            "JIRA_EMAIL": "admin@example.com",
            "JIRA_API_TOKEN": "api-token",
            "PORT_API_URL": port_url,
            "PORT_CLIENT_ID": "local-id",
            "PORT_CLIENT_SECRET": "local-secret",
        }

    def counts(self) -> dict[str, int]:
        """Entities per blueprint in the current Port."""
        self._conn.send("count")
        counts: dict[str, int] = self._conn.recv()
        return counts

    def every_count(self) -> dict[str, int]:
        """Entities per blueprint (every blueprint Port was given) in the current Port."""
        return self._ask("every count")  # type: ignore[no-any-return]

    def requests(self) -> tuple[Counter[str], Counter[str]]:
        """Calls served so far: Jira's per route pattern, the current Port's per method and path."""
        jira, port = self._ask("requests")
        return Counter(jira), Counter(port)

    def sizes(self) -> dict[str, int]:
        """Items per catalog kind in the Jira dataset (user, board, sprint, version, component)."""
        return self._ask("sizes")  # type: ignore[no-any-return]

    def _ask(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def close(self) -> None:
        """Stop the host process."""
        self._conn.send("stop")
        self._conn.recv()
        self._process.join(timeout=30)
