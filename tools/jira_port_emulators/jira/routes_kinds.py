"""User, version and component listings of the emulator (Cloud and Data Center forms).

Sources and the behaviours they pin: docs/jira-behaviour.md, "Catalog kinds".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.kinds_shapes import component_json, version_json
from jira_port_emulators.jira.model import User
from jira_port_emulators.jira.routes_site import api_version, find_project, offsets, page_bean
from jira_port_emulators.jira.server import ApiError, Request, Route, route
from jira_port_emulators.jira.shapes import format_date, render_user

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator

CLOUD_USER_PAGE = 1000  # /users/search: "Limited to 1000"
DC_USER_PAGE = 1000  # Data Center 9 /user/search
DC10_USER_WINDOW = 100  # Data Center 10: startAt + maxResults limited to the first 100 (JRASERVER-78660)
USER_LIST_PAGE = 2000  # Data Center 10.3+ /user/list default page
KIND_PAGE = 50  # version and component page beans


def server_major_minor(emu: JiraEmulator) -> tuple[int, int]:
    numbers = [int(p) for p in emu.server_version.split(".") if p.isdigit()] + [0, 0]
    return numbers[0], numbers[1]


# -- users -------------------------------------------------------------------------------------


def _user_json(emu: JiraEmulator, req: Request, user: User) -> dict[str, Any]:
    body = dict(render_user(user, emu.renderer(api_version(req)).shapes))
    if emu.flavour == "cloud" and user.deleted:
        body["active"] = False
    return body


def _browse_users(req: Request) -> None:
    if req.account is not None and not req.account.browse_users:
        raise ApiError(
            403, "You do not have the permission to browse users: 'Browse users and groups' is required."
        )


def users_search(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """Cloud ``/users/search`` and ``/users``: a plain array of every account, app and inactive ones too."""
    _browse_users(req)
    start, size = offsets(req, 50, CLOUD_USER_PAGE)
    with emu.lock:
        page = emu.ds.users[start : start + size]
    cut = emu.faults.short_page(len(page))  # privacy filtering happens after paging: pages come back short
    if cut is not None:
        page = page[: max(1, cut)]
    return 200, [_user_json(emu, req, u) for u in page]


def _dc_matches(user: User, text: str) -> bool:
    """Data Center matching: ``.`` lists everyone; otherwise a prefix of the username, a word of the
    display name or the e-mail address."""
    if text == ".":
        return True
    words = [user.name, user.email, *user.display_name.lower().split()]
    return any(w.startswith(text) for w in words)


def user_search(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """Data Center ``/user/search?username=``: active users only unless ``includeInactive=true``."""
    _browse_users(req)
    text = (req.arg("username") or "").strip().lower()
    if not text:
        raise ApiError(400, "The username query parameter was not provided")
    active = (req.arg("includeActive") or "true").lower() != "false"
    inactive = (req.arg("includeInactive") or "false").lower() == "true"
    major, _ = server_major_minor(emu)
    start, size = offsets(req, 50, DC_USER_PAGE)
    if major >= 10:
        size = max(0, min(size, DC10_USER_WINDOW - start))
    with emu.lock:
        found = [
            u
            for u in emu.ds.users
            if not u.deleted and (active if u.active else inactive) and _dc_matches(u, text)
        ]
        return 200, [_user_json(emu, req, u) for u in found[start : start + size]]


def user_list(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """Data Center 10.3+ ``/user/list``: a cursor stream of every user (never 404, even on a bad cursor)."""
    _browse_users(req)
    raw = req.arg("cursor") or "0"
    cursor = int(raw) if raw.isdigit() else 0
    size = req.int_arg("maxResults", USER_LIST_PAGE)
    if size <= 0:
        raise ApiError(400, "maxResults must be positive.")
    with emu.lock:
        present = [u for u in emu.ds.users if not u.deleted and u.index >= cursor]
        page = present[:size]
        values = [_user_json(emu, req, u) for u in page]
    body: dict[str, Any] = {"self": f"{emu.url}/rest/api/2/user/list?cursor={cursor}", "maxResults": size}
    last = len(page) == len(present)
    body["isLast"] = last
    if not last:
        body["nextCursor"] = str(page[-1].index + 1)
        body["nextPage"] = f"{emu.url}/rest/api/2/user/list?cursor={page[-1].index + 1}&maxResults={size}"
    body["values"] = values
    return 200, body


def user_get(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``/user?accountId=`` (Cloud) or ``?username=`` / ``?key=`` (Data Center)."""
    wanted = req.arg("accountId") if emu.flavour == "cloud" else req.arg("username") or req.arg("key")
    with emu.lock:
        user = next(
            (
                u
                for u in emu.ds.users
                if wanted in (u.account_id, u.name, u.key) and (emu.flavour == "cloud" or not u.deleted)
            ),
            None,
        )
        if not wanted or user is None:
            raise ApiError(404, f"The user with the key '{wanted}' does not exist.")
        return 200, _user_json(emu, req, user)


