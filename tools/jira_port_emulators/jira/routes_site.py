"""Site, identity, permission, project and issue-read endpoints of the emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.model import DAY_MS, Project
from jira_port_emulators.jira.render import select_fields
from jira_port_emulators.jira.server import ApiError, Request, Route, route
from jira_port_emulators.jira.shapes import entity_uuid, format_ts, render_user

if TYPE_CHECKING:
    from jira_port_emulators.jira.accounts import Account
    from jira_port_emulators.jira.emulator import JiraEmulator

PERMISSIONS = {
    "ADMINISTER": (
        "0",
        "Administer Jira",
        "GLOBAL",
        "Create and administer projects, issue types, fields and schemes.",
    ),
    "SYSTEM_ADMIN": ("44", "Administer Jira System", "GLOBAL", "Configure Jira system settings."),
    "BROWSE_PROJECTS": (
        "10",
        "Browse Projects",
        "PROJECT",
        "Ability to browse projects and the issues within them.",
    ),
    "CREATE_ISSUES": ("11", "Create Issues", "PROJECT", "Ability to create issues."),
    "EDIT_ISSUES": ("12", "Edit Issues", "PROJECT", "Ability to edit issues."),
}
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
CLOUD_BUILD = "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71"


def api_version(req: Request) -> int:
    return 3 if req.match.groupdict().get("v") == "3" else 2


def server_info(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    now = emu.now_ms()
    if emu.flavour == "cloud":
        return 200, {
            "baseUrl": emu.url,
            "displayUrl": emu.url,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": emu.deployment_type,
            "buildNumber": 100295,
            "buildDate": format_ts(now - 3 * DAY_MS, 0),
            "serverTime": format_ts(now, 0),
            "scmInfo": CLOUD_BUILD,
            "serverTitle": "Jira",
            "serverTimeZone": "Etc/UTC",
        }
    numbers = [int(p) for p in emu.server_version.split(".") if p.isdigit()]
    return 200, {
        "baseUrl": emu.url,
        "version": emu.server_version,
        "versionNumbers": numbers,
        "deploymentType": emu.deployment_type,
        "buildNumber": numbers[0] * 1_000_000 + (numbers[1] if len(numbers) > 1 else 0) * 1000,
        "buildDate": format_ts(now - 90 * DAY_MS, 0),
        "databaseBuildNumber": 10030004,
        "serverTime": format_ts(now, emu.ds.utc_offset_minutes),
        "scmInfo": CLOUD_BUILD[:12],
        "serverTitle": "Jira",
    }


def myself(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    account = _account(req)
    shapes = emu.renderer(api_version(req)).shapes
    body = render_user(emu.ds.users[account.user_index], shapes)
    body["locale"] = "en_US"
    body["groups"] = {"size": 1 + account.admin, "items": []}
    body["applicationRoles"] = {"size": 1, "items": []}
    body["expand"] = "groups,applicationRoles"
    return 200, body


def my_permissions(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    account = _account(req)
    keys = req.args("permissions")
    if not keys:
        if emu.flavour == "cloud":
            raise ApiError(400, "The 'permissions' query parameter is required.")
        keys = list(PERMISSIONS)
    unknown = [k for k in keys if k not in PERMISSIONS]
    if unknown:
        raise ApiError(400, f"The permission key '{unknown[0]}' is not valid.")
    result = {}
    for key in keys:
        pid, name, kind, description = PERMISSIONS[key]
        have = account.admin if kind == "GLOBAL" else True
        result[key] = {"id": pid, "key": key, "name": name, "type": kind, "description": description,
                       "havePermission": have}  # fmt: skip
    return 200, {"permissions": result}


def _account(req: Request) -> Account:
    assert req.account is not None  # routes that reach here are authenticated
    return req.account


# -- projects ----------------------------------------------------------------------------------


def project_json(emu: JiraEmulator, project: Project, api: int, expand: set[str]) -> dict[str, Any]:
    """A project as REST returns it (id is a string; description/lead/issueTypes/insight on expand)."""
    shapes = emu.renderer(api).shapes
    cloud = emu.flavour == "cloud"
    body: dict[str, Any] = {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight"
        if cloud
        else "description,lead,url,projectKeys",
        "self": f"{shapes.rest}/project/{project.id}",
        "id": str(project.id),
        "key": project.key,
        "name": project.name,
        "avatarUrls": shapes.project_avatars(project),
        "projectTypeKey": project.type_key,
    }
    if cloud:
        uid = entity_uuid(emu.ds.seed, project.id)
        body.update(simplified=False, style="classic", isPrivate=False, properties={}, uuid=uid)
    else:
        body["archived"] = False
    if "description" in expand:
        body["description"] = project.description
    if "lead" in expand:
        body["lead"] = shapes.user(project.lead)
    if "issueTypes" in expand:
        body["issueTypes"] = [shapes.issuetype(t.id) for t in catalog.ISSUE_TYPES]
    if "insight" in expand and cloud:
        ids = emu.ds.by_project.get(project.id, [])
        last = max((emu.ds.issues[i].updated for i in ids), default=0)
        insight: dict[str, Any] = {"totalIssueCount": len(ids)}
        if last:
            insight["lastIssueUpdateTime"] = shapes.ts(last)
        body["insight"] = insight
    if cloud and project.trashed:
        body.update(
            deleted=True,
            deletedDate=shapes.ts(project.trashed_at),
            retentionTillDate=shapes.ts(project.trashed_at + 60 * DAY_MS),
            deletedBy=shapes.user(emu.accounts[0].user_index if emu.accounts else 0),
        )
    return body


def _projects(emu: JiraEmulator, account: Account | None, *, trashed: bool = False) -> list[Project]:
    return sorted(
        (
            p
            for p in emu.ds.projects.values()
            if p.trashed == trashed and (account is None or account.can_browse(p.key))
        ),
        key=lambda p: p.key,
    )


def offsets(req: Request, default: int, cap: int) -> tuple[int, int]:
    """``(startAt, maxResults)`` with Jira's 400 for negatives and ``maxResults`` capped at ``cap``."""
    start = req.int_arg("startAt", 0)
    size = req.int_arg("maxResults", default)
    if start < 0 or size < 0:
        raise ApiError(400, "startAt and maxResults must not be negative.")
    return start, min(size, cap)


