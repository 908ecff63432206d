"""Reading users, boards, sprints, versions and components from Jira, and their webhook bodies.

The readers page over the client's one HTTP stack (``JiraClient.request``: retries, 429 handling,
credentials). Each yields lists of items in Jira's REST shape; ``kind_event`` wraps one item as the webhook
body of its kind, so the backfill and the live path feed the same mapping. Behaviours they rely on (plain
user arrays that end on an empty page, Data Center 10's 100-user window, sprint pages without ``total``,
kanban boards refusing sprints, sites without Jira Software) are in docs/jira-behaviour.md.

```python
if agile_available(client):
    for boards in iter_board_pages(client):
        for board in boards:
            for sprints in iter_sprint_pages(client, board): ...
events = [kind_event("user", u, read_at_ms) for page in iter_user_pages(client) for u in page]
```
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from jira_port.jira.errors import JiraAPIError, JiraNotFoundError, JiraResponseError
from jira_port.observability import logger

if TYPE_CHECKING:
    from jira_port.jira.client import JiraClient

Kind = Literal["user", "board", "sprint", "version", "component"]
KINDS: tuple[Kind, ...] = ("user", "board", "sprint", "version", "component")
AGILE_KINDS: frozenset[Kind] = frozenset({"board", "sprint"})
#: The event each backfilled item is presented as (the live path receives the same names).
UPDATED_EVENTS: dict[Kind, str] = {
    "user": "user_updated",
    "board": "board_updated",
    "sprint": "sprint_updated",
    "version": "jira:version_updated",
    "component": "component_updated",
}
USER_PAGE = 1000  # Cloud /users/search and DC 9 /user/search allow 1000; DC 10 /user/list more
AGILE_PAGE = 50  # the agile API's page cap
DC10_USER_WINDOW = 100  # Data Center 10 user/search answers only the first 100 matches
AGILE_PATH = "/rest/agile/1.0"


def kind_event(kind: Kind, item: Mapping[str, Any], read_at_ms: int) -> dict[str, Any]:
    """The webhook body of ``item``: ``{webhookEvent: <kind's updated event>, timestamp, <kind>: item}``."""
    return {"webhookEvent": UPDATED_EVENTS[kind], "timestamp": read_at_ms, kind: dict(item)}


#: One full item per kind (every field set, Jira's types) to ask a mapping whether it maps the kind.
SAMPLE_ITEMS: dict[Kind, dict[str, Any]] = {
    "user": {"self": "https://example.atlassian.net/rest/api/2/user?accountId=5b10a2844c20165700ede21g",
             "accountId": "5b10a2844c20165700ede21g", "name": "ada", "key": "JIRAUSER10000",
             "accountType": "atlassian", "displayName": "Ada", "emailAddress": "ada@example.com",
             "active": True, "timeZone": "UTC", "avatarUrls": {"48x48": "https://example.com/a.png"}},
    "board": {"id": 1, "self": "https://example.atlassian.net/rest/agile/1.0/board/1", "name": "Board",
              "type": "scrum", "location": {"projectId": 10000, "projectKey": "PLAT",
                                            "projectName": "Platform", "displayName": "Platform (PLAT)",
                                            "projectTypeKey": "software"}},
    "sprint": {"id": 1, "self": "https://example.atlassian.net/rest/agile/1.0/sprint/1", "state": "active",
               "name": "Sprint 1", "startDate": "2026-01-01T00:00:00.000Z",
               "endDate": "2026-01-15T00:00:00.000Z",
               "completeDate": "2026-01-15T00:00:00.000Z", "createdDate": "2025-12-29T00:00:00.000Z",
               "originBoardId": 1, "goal": "Ship"},
    "version": {"self": "https://example.atlassian.net/rest/api/2/version/10000", "id": "10000",
                "name": "1.0", "description": "First", "archived": False, "released": True,
                "releaseDate": "2026-01-15", "startDate": "2026-01-01", "projectId": 10000},
    "component": {"self": "https://example.atlassian.net/rest/api/2/component/10000", "id": "10000",
                  "name": "API", "description": "The API", "project": "PLAT", "projectId": 10000,
                  "assigneeType": "PROJECT_DEFAULT", "lead": {"accountId": "5b10a2844c20165700ede21g",
                                                              "name": "ada", "key": "JIRAUSER10000"}},
}  # fmt: skip


def mapped_kinds(relevant: Callable[[dict[str, Any]], bool]) -> frozenset[Kind]:
    """The kinds a mapping has rules for: those whose sample body (``kind_event`` of ``SAMPLE_ITEMS``)
    some rule's filter accepts. ``relevant`` is ``CompiledMapping.relevant``, which fails open."""
    return frozenset(k for k in KINDS if relevant(kind_event(k, SAMPLE_ITEMS[k], 0)))


def kind_identifier(kind: Kind, item: Mapping[str, Any]) -> str:
    """The item's Jira identity as a string: ``accountId`` (Cloud) or ``key`` (Data Center) for users,
    ``id`` for the others (numbers for boards and sprints, strings for versions and components)."""
    value = (item.get("accountId") or item.get("key")) if kind == "user" else item.get("id")
    if value is None or value == "":
        raise JiraResponseError(f"a Jira {kind} without an identifier")
    return str(value)


# -- paging shapes -------------------------------------------------------------------------------


def _array_pages(client: JiraClient, path: str, params: Mapping[str, Any], size: int) -> Iterator[list[Any]]:
    """Offset pages of a plain JSON array: only an empty page ends it (pages may come back short)."""
    start = 0
    while True:
        page = client.request("GET", path, params={**params, "startAt": start, "maxResults": size})
        if not isinstance(page, list):
            raise JiraResponseError(f"GET {path} did not return a JSON array")
        if not page:
            return
        yield page
        start += len(page)


def _value_pages(client: JiraClient, path: str, params: Mapping[str, Any], size: int) -> Iterator[list[Any]]:
    """Offset pages of ``{values, isLast}``: ``isLast`` or an empty page ends it (``total`` may be absent)."""
    start = 0
    while True:
        page = client.request("GET", path, params={**params, "startAt": start, "maxResults": size})
        values = page.get("values") if isinstance(page, dict) else None
        if not isinstance(values, list):
            raise JiraResponseError(f"GET {path} did not return a page of values")
        if values:
            yield values
        if not values or page.get("isLast") is True:
            return
        start += len(values)


# -- users ---------------------------------------------------------------------------------------


def iter_user_pages(client: JiraClient) -> Iterator[list[dict[str, Any]]]:
    """Every user: Cloud ``/users/search`` (app and inactive accounts included); Data Center 10.3+
    ``/user/list`` (a cursor stream), else ``/user/search?username=.`` with inactive users included."""
    if client.deployment == "cloud":
        yield from _array_pages(client, "/rest/api/3/users/search", {}, USER_PAGE)
        return
    try:
        yield from _user_list(client)
        return
    except JiraNotFoundError:
        pass  # before Data Center 10.3
    params = {"username": ".", "includeActive": "true", "includeInactive": "true"}
    read = 0
    for page in _array_pages(client, "/rest/api/2/user/search", params, USER_PAGE):
        read += len(page)
        yield page
    if read == DC10_USER_WINDOW:
        logger.warning(
            "Jira user search stopped at 100 users: Data Center 10.0-10.2 answers only the first 100 "
            "matches and has no /user/list (10.3+); users past the first 100 are not read",
            extra={"users": read},
        )


def _user_list(client: JiraClient) -> Iterator[list[dict[str, Any]]]:
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"maxResults": USER_PAGE}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.request("GET", "/rest/api/2/user/list", params=params)
        values = page.get("values") if isinstance(page, dict) else None
        if not isinstance(values, list):
            raise JiraResponseError("GET /rest/api/2/user/list did not return a page of values")
        fresh = [u for u in values if kind_identifier("user", u) not in seen]
        seen.update(kind_identifier("user", u) for u in fresh)
        if fresh:
            yield fresh
        cursor = page.get("nextCursor")
        if page.get("isLast") is not False or not cursor or not values:
            return


