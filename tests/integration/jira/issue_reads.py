"""Reading issues back from the local Jira in tests (``GET /issue/{idOrKey}``, every page of a JQL), through
the client's public calls: jira-port itself never reads a single issue."""

from __future__ import annotations

from typing import Any

from jira_port.jira import JiraClient, JiraNotFoundError


def get_issue(client: JiraClient, id_or_key: str) -> dict[str, Any] | None:
    """One issue (REST v2 shape, the client's fields); None when it does not exist or cannot be seen."""
    try:
        issue = client.request(
            "GET", f"/rest/api/2/issue/{id_or_key}", params={"fields": ",".join(client.fields)}
        )
    except JiraNotFoundError:
        return None
    assert isinstance(issue, dict)
    return issue


def all_issues(client: JiraClient, jql: str | None = None, **options: Any) -> list[dict[str, Any]]:
    """Every issue of ``client.iter_issue_pages(jql, **options)``."""
    return [issue for page in client.iter_issue_pages(jql, **options) for issue in page.issues]
