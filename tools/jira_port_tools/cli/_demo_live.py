"""The demo's live part: the local Jira changes things, its webhooks reach ``jira-port serve``, Port follows.

Nine changes, each one signed webhook from Jira's own sender: an issue is created, then edited (summary
and status); an existing issue is deleted; a project is created, then deleted; a sprint is created on a
scrum board, then started; a version is created in the deleted issue's project, then released (named by
its project id only, so Port finds the project by search). The deleted issue is one
no other issue refers to (no sub-tasks, not an epic with children, not a sub-task), so Jira's other
issues stay as they were and the closing Port-vs-Jira check stays exact.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jira_port_tools.cli._demo_output import DemoFailed, clip, table

if TYPE_CHECKING:
    from jira_port.port import PortClient
    from jira_port_emulators.jira import Delivery, JiraEmulator, WebhookSender
    from jira_port_tools.serve.local_server import LocalServer

NEW_SUMMARY = "Demo: created live"
UPDATED_SUMMARY = "Demo: summary edited live"
UPDATED_STATUS = "In Progress"
NEW_PROJECT = "Live Demo"
NEW_SPRINT = "Demo sprint"
NEW_VERSION = "Demo 1.0"
KEY_PROPERTIES = {
    "jiraIssue": ("status", "issueType", "lastChangeType"),
    "jiraProject": ("projectType",),
    "jiraSprint": ("state",),
    "jiraVersion": ("released",),
}
_ISSUE_KEY = re.compile(r"^(.*)-(\d+)$")


@dataclass
class Touched:
    """One Port entity the live events touched, what it must look like, and what Port holds."""

    events: list[str]
    blueprint: str
    identifier: str
    expected: dict[str, Any] | None  # properties it must have; None = it must be gone
    held: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        if self.expected is None or self.held is None:
            return self.expected is None and self.held is None
        properties = self.held.get("properties") or {}
        return all(properties.get(k) == v for k, v in self.expected.items())


@dataclass
class LiveResult:
    """What the live events did: deliveries, timing, and the touched entities as Port holds them."""

    touched: list[Touched] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return sum(len(t.events) for t in self.touched)


def issue_order(key: str) -> tuple[str, int]:
    """``PLAT-12`` sorts as (``PLAT``, 12)."""
    match = _ISSUE_KEY.match(key)
    return (match.group(1), int(match.group(2))) if match else (key, 0)


def deletable_issue(issues: Mapping[str, Mapping[str, Any]]) -> str:
    """The first issue (by key) that no other issue refers to through a relation."""
    referenced: set[str] = set()
    for identifier, entity in issues.items():
        for target in (entity.get("relations") or {}).values():
            targets = target if isinstance(target, list) else [target]
            referenced.update(t for t in targets if isinstance(t, str) and t != identifier)
    candidates = sorted((i for i in issues if i not in referenced), key=issue_order)
    if not candidates:
        raise DemoFailed("Port holds no issue that can be deleted without touching others")
    return candidates[0]


def registered_senders(jira: JiraEmulator) -> list[WebhookSender]:
    """The senders of the webhooks registered through Jira's REST API (the demo registered one)."""
    with jira.lock:
        senders = [s for s in jira.targets("jira:issue_created", None) if s is not jira.webhooks]
    if not senders:
        raise DemoFailed("no webhook is registered in the local Jira")
    return senders


