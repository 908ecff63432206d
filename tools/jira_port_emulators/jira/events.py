"""Webhook bodies shaped like Jira's captures: issue events (REST v2 issue, actor ``user``, ``changelog``
on updates and on Cloud creates) and project events (``project`` with an integer id and ``projectLead``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.model import Issue, Project
from jira_port_emulators.jira.render import IssueRenderer
from jira_port_emulators.jira.texts import description_of, summary_of

_COMPARED = ("summary", "description", "status", "priority", "assignee", "issuetype", "labels", "duedate")


def issue_body(renderer: IssueRenderer, issue: Issue) -> dict[str, Any]:
    """``{id, self, key, fields}`` with every field (webhook bodies carry no ``expand``)."""
    return {
        "id": str(issue.id),
        "self": f"{renderer.shapes.rest}/issue/{issue.id}",
        "key": renderer.ds.issue_key(issue),
        "fields": renderer.fields(issue),
    }


def issue_event(
    renderer: IssueRenderer,
    event: str,
    issue: Issue,
    *,
    actor: int,
    timestamp: int,
    changelog: dict[str, Any] | None = None,
    type_name: str | None = None,
) -> dict[str, Any]:
    """A ``jira:issue_*`` body; ``type_name`` None leaves out ``issue_event_type_name`` (deletes)."""
    body: dict[str, Any] = {"timestamp": timestamp, "webhookEvent": event}
    if type_name is not None:
        body["issue_event_type_name"] = type_name
    body["user"] = renderer.shapes.user(actor, actor=True)
    body["issue"] = issue_body(renderer, issue)
    if changelog is not None:
        body["changelog"] = changelog
    return body


def event_type_name(items: list[dict[str, Any]]) -> str:
    """Jira's finer event name: assignment, transition (``issue_generic``) or a plain update."""
    fields = {item.get("fieldId") or str(item["field"]).lower() for item in items}
    if fields == {"assignee"}:
        return "issue_assigned"
    if "status" in fields:
        return "issue_generic"
    return "issue_updated"


def changelog(renderer: IssueRenderer, old: Issue | None, new: Issue, changelog_id: int) -> dict[str, Any]:
    """Items for what differs between ``old`` (None on create) and ``new``."""
    cloud = renderer.cloud
    items: list[dict[str, Any]] = []
    for name in _COMPARED:
        before = _value(renderer, old, name) if old is not None else (None, None)
        after = _value(renderer, new, name)
        if before == after or (old is None and after == (None, None)):
            continue
        item: dict[str, Any] = {"field": "Status" if name == "status" and old is None else name}
        item["fieldtype"] = "jira"
        if cloud:
            item["fieldId"] = name
        item.update({"from": before[0], "fromString": before[1], "to": after[0], "toString": after[1]})
        if name == "assignee" and cloud:
            item["tmpFromAccountId"], item["tmpToAccountId"] = before[0], after[0]
        items.append(item)
    old_custom = (old.overrides or {}) if old is not None else {}
    for name, value in sorted((new.overrides or {}).items()):
        if name.startswith("customfield_") and old_custom.get(name) != value:
            item = {"field": name, "fieldtype": "custom"}
            if cloud:
                item["fieldId"] = name
            before_text, after_text = _text(old_custom.get(name)), _text(value)
            item.update({"from": None, "fromString": before_text, "to": None, "toString": after_text})
            items.append(item)
    return {"id": str(changelog_id), "items": items}


def move_changelog(
    renderer: IssueRenderer, old_key: str, old_project: Project, moved: Issue, changelog_id: int
) -> dict[str, Any]:
    """The changelog of a move: ``project`` (ids and names) and ``Key`` (old and new key as strings)."""
    new_project = renderer.ds.projects[moved.project_id]
    items: list[dict[str, Any]] = [
        {"field": "project", "fieldtype": "jira", "fieldId": "project", "from": str(old_project.id),
         "fromString": old_project.name, "to": str(new_project.id), "toString": new_project.name},
        {"field": "Key", "fieldtype": "jira", "fieldId": "issuekey", "from": None, "fromString": old_key,
         "to": None, "toString": renderer.ds.issue_key(moved)},
    ]  # fmt: skip
    if not renderer.cloud:
        for item in items:
            del item["fieldId"]
    return {"id": str(changelog_id), "items": items}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return str(value.get("value") or value.get("name") or value)
    if isinstance(value, list):
        return ", ".join(_text(v) or "" for v in value)
    return str(value)


def _value(renderer: IssueRenderer, issue: Issue, name: str) -> tuple[Any, Any]:
    """(raw id/value, display string) of a compared field, as changelog items carry them."""
    if name == "assignee":
        if issue.assignee < 0:
            return None, None
        user = renderer.ds.users[issue.assignee]
        return (user.account_id if renderer.cloud else user.name), user.display_name
    if name == "duedate":
        due = renderer.fields(issue, ["duedate"])["duedate"]
        return due, due
    getters: dict[str, Callable[[], tuple[Any, Any]]] = {
        "summary": lambda: (None, summary_of(renderer.shapes, issue)),
        "description": lambda: (None, description_of(renderer.shapes, issue)),
        "status": lambda: (issue.status_id, catalog.STATUS_BY_ID[issue.status_id].name),
        "priority": lambda: (issue.priority_id, catalog.PRIORITY_BY_ID[issue.priority_id].name),
        "issuetype": lambda: (issue.type_id, catalog.TYPE_BY_ID[issue.type_id].name),
        "labels": lambda: (None, " ".join(issue.labels) or None),
    }
    return getters[name]()


def project_body(renderer: IssueRenderer, project: Project, *, lead: bool = True) -> dict[str, Any]:
    """The ``project`` of a project event (id as an integer, ``projectLead``, as in the 2024 capture)."""
    shapes = renderer.shapes
    body: dict[str, Any] = {
        "self": f"{shapes.rest}/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "avatarUrls": shapes.project_avatars(project),
    }
    if lead:
        body["projectLead"] = shapes.user(project.lead, actor=True)
        body["assigneeType"] = "admin.assignee.type.unassigned"
    return body


def project_event(renderer: IssueRenderer, event: str, project: Project, *, timestamp: int) -> dict[str, Any]:
    """A ``project_*`` body."""
    return {"timestamp": timestamp, "webhookEvent": event, "project": project_body(renderer, project)}
