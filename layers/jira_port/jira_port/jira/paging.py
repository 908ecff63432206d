"""Issue paging loops: Cloud enhanced search (``nextPageToken``) and Server/DC keyset paging.

Both are generators holding one page at a time, so memory stays flat whatever the issue count. The
HTTP call is injected (``fetch(body) -> dict``) so the loops are pure and unit-testable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jira_port.jira import jql as jqlmod
from jira_port.jira.errors import JiraAPIError, JiraResponseError
from jira_port.jira.models import IssuePage
from jira_port.observability import logger

Fetch = Callable[[dict[str, Any]], dict[str, Any]]


def parse_cursor(cursor: Mapping[str, Any] | None) -> tuple[str | None, int | None]:
    """Validate a cursor from ``IssuePage.cursor`` and return ``(nextPageToken, afterId)``."""
    if cursor is None:
        return None, None
    if not isinstance(cursor, Mapping):
        raise ValueError("cursor must be a dict produced by IssuePage.cursor")
    token = cursor.get("nextPageToken")
    if token is not None and (not isinstance(token, str) or not token):
        raise ValueError("cursor nextPageToken must be a non-empty string")
    raw_after = cursor.get("afterId")
    after: int | None = None
    if raw_after is not None:
        if (
            isinstance(raw_after, bool)
            or not isinstance(raw_after, int | str)
            or not str(raw_after).isdigit()
        ):
            raise ValueError("cursor afterId must be a non-negative integer")
        after = int(raw_after)
    if token is None and after is None:
        raise ValueError("cursor holds neither nextPageToken nor afterId")
    return token, after


def _issues(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    issues = data.get("issues")
    if issues is None:
        return []
    if not isinstance(issues, list):
        raise JiraResponseError("search response 'issues' is not a list")
    return issues


def _last_id(issues: list[dict[str, Any]], previous: int | None) -> int | None:
    """The keyset bound after a page: its largest id (equal to the last one when ordered by id; never
    smaller, so a page can never be fetched twice)."""
    if not issues:
        return previous
    highest = previous if previous is not None else -1
    for issue in issues:
        raw = issue.get("id")
        try:
            highest = max(highest, int(raw))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise JiraResponseError(f"search returned an issue without a numeric id: {raw!r}") from None
    return highest


def iter_cloud_pages(
    fetch: Fetch,
    where: str,
    *,
    fields: list[str],
    expand: str | None,
    page_size: int,
    cursor: Mapping[str, Any] | None = None,
) -> Iterator[IssuePage]:
    """Page ``POST /rest/api/2/search/jql``: follow ``nextPageToken`` until it is absent, ``isLast``
    is true or a page is empty. A rejected token (expired after 7 days) falls back to ``id > afterId``.

    A token belongs to the JQL that started its chain, so every request of a chain repeats that JQL;
    the cursor remembers it as ``queryAfterId`` when the chain itself started from a keyset clause.
    """
    token, after = parse_cursor(cursor)
    query_after = _cursor_int(cursor, "queryAfterId") if token is not None else after
    while True:
        body: dict[str, Any] = {
            "jql": jqlmod.keyset(where, query_after),
            "maxResults": page_size,
            "fields": fields,
        }
        if token is not None:
            body["nextPageToken"] = token
        if expand:
            body["expand"] = expand
        try:
            data = fetch(body)
        except JiraAPIError as exc:
            if token is None or after is None or exc.status != 400:
                raise
            logger.warning(
                "Jira rejected the page token; resuming by issue id",
                extra={"after_id": after, "jira_errors": exc.error_messages},
            )
            token, query_after = None, after
            continue
        issues = _issues(data)
        after = _last_id(issues, after)
        next_token = data.get("nextPageToken")
        last = not issues or data.get("isLast") is True or not isinstance(next_token, str) or not next_token
        next_cursor: dict[str, Any] | None = None
        if not last:
            next_cursor = {"nextPageToken": next_token, "afterId": after}
            if query_after is not None:
                next_cursor["queryAfterId"] = query_after
        yield IssuePage(issues, next_cursor)
        if last:
            return
        token = next_token


def _cursor_int(cursor: Mapping[str, Any] | None, name: str) -> int | None:
    raw = cursor.get(name) if cursor is not None else None
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise ValueError(f"cursor {name} must be a non-negative integer")
    return int(raw)


def iter_server_pages(
    fetch: Fetch,
    where: str,
    *,
    fields: list[str],
    expand: str | None,
    page_size: int,
    cursor: Mapping[str, Any] | None = None,
) -> Iterator[IssuePage]:
    """Page ``POST /rest/api/2/search`` by keyset: ``(<where>) AND id > <last> ORDER BY id ASC`` with
    ``startAt=0``, so no request ever reaches Data Center's 10,000-result window. A page the server
    truncated below ``maxResults`` simply continues from its last id."""
    _, after = parse_cursor(cursor)
    expand_list = [e.strip() for e in expand.split(",") if e.strip()] if expand else None
    while True:
        body: dict[str, Any] = {
            "jql": jqlmod.keyset(where, after),
            "startAt": 0,
            "maxResults": page_size,
            "fields": fields,
        }
        if expand_list:
            body["expand"] = expand_list
        data = fetch(body)
        issues = _issues(data)
        after = _last_id(issues, after)
        total = data.get("total")
        if not issues:
            last = True
        elif isinstance(total, int) and not isinstance(total, bool):
            last = len(issues) >= total  # total counts what is left after the keyset clause
        else:
            last = False  # no total: a capped page looks short, so only an empty page ends the loop
        yield IssuePage(issues, None if last else {"afterId": after})
        if last:
            return
