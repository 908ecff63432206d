"""Write endpoints: issues, transitions and projects, so the demo can drive changes over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.mutations import MutationError
from jira_port_emulators.jira.routes_site import ISSUE_NOT_FOUND, api_version, find_project, project_json
from jira_port_emulators.jira.server import ApiError, Request, Route, route

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator

_SETTABLE = {
    "project",
    "summary",
    "issuetype",
    "description",
    "priority",
    "assignee",
    "labels",
    "parent",
    "duedate",
}


def _ref(value: Any, *keys: str) -> Any:
    """``{"key": ...}``/``{"name": ...}``/``{"id": ...}`` references, or a bare value."""
    if isinstance(value, dict):
        for key in keys:
            if value.get(key) is not None:
                return value[key]
        return None
    return value


def _text(value: Any) -> str | None:
    """A description: a wiki string (v2) or ADF (v3), flattened to text."""
    if value is None or isinstance(value, str):
        return value
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                parts.append(str(node.get("text", "")))
            for child in node.get("content", []) or []:
                walk(child)
            if node.get("type") == "paragraph":
                parts.append("\n")

    walk(value)
    return "".join(parts).strip("\n")


def _fields(req: Request, *, creating: bool) -> dict[str, Any]:
    body = req.json()
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        raise ApiError(400, "The request body must hold a 'fields' object.")
    errors = {
        name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        for name in fields
        if (name not in _SETTABLE and not name.startswith("customfield_"))
        or (name == "project" and not creating)
    }
    if errors:
        raise ApiError(400, errors=errors)
    return fields


def _mutate(call: Any) -> Any:
    try:
        return call()
    except MutationError as exc:
        raise ApiError(400, str(exc)) from None


def issue_create(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    fields = _fields(req, creating=True)
    custom = {k: v for k, v in fields.items() if k.startswith("customfield_")}
    assignee = _ref(fields.get("assignee"), "accountId", "name", "key")
    parent = _ref(fields.get("parent"), "key", "id")
    event = _mutate(
        lambda: emu.create_issue(
            str(_ref(fields.get("project"), "key", "id") or ""),
            str(fields.get("summary") or ""),
            issuetype=str(_ref(fields.get("issuetype"), "name", "id") or "Task"),
            description=_text(fields.get("description")),
            priority=str(_ref(fields.get("priority"), "name", "id") or "Medium"),
            assignee=assignee,
            labels=list(fields.get("labels") or []),
            parent=str(parent) if parent is not None else None,
            actor=req.account.user_index if req.account else None,
            **custom,
        )
    )
    issue = event["issue"]
    return 201, {"id": issue["id"], "key": issue["key"], "self": issue["self"]}


def issue_update(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    fields = _fields(req, creating=False)
    changes: dict[str, Any] = {k: v for k, v in fields.items() if k.startswith("customfield_")}
    if "summary" in fields:
        changes["summary"] = str(fields["summary"])
    if "description" in fields:
        changes["description"] = _text(fields["description"])
    if "priority" in fields:
        changes["priority"] = str(_ref(fields["priority"], "name", "id"))
    if "issuetype" in fields:
        changes["issuetype"] = str(_ref(fields["issuetype"], "name", "id"))
    if "assignee" in fields:
        changes["assignee"] = _ref(fields["assignee"], "accountId", "name", "key")
    if "labels" in fields:
        changes["labels"] = list(fields["labels"] or [])
    if "duedate" in fields:
        changes["duedate"] = fields["duedate"]
    actor = req.account.user_index if req.account else None
    _mutate(lambda: emu.update_issue(req.match["key"], actor=actor, **changes))
    return 204, None


def issue_delete(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        issue = emu.ds.find_issue(req.match["key"])
        if issue is None:
            raise ApiError(404, ISSUE_NOT_FOUND)
        if emu.ds.subtasks.get(issue.id) and (req.arg("deleteSubtasks") or "").lower() != "true":
            raise ApiError(400, "The issue has subtasks. Set deleteSubtasks=true to delete them too.")
    _mutate(lambda: emu.delete_issue(req.match["key"], actor=req.account.user_index if req.account else None))
    return 204, None


def transition(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    body = req.json()
    target = _ref(body.get("transition"), "id", "name") if isinstance(body, dict) else None
    if target is None:
        raise ApiError(400, "The transition id is missing.")
    actor = req.account.user_index if req.account else None
    _mutate(lambda: emu.update_issue(req.match["key"], status=str(target), actor=actor))
    return 204, None


def project_create(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    body = req.json()
    if not isinstance(body, dict) or not body.get("key") or not body.get("name"):
        raise ApiError(400, errors={"projectKey": "You must specify a unique project key."})
    lead = body.get("leadAccountId") or body.get("lead")
    event = _mutate(
        lambda: emu.create_project(
            str(body["key"]),
            str(body["name"]),
            lead=lead,
            type_key=str(body.get("projectTypeKey") or "software"),
        )
    )
    project = event["project"]
    return 201, {"self": project["self"], "id": project["id"], "key": project["key"]}


def project_update(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    with emu.lock:
        project = find_project(emu, req, req.match["key"])
    lead = body.get("leadAccountId") or body.get("lead")
    _mutate(
        lambda: emu.update_project(
            project.key, name=body.get("name"), lead=lead, description=body.get("description")
        )
    )
    with emu.lock:
        return 200, project_json(emu, project, api_version(req), {"description", "lead"})


def project_delete(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """Cloud moves to the trash unless ``enableUndo=false``; Data Center deletes."""
    with emu.lock:
        project = find_project(emu, req, req.match["key"], trashed=None)
    undo = (req.arg("enableUndo") or "true").lower() != "false"
    if emu.flavour == "cloud" and undo and not project.trashed:
        _mutate(lambda: emu.soft_delete_project(project.key))
    else:
        _mutate(lambda: emu.delete_project(project.key))
    return 204, None


def project_restore(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        project = find_project(emu, req, req.match["key"], trashed=True)
    _mutate(lambda: emu.restore_project(project.key))
    with emu.lock:
        return 200, project_json(emu, project, api_version(req), {"description", "lead"})


def write_routes(emu: JiraEmulator) -> list[Route]:
    issue = r"/rest/api/{v}/issue/(?P<key>[A-Za-z0-9_-]+)"
    project = r"/rest/api/{v}/project/(?P<key>[A-Za-z0-9_]+)"
    routes = [
        route("POST", r"/rest/api/{v}/issue", issue_create),
        route("PUT", issue, issue_update),
        route("DELETE", issue, issue_delete),
        route("POST", issue + "/transitions", transition),
        route("POST", r"/rest/api/{v}/project", project_create),
        route("PUT", project, project_update),
        route("DELETE", project, project_delete),
    ]
    if emu.flavour == "cloud":
        routes.append(route("POST", project + "/restore", project_restore))
    return routes
