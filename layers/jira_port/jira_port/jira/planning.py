"""Cheap searches that plan a backfill: how many issues a scope holds, which projects an incremental
scope touches, and ``created`` windows that cut one huge project into partitions paged in parallel.

``created`` never changes, not even when an issue moves, so windows on it split a project into disjoint
slices whatever happens during the run; adjacent windows share one literal boundary
(``created < B`` / ``created >= B``), so they cover the project exactly in whatever zone Jira reads B.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jira_port.jira.errors import JiraResponseError

if TYPE_CHECKING:
    from jira_port.jira.client import JiraClient

# Boundaries this far apart stay in order even where a daylight-saving shift makes a wall-clock time
# ambiguous in the account's zone.
MIN_WINDOW = timedelta(hours=2)
PROBE_SIZE = 1000


def issue_count(client: JiraClient, where: str) -> int:
    """Issues matching ``where``: ``total`` of a zero-size page (DC), ``approximate-count`` (Cloud)."""
    if client.deployment == "cloud":
        data = client.request("POST", "/rest/api/2/search/approximate-count", json={"jql": where})
        count = data.get("count") if isinstance(data, dict) else None
    else:
        body = {"jql": where, "startAt": 0, "maxResults": 0, "fields": ["id"]}
        data = client.request("POST", "/rest/api/2/search", json=body)
        count = data.get("total") if isinstance(data, dict) else None
    if not isinstance(count, int) or isinstance(count, bool):
        raise JiraResponseError("Jira did not return an issue count")
    return count


def changed_projects(client: JiraClient, where: str, limit: int = PROBE_SIZE) -> set[str] | None:
    """Ids of the projects holding the issues of ``where`` when one page of ``limit`` holds them all
    (an incremental run's usual case), else None (the caller must then visit every project)."""
    body: dict[str, Any] = {"jql": where, "maxResults": limit, "fields": ["project"]}
    if client.deployment == "cloud":
        data = client.request("POST", "/rest/api/2/search/jql", json=body)
        token = data.get("nextPageToken") if isinstance(data, dict) else None
        complete = isinstance(data, dict) and (data.get("isLast") is True or not token)
    else:
        data = client.request("POST", "/rest/api/2/search", json={**body, "startAt": 0})
        issues = data.get("issues") if isinstance(data, dict) else None
        total = data.get("total") if isinstance(data, dict) else None
        complete = isinstance(issues, list) and isinstance(total, int) and total <= len(issues)
    if not complete:
        return None
    found: set[str] = set()
    for issue in data.get("issues") or []:
        project = (issue.get("fields") or {}).get("project") or {}
        if project.get("id") is None:
            return None
        found.add(str(project["id"]))
    return found


def _created_edge(client: JiraClient, where: str, direction: str) -> datetime | None:
    order = f"{where} ORDER BY created {direction}"
    if client.deployment == "cloud":
        data = client.request(
            "POST", "/rest/api/2/search/jql", json={"jql": order, "maxResults": 1, "fields": ["created"]}
        )
    else:
        body = {"jql": order, "startAt": 0, "maxResults": 1, "fields": ["created"]}
        data = client.request("POST", "/rest/api/2/search", json=body)
    issues = data.get("issues") if isinstance(data, dict) else None
    if not issues:
        return None
    raw = (issues[0].get("fields") or {}).get("created")
    try:
        return datetime.fromisoformat(str(raw)).astimezone(UTC)
    except ValueError:
        raise JiraResponseError(f"Jira returned an unreadable created date: {raw!r}") from None


def created_windows(client: JiraClient, where: str, parts: int) -> list[str]:
    """Up to ``parts`` JQL clauses splitting ``where`` by ``created`` into equal time spans (the first
    and last open-ended); ``[]`` when the scope is empty or too short to split."""
    first = _created_edge(client, where, "ASC")
    last = _created_edge(client, where, "DESC")
    if first is None or last is None or parts < 2:
        return []
    step = max((last - first) / parts, MIN_WINDOW)
    bounds: list[str] = []
    for n in range(1, parts):
        edge = first + step * n
        if edge >= last:
            break
        text = edge.strftime("%Y-%m-%d %H:%M")
        if not bounds or text != bounds[-1]:
            bounds.append(text)
    if not bounds:
        return []
    windows = [f'created < "{bounds[0]}"']
    windows += [f'created >= "{a}" AND created < "{b}"' for a, b in itertools.pairwise(bounds)]
    windows.append(f'created >= "{bounds[-1]}"')
    return windows