# -- agile ---------------------------------------------------------------------------------------


def agile_available(client: JiraClient) -> bool:
    """Whether the site has Jira Software: without it every ``/rest/agile`` path answers 404, and boards and
    sprints are skipped with a warning (their Port entities are then left as they are)."""
    try:
        client.request("GET", f"{AGILE_PATH}/board", params={"maxResults": 1})
    except JiraNotFoundError:
        logger.warning("Jira has no agile API (Jira Software absent): boards and sprints are skipped")
        return False
    return True


def iter_board_pages(client: JiraClient) -> Iterator[list[dict[str, Any]]]:
    """Every board the account can see, 50 a page."""
    yield from _value_pages(client, f"{AGILE_PATH}/board", {}, AGILE_PAGE)


def has_sprints(board: Mapping[str, Any]) -> bool:
    """Kanban boards have no sprints (Jira answers 400); scrum and team-managed ("simple") boards may."""
    return board.get("type") != "kanban"


def iter_sprint_pages(client: JiraClient, board: Mapping[str, Any]) -> Iterator[list[dict[str, Any]]]:
    """Every sprint of ``board`` in every state. A board that refuses sprints (400) or is gone (404) gives
    none. A sprint can show on several boards: callers keep one per ``id``."""
    if not has_sprints(board):
        return
    path = f"{AGILE_PATH}/board/{board['id']}/sprint"
    try:
        yield from _value_pages(client, path, {"state": "future,active,closed"}, AGILE_PAGE)
    except JiraNotFoundError:
        logger.warning("Jira board vanished while its sprints were read", extra={"board": board.get("id")})
    except JiraAPIError as exc:
        if exc.status != 400:
            raise
        logger.info("Jira board has no sprints", extra={"board": board.get("id"), "reason": str(exc)})


# -- versions and components ----------------------------------------------------------------------


def project_versions(client: JiraClient, project_key: str) -> list[dict[str, Any]]:
    """A project's versions, one request (``/project/{key}/versions``, both flavours); [] if it is gone."""
    return _project_array(client, f"/rest/api/2/project/{project_key}/versions")


def project_components(client: JiraClient, project_key: str) -> list[dict[str, Any]]:
    """A project's components, one request (``/project/{key}/components``, both flavours)."""
    return _project_array(client, f"/rest/api/2/project/{project_key}/components")


def _project_array(client: JiraClient, path: str) -> list[dict[str, Any]]:
    try:
        data = client.request("GET", path)
    except JiraNotFoundError:
        logger.warning("Jira project vanished while it was read", extra={"path": path})
        return []
    if not isinstance(data, list):
        raise JiraResponseError(f"GET {path} did not return a JSON array")
    return data
