"""The local Jira and Port of the backfill benchmark, served from a separate (host) process.

The measured process then holds only the backfill: its time, heap and resident set are jira-port's own.
"""

from __future__ import annotations

import multiprocessing
from contextlib import ExitStack
from multiprocessing.connection import Connection


def _host(conn: Connection, projects: int, issues: int, jira_latency: float, port_latency: float) -> None:
    """Serve a local Jira with the dataset and a (replaceable) local Port until told to stop."""
    from jira_port_emulators.jira import JiraEmulator, JiraFaults, generate_dataset
    from jira_port_emulators.port import PortEmulator, PortFaults
    from jira_port_tools.blueprints import bundled_blueprints, dependency_order

    jira = JiraEmulator(
        generate_dataset(projects, issues, flavour="cloud", seed=7), faults=JiraFaults(latency=jira_latency)
    )
    blueprints = dependency_order(bundled_blueprints())
    with ExitStack() as outer:
        outer.enter_context(jira.running())
        port_stack = ExitStack()
        port: PortEmulator | None = None
        while True:
            command = conn.recv()
            if command == "port":  # a fresh, empty Port
                port_stack.close()
                port = PortEmulator(faults=PortFaults(latency=port_latency), blueprints=blueprints)
                port_stack.enter_context(port.running())
                conn.send((jira.url, port.url))
            elif command == "count":
                assert port is not None
                conn.send({bp: len(port.entities(bp)) for bp in ("jiraProject", "jiraIssue")})
            else:
                port_stack.close()
                conn.send("stopped")
                return


class Host:
    """The parent's handle on the emulator host process."""

    def __init__(self, projects: int, issues: int, jira_latency: float, port_latency: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_host, args=(child, projects, issues, jira_latency, port_latency), daemon=True
        )
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

    def close(self) -> None:
        """Stop the host process."""
        self._conn.send("stop")
        self._conn.recv()
        self._process.join(timeout=30)