# -- versions and components -------------------------------------------------------------------


def _versions(emu: JiraEmulator, req: Request) -> tuple[str, list[dict[str, Any]]]:
    project = find_project(emu, req, req.match["key"])
    shapes = emu.renderer(api_version(req)).shapes
    today = format_date(emu.now_ms(), emu.ds.utc_offset_minutes)
    wanted = set(req.args("status"))
    versions = [
        v
        for v in emu.ds.kinds.project_versions(project.id)
        if not wanted
        or ("released" in wanted and v.released and not v.archived)
        or ("unreleased" in wanted and not v.released and not v.archived)
        or ("archived" in wanted and v.archived)
    ]
    return project.key, [version_json(shapes, v, today) for v in versions]


def _paged(emu: JiraEmulator, req: Request, listed: tuple[str, list[dict[str, Any]]], suffix: str) -> Any:
    start, size = offsets(req, 50, KIND_PAGE)
    key, values = listed
    base = f"{emu.url}/rest/api/{api_version(req)}/project/{key}/{suffix}"
    return page_bean(base, start, size, len(values), values[start : start + size])


def versions_all(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        return 200, _versions(emu, req)[1]


def versions_page(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        return 200, _paged(emu, req, _versions(emu, req), "version")


def _components(emu: JiraEmulator, req: Request, *, counts: bool = False) -> tuple[str, list[dict[str, Any]]]:
    project = find_project(emu, req, req.match["key"])
    shapes = emu.renderer(api_version(req)).shapes
    values = [component_json(shapes, c) for c in emu.ds.kinds.project_components(project.id)]
    if counts:  # ComponentWithIssueCount
        issues = [emu.ds.issues[i] for i in emu.ds.by_project.get(project.id, [])]
        for value in values:
            wanted = int(value["id"])
            value["issueCount"] = sum(1 for i in issues if wanted in i.components)
    return project.key, values


def components_all(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        return 200, _components(emu, req)[1]


def components_page(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """Cloud only: ``/project/{key}/component``, a page bean of components with their issue counts."""
    with emu.lock:
        return 200, _paged(emu, req, _components(emu, req, counts=True), "component")


def kind_routes(emu: JiraEmulator) -> list[Route]:
    project = r"/rest/api/{v}/project/(?P<key>[A-Za-z0-9_]+)"
    routes = [
        route("GET", r"/rest/api/{v}/user", user_get),
        route("GET", project + "/versions", versions_all),
        route("GET", project + "/version", versions_page),
        route("GET", project + "/components", components_all),
    ]
    if emu.flavour == "cloud":
        routes += [
            route("GET", r"/rest/api/{v}/users/search", users_search),
            route("GET", r"/rest/api/{v}/users", users_search),
            route("GET", project + "/component", components_page),
        ]
    else:
        routes.append(route("GET", r"/rest/api/{v}/user/search", user_search))
        if server_major_minor(emu) >= (10, 3):
            routes.append(route("GET", r"/rest/api/{v}/user/list", user_list))
    return routes