def page_bean(base: str, start: int, size: int, found: int, values: list[Any]) -> dict[str, Any]:
    """Jira's ``PageBean``: ``self``, ``nextPage`` (when more remain), ``maxResults``, ``startAt``, ``total``,
    ``isLast`` and ``values``; ``base`` is the URL without paging parameters."""
    sep = "&" if "?" in base else "?"
    body: dict[str, Any] = {"self": f"{base}{sep}startAt={start}&maxResults={size}", "maxResults": size}
    body["startAt"] = start
    if start + len(values) < found:
        body["nextPage"] = f"{base}{sep}startAt={start + len(values)}&maxResults={size}"
    body.update(total=found, isLast=start + len(values) >= found, values=values)
    return body


def project_search(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """Cloud ``GET /rest/api/{2,3}/project/search``: offset pages of at most 100."""
    start, size = offsets(req, 50, 100)
    status = req.args("status") or ["live"]
    keys = {k.upper() for k in req.args("keys")}
    ids = set(req.args("id"))
    text = (req.arg("query") or "").lower()
    order = req.arg("orderBy") or "key"
    expand = set(req.args("expand"))
    with emu.lock:
        found = []
        for wanted in status:
            found += (
                _projects(emu, req.account, trashed=wanted == "deleted")
                if wanted in ("live", "deleted")
                else []
            )
        found = [
            p
            for p in found
            if (not keys or p.key in keys)
            and (not ids or str(p.id) in ids)
            and (not text or text in p.key.lower() or text in p.name.lower())
        ]
        field = order.lstrip("+-")
        if field in ("key", "name", "id"):
            found.sort(key=lambda p: getattr(p, field), reverse=order.startswith("-"))
        page = found[start : start + size]
        api = api_version(req)
        values = [project_json(emu, p, api, expand) for p in page]
    return 200, page_bean(f"{emu.url}/rest/api/{api}/project/search", start, size, len(found), values)


def project_list(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``GET /rest/api/{v}/project``: the unpaginated array (deprecated on Cloud, the only one on DC)."""
    expand = set(req.args("expand"))
    with emu.lock:
        return 200, [project_json(emu, p, api_version(req), expand) for p in _projects(emu, req.account)]


def find_project(emu: JiraEmulator, req: Request, key: str, *, trashed: bool | None = False) -> Project:
    ds = emu.ds
    project = ds.projects.get(int(key)) if key.isdigit() else ds.project_by_key(key)
    account = req.account
    if (
        project is None
        or (trashed is not None and project.trashed != trashed)
        or (account is not None and not account.can_browse(project.key))
    ):
        raise ApiError(404, f"No project could be found with key '{key}'.")
    return project


def project_get(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        project = find_project(emu, req, req.match["key"], trashed=None)
        expand = {"description", "lead", "issueTypes", *req.args("expand")}
        return 200, project_json(emu, project, api_version(req), expand)


# -- issues ------------------------------------------------------------------------------------


def issue_get(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``GET /rest/api/{v}/issue/{idOrKey}`` (issues of trashed projects stay readable here)."""
    selection = select_fields(req.args("fields"), emu.flavour, "*all")
    with emu.lock:
        issue = emu.ds.find_issue(req.match["key"])
        account = req.account
        if issue is None or (
            account is not None and not account.can_browse(emu.ds.projects[issue.project_id].key)
        ):
            raise ApiError(404, ISSUE_NOT_FOUND)
        return 200, emu.renderer(api_version(req)).issue(issue, selection)


def transitions_get(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        if emu.ds.find_issue(req.match["key"]) is None:
            raise ApiError(404, ISSUE_NOT_FOUND)
        shapes = emu.renderer(api_version(req)).shapes
        items = [{"id": s.id, "name": s.name, "to": shapes.status(s.id)} for s in catalog.STATUSES]
    return 200, {"expand": "transitions", "transitions": items}


def site_routes(flavour: str) -> list[Route]:
    routes = []
    if flavour == "cloud":  # before project/{key}, which would match "search"
        routes.append(route("GET", r"/rest/api/{v}/project/search", project_search))
    routes += [
        route("GET", r"/rest/api/{v}/serverInfo", server_info, anonymous=True),
        route("GET", r"/rest/api/{v}/myself", myself),
        route("GET", r"/rest/api/{v}/mypermissions", my_permissions),
        route("GET", r"/rest/api/{v}/project", project_list),
        route("GET", r"/rest/api/{v}/project/(?P<key>[A-Za-z0-9_]+)", project_get),
        route("GET", r"/rest/api/{v}/issue/(?P<key>[A-Za-z0-9_-]+)", issue_get),
        route("GET", r"/rest/api/{v}/issue/(?P<key>[A-Za-z0-9_-]+)/transitions", transitions_get),
    ]
    return routes
