"""Issue search endpoints: Cloud ``/search/jql`` (tokens), Cloud's removed ``/search`` (410), Server
``/search`` (``startAt``/``total`` with the 10,000-result window) and ``approximate-count``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.jql_parse import JQLError
from jira_port_emulators.jira.render import FieldSelection, field_meta, move_histories, select_fields
from jira_port_emulators.jira.search import key_ordered, position, run
from jira_port_emulators.jira.server import ApiError, Request, Route, route

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator
    from jira_port_emulators.jira.model import Issue
    from jira_port_emulators.jira.render import IssueRenderer

UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
REMOVED_LATEST = (
    "The requested API has been removed. Please use the newer, enhanced search-based API instead. "
    "Deprecation details are available at https://developer.atlassian.com/changelog/#CHANGE-2046."
)
_CLOUD_BODY_KEYS = {
    "expand", "fields", "fieldsByKeys", "jql", "maxResults", "nextPageToken", "properties", "reconcileIssues",
}  # fmt: skip
_SERVER_BODY_KEYS = {
    "jql",
    "startAt",
    "maxResults",
    "fields",
    "expand",
    "validateQuery",
    "properties",
    "fieldsByKeys",
}


def _api(req: Request) -> int:
    return 3 if req.match.groupdict().get("v") == "3" else 2


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ApiError(400, "Invalid request payload: 'fields' must be a list of strings.")


def _params(req: Request, allowed: set[str]) -> dict[str, Any]:
    """Search parameters from the query string (GET) or the JSON body (POST, strict like Jira)."""
    if req.method == "GET":
        return {
            "jql": req.arg("jql", "") or "",
            "nextPageToken": req.arg("nextPageToken"),
            "maxResults": req.arg("maxResults"),
            "startAt": req.arg("startAt"),
            "fields": req.args("fields"),
            "expand": ",".join(req.args("expand")),
            "reconcileIssues": req.args("reconcileIssues"),
        }
    body = req.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid request payload. Refer to the REST API documentation and try again.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f'Invalid request payload: unrecognized field "{unknown[0]}".')
    params = dict(body)
    params["fields"] = _as_list(body.get("fields"))
    expand = body.get("expand")
    params["expand"] = ",".join(expand) if isinstance(expand, list) else (expand or "")
    return params


def _int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ApiError(400, f"'{name}' must be an integer.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"'{name}' must be an integer.") from None


def _decorate(result: dict[str, Any], expand: str, selection: FieldSelection, flavour: str) -> None:
    wanted = {e.strip() for e in expand.split(",") if e.strip()}
    meta = field_meta(flavour)
    if "names" in wanted:
        result["names"] = {f: meta[f][0] for f in selection.names if f in meta}
    if "schema" in wanted:
        schema: dict[str, Any] = {}
        for name in selection.names:
            if name not in meta:
                continue
            entry: dict[str, Any] = {"type": meta[name][1]}
            if name.startswith("customfield_"):
                entry.update(custom=name, customId=int(name.removeprefix("customfield_")))
            else:
                entry["system"] = name
            schema[name] = entry
        result["schema"] = schema


def _changelogs(
    renderer: IssueRenderer, expand: str, found: list[Issue], beans: list[dict[str, Any]]
) -> None:
    """``expand=changelog``: each issue bean gets its (move) histories."""
    if "changelog" in {e.strip() for e in expand.split(",")}:
        for issue, bean in zip(found, beans, strict=True):
            bean["changelog"] = move_histories(renderer, issue)


def cloud_page_cap(emu: JiraEmulator, selection: FieldSelection) -> int:
    """Cloud returns fewer issues per page the more fields are requested (5000 for ids only)."""
    if selection.minimal:
        return 5000
    return max(100, emu.cloud_page_budget // max(1, len(selection.names)))


def search_jql(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``GET|POST /rest/api/{2,3}/search/jql``."""
    params = _params(req, _CLOUD_BODY_KEYS)
    jql = str(params.get("jql") or "")
    max_results = _int(params.get("maxResults"), "maxResults", 50)
    if not 1 <= max_results <= 5000:
        raise ApiError(400, "The maxResults parameter must be between 1 and 5000.")
    reconcile = params.get("reconcileIssues") or []
    if not isinstance(reconcile, list) or len(reconcile) > 50:
        raise ApiError(400, "reconcileIssues accepts at most 50 issue ids.")
    token = params.get("nextPageToken")
    selection = select_fields(params["fields"], emu.flavour, "id")
    limit = min(max_results, cloud_page_cap(emu, selection))
    now = emu.now_ms()
    with emu.lock:
        try:
            query = emu.compile(jql, req.account)
            if not query.bounded:
                raise ApiError(400, UNBOUNDED)
            after, offset = emu.tokens.read(token, jql, now) if token else (None, 0)
        except JQLError as exc:
            raise ApiError(400, str(exc)) from None
        by_key = key_ordered(query)
        visible = emu.visible_projects(req.account)
        start, after = (0, after) if by_key else (offset, None)
        matches = run(emu.ds, query, visible, start=start, limit=limit, after=after)
        cut = emu.faults.short_page(len(matches.issues)) if matches.issues else None
        if cut is not None:  # a short (even empty) page that still continues
            matches.offset -= len(matches.issues) - cut
            matches.issues, matches.more = matches.issues[:cut], True
        renderer = emu.renderer(_api(req))
        issues = [renderer.issue(i, selection) for i in matches.issues]
        _changelogs(renderer, str(params.get("expand") or ""), matches.issues, issues)
    result: dict[str, Any] = {"issues": issues}
    if matches.more:
        last = position(emu.ds, matches.issues[-1]) if by_key and matches.issues else after
        result["nextPageToken"] = emu.tokens.issue(jql, last if by_key else None, matches.offset, now)
    result["isLast"] = not matches.more
    _decorate(result, str(params.get("expand") or ""), selection, emu.flavour)
    return 200, result


