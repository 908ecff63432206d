"""Validate JQL with Jira's own parser: Cloud's ``jql/parse``, Data Center's ``validateQuery`` search.

See docs/jira-behaviour.md, "JQL validation".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jira_port.jira import JiraClient


def validate_jql(client: JiraClient, jql: str) -> tuple[list[str], list[str]]:
    """Jira's errors and warnings for ``jql`` (both empty: valid). Other API failures propagate."""
    from jira_port.jira.errors import JiraAPIError

    if client.deployment == "cloud":
        answer: Any = client.request(
            "POST", "/rest/api/3/jql/parse", params={"validation": "strict"}, json={"queries": [jql]}
        )
        parsed = (answer.get("queries") or [{}])[0] if isinstance(answer, dict) else {}
        return [str(e) for e in parsed.get("errors", [])], [str(w) for w in parsed.get("warnings", [])]
    try:
        client.request(
            "POST", "/rest/api/2/search", json={"jql": jql, "maxResults": 0, "validateQuery": True}
        )
    except JiraAPIError as exc:
        if exc.status == 400:
            return exc.all_messages or [str(exc)], []
        raise
    return [], []
