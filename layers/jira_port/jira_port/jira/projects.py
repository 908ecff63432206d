"""The visible projects, a scope spanning projects paged one project at a time, and which Jira errors mean
"this project cannot be read".

A project the credentials cannot read (403/404 on its query, or Jira's "The value 'X' does not exist for
the field 'project'") is skipped with a warning; the other projects go on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from jira_port.jira import jql as jqlmod
from jira_port.jira.errors import JiraAPIError, JiraNotFoundError, JiraResponseError
from jira_port.jira.models import IssuePage
from jira_port.observability import logger

if TYPE_CHECKING:
    from jira_port.jira.client import JiraClient

# What Jira says about a project the caller cannot browse (it pretends the project does not exist).
_ACCESS_MESSAGES = (
    re.compile(r"does not exist for the field 'project'", re.IGNORECASE),
    re.compile(r"no project could be found", re.IGNORECASE),
)
CLOUD_PROJECT_PAGE = 100  # /project/search caps maxResults at 100
# ``insight`` carries ``totalIssueCount``: the backfill's planning needs no count query for most projects.
CLOUD_PROJECT_EXPAND = "description,lead,url,insight"
SERVER_PROJECT_EXPAND = "description,lead,url"


def iter_projects(client: JiraClient) -> Iterator[dict[str, Any]]:
    """Every project the user can see (REST v2 shape; Cloud pages ``/project/search``).

    While the deployment is still unknown, Cloud's first project page is asked for together with the
    detection (``serverInfo``), so on Cloud the listing does not wait for it; Server/DC drops that answer.
    """
    first: Future[dict[str, Any] | None] | None = None
    if not client.deployment_known:
        with ThreadPoolExecutor(1, thread_name_prefix="jira-projects") as pool:
            first = pool.submit(_cloud_project_page, client, 0)
            if client.deployment != "cloud":
                first.cancel()  # Server/DC: its answer (or error) is dropped
                first = None
    if client.deployment == "server":
        data = client.request("GET", "/rest/api/2/project", params={"expand": SERVER_PROJECT_EXPAND})
        if not isinstance(data, list):
            raise JiraResponseError("GET /rest/api/2/project did not return a list")
        yield from data
        return
    start = 0
    while True:
        page = first.result() if first is not None else _cloud_project_page(client, start)
        first = None
        if page is None:
            return  # "no projects matching the search criteria"
        values = page.get("values") or []
        yield from values
        total = page.get("total")
        start += len(values)
        if not values or page.get("isLast") is True or (isinstance(total, int) and start >= total):
            return


def _cloud_project_page(client: JiraClient, start: int) -> dict[str, Any] | None:
    """One page of ``/project/search`` (None: Jira's 404 for "no projects match")."""
    params = {"startAt": start, "maxResults": CLOUD_PROJECT_PAGE, "expand": CLOUD_PROJECT_EXPAND}
    try:
        page = client.request("GET", "/rest/api/2/project/search", params=params)
    except JiraNotFoundError:
        return None
    if not isinstance(page, dict):
        raise JiraResponseError("Jira projects response is not a JSON object")
    return page


def insight_issue_count(project: Mapping[str, Any]) -> int | None:
    """``insight.totalIssueCount`` of a Cloud project listed by ``iter_projects`` (every issue of the
    project, so at least as many as any JQL scope inside it matches), or None when absent."""
    insight = project.get("insight")
    count = insight.get("totalIssueCount") if isinstance(insight, Mapping) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def project_access_reason(exc: JiraAPIError) -> str | None:
    """Why ``exc`` means "this project cannot be read" (None when it means something else)."""
    detail = "; ".join(exc.all_messages) or "no details"
    if exc.status in (403, 404):
        return f"HTTP {exc.status}: {detail}"
    if exc.status == 400 and any(p.search(m) for m in exc.all_messages for p in _ACCESS_MESSAGES):
        return detail
    return None


def iter_scope_pages(
    client: JiraClient, where: str, options: dict[str, Any], cursor: Mapping[str, Any] | None
) -> Iterator[IssuePage]:
    """A scope spanning projects, one visible project at a time (key anchors only mean something inside
    one project); the cursor is ``{"project": <id>, "chain": <that project's cursor>}``."""
    ids = sorted(int(p["id"]) for p in client.iter_projects() if str(p.get("id", "")).isdigit())
    start = int(cursor["project"]) if cursor is not None and "project" in cursor else None
    for n, pid in enumerate(ids):
        if start is not None and pid < start:
            continue
        chain = cursor.get("chain") if cursor is not None and pid == start else None
        following = {"project": str(ids[n + 1]), "chain": None} if n + 1 < len(ids) else None
        try:
            for page in client.project_pages(jqlmod.project_partition(pid, where), options, chain):
                cursor_out = {"project": str(pid), "chain": page.cursor} if page.cursor else following
                yield IssuePage(page.issues, cursor_out, page.raw, page.raw_skip)
        except JiraAPIError as exc:
            if project_access_reason(exc) is None:
                raise
            logger.warning("Jira project skipped: the credentials cannot read it", extra={"project_id": pid})
            yield IssuePage([], following)