def approximate_count(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``POST /rest/api/3/search/approximate-count``."""
    body = req.json()
    if not isinstance(body, dict) or set(body) - {"jql"}:
        raise ApiError(400, "Invalid request payload: only 'jql' is accepted.")
    with emu.lock:
        try:
            query = emu.compile(str(body.get("jql") or ""), req.account)
        except JQLError as exc:
            raise ApiError(400, str(exc)) from None
        if not query.bounded:
            raise ApiError(400, UNBOUNDED)
        matches = run(emu.ds, query, emu.visible_projects(req.account), limit=0, count_total=True)
    return 200, {"count": matches.total or 0}


def removed_search(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """Cloud's ``/rest/api/{2,3,latest}/search``: 410 Gone with Jira's verbatim body."""
    message = REMOVED_LATEST if req.match.groupdict().get("v") == "latest" else REMOVED
    raise ApiError(410, message)


def search_server(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """Server/DC ``GET|POST /rest/api/2/search``: offset paging, ``total``, a capped ``maxResults``."""
    params = _params(req, _SERVER_BODY_KEYS)
    start = _int(params.get("startAt"), "startAt", 0)
    requested = _int(params.get("maxResults"), "maxResults", 50)
    if start < 0 or requested < 0:
        raise ApiError(400, "startAt and maxResults must not be negative.")
    limit = min(requested, emu.server_max_results)
    if start + limit > emu.result_window:
        raise ApiError(
            500,
            f"Search limit exceeded. We couldn't complete your search because it requests {start + limit:,} "
            f"results which exceeded the search platform limit of {emu.result_window:,}. Try refining your "
            "query or contact your Jira administrator. Repeating the same search may not work.",
        )
    selection = select_fields(params["fields"], emu.flavour, "*navigable")
    with emu.lock:
        try:
            query = emu.compile(str(params.get("jql") or ""), req.account)
        except JQLError as exc:
            raise ApiError(400, str(exc)) from None
        matches = run(
            emu.ds, query, emu.visible_projects(req.account), start=start, limit=limit, count_total=True
        )
        renderer = emu.renderer(2)
        issues = [renderer.issue(i, selection) for i in matches.issues]
        _changelogs(renderer, str(params.get("expand") or ""), matches.issues, issues)
    result: dict[str, Any] = {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": limit,
        "total": matches.total,
        "issues": issues,
    }
    _decorate(result, str(params.get("expand") or ""), selection, emu.flavour)
    return 200, result


def search_routes(flavour: str) -> list[Route]:
    if flavour == "cloud":
        return [
            route("GET", r"/rest/api/{v}/search/jql", search_jql),
            route("POST", r"/rest/api/{v}/search/jql", search_jql),
            route("POST", r"/rest/api/{v}/search/approximate-count", approximate_count),
            route("GET", r"/rest/api/{v}/search", removed_search),
            route("POST", r"/rest/api/{v}/search", removed_search),
        ]
    return [
        route("GET", r"/rest/api/(?:2|latest)/search", search_server),
        route("POST", r"/rest/api/(?:2|latest)/search", search_server),
    ]