def send_live_events(jira: JiraEmulator, server: LocalServer, delete_key: str, timeout: float) -> LiveResult:
    """Make the five changes in Jira, wait until ``jira-port serve`` synced them all, time it."""
    from jira_port_emulators.jira import MutationError

    senders = registered_senders(jira)
    already = sum(len(s.deliveries) for s in senders)
    project = issue_order(delete_key)[0]
    started = time.monotonic()
    try:
        created = jira.create_issue(project, NEW_SUMMARY, issuetype="Task")
        key = str(created["issue"]["key"])
        jira.update_issue(key, summary=UPDATED_SUMMARY, status=UPDATED_STATUS)
        jira.delete_issue(delete_key)
        new_project = str(jira.create_project(name=NEW_PROJECT)["project"]["key"])
        jira.delete_project(new_project)
        sprint = _started_sprint(jira)
        version = jira.create_kind("version", {"project": project, "name": NEW_VERSION})["version"]
        jira.update_kind("version", version["id"], {"released": True})
    except MutationError as exc:
        raise DemoFailed(f"the local Jira refused a change: {exc}") from None
    try:
        server.drain(timeout=timeout)
    except TimeoutError as exc:
        raise DemoFailed(f"jira-port serve did not sync the events: {exc}") from None
    result = LiveResult(seconds=time.monotonic() - started)
    result.deliveries = [d for s in senders for d in s.deliveries][already:]
    result.touched = [
        Touched(["issue_created", "issue_updated"], "jiraIssue", key,
                {"summary": UPDATED_SUMMARY, "status": UPDATED_STATUS}),
        Touched(["issue_deleted"], "jiraIssue", delete_key, None),
        Touched(["project_created", "project_deleted"], "jiraProject", new_project, None),
        Touched(["sprint_created", "sprint_started"], "jiraSprint", str(sprint), {"state": "active"}),
        Touched(["jira:version_created", "jira:version_released"], "jiraVersion", str(version["id"]),
                {"released": True}),
    ]  # fmt: skip
    return result


def _started_sprint(jira: JiraEmulator) -> int:
    """Create a sprint on the first scrum board and start it; its id."""
    from jira_port_emulators.jira import MutationError

    with jira.lock:
        boards = sorted(b.id for b in jira.ds.kinds.boards.values() if b.type == "scrum")
    if not boards:
        raise MutationError("the local Jira has no scrum board")
    sprint = jira.create_kind("sprint", {"board": boards[0], "name": NEW_SPRINT})["sprint"]
    jira.update_kind("sprint", sprint["id"], {"state": "active"})
    return int(sprint["id"])


def check_deliveries(result: LiveResult, server: LocalServer) -> str:
    """One line on how the deliveries went; ``DemoFailed`` unless all were accepted and synced."""
    statuses = sorted({str(d.attempts[-1].status) if d.attempts else "none" for d in result.deliveries})
    if len(result.deliveries) != result.events or not all(d.delivered for d in result.deliveries):
        raise DemoFailed(
            f"{result.events} webhooks expected, {sum(d.delivered for d in result.deliveries)} accepted "
            f"(answers: {', '.join(statuses)})"
        )
    dead = server.dead_letter_count()
    if dead:
        raise DemoFailed(f"{dead} webhook events were dead-lettered by the sync function")
    return (
        f"Jira sent {len(result.deliveries)} signed webhooks (X-Hub-Signature), all answered "
        f"{'/'.join(statuses)}; all synced to Port, none dead-lettered"
    )


def read_touched(result: LiveResult, port: PortClient) -> None:
    """Fetch each touched entity from Port's API; ``DemoFailed`` if one is not as expected."""
    from jira_port_tools.port_admin import get_entity

    for touched in result.touched:
        touched.held = get_entity(port, touched.blueprint, touched.identifier)
    wrong = [t for t in result.touched if not t.ok]
    if wrong:
        raise DemoFailed(
            "Port does not reflect the live events: "
            + "; ".join(f"{t.blueprint}/{t.identifier} is {_state(t)}" for t in wrong)
        )


def _state(touched: Touched) -> str:
    if touched.held is None:
        return "absent"
    properties = touched.held.get("properties") or {}
    return "present with " + ", ".join(f"{k}={properties.get(k)!r}" for k in touched.expected or {})


def touched_table(result: LiveResult, indent: str = "    ") -> str:
    """The touched entities as Port holds them."""
    rows = []
    for t in result.touched:
        events = " + ".join(t.events)
        if t.held is None:
            rows.append([events, t.blueprint, t.identifier, "(not in Port: deleted)", "", ""])
            continue
        properties = t.held.get("properties") or {}
        shown = [f"{k}={properties[k]}" for k in KEY_PROPERTIES.get(t.blueprint, ()) if properties.get(k)]
        relations = [
            f"{name}={value if isinstance(value, str) else ','.join(value)}"
            for name, value in sorted((t.held.get("relations") or {}).items())
            if value
        ]
        rows.append([events, t.blueprint, t.identifier, clip(str(t.held.get("title") or ""), 32),
                     ", ".join(shown), ", ".join(relations)])  # fmt: skip
    headers = ["Jira events", "blueprint", "identifier", "title", "properties", "relations"]
    return table(headers, rows, indent)
