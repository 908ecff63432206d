"""doctor's webhook-scope check: each jira-port webhook in Jira filters issue events with ``JIRA_JQL``.

``JIRA_JQL`` is the one scope: the backfill reads it and ``jira-port register-webhook`` files it as the
webhook's issue filter. A registered webhook whose filter differs sends events for another scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from jira_port.jira import JiraClient
    from jira_port_tools.doctor_report import Report


def is_ours(hook: dict[str, object]) -> bool:
    """A webhook jira-port registered: its default name, or the stack's ``/webhook`` route."""
    path = urlsplit(str(hook.get("url") or "")).path.rstrip("/")
    return (
        str(hook.get("name") or "").startswith("jira-port")
        or path.endswith("/webhook")
        or "/webhook/" in path
    )


def _same_jql(left: str, right: str) -> bool:
    return " ".join(left.split()) == " ".join(right.split())


def check_scope(report: Report, jira: JiraClient) -> None:
    """Add one line per jira-port webhook: ok when its filter is the configured scope, else a warning."""
    from jira_port.jira.errors import JiraPermissionError
    from jira_port.jira.jql import split_order_by
    from jira_port_tools.jira_webhooks import list_webhooks, webhook_jql

    scope, _ = split_order_by(jira.jql)
    shown = scope or "(none: every issue)"
    report.begin("webhook scope")
    try:
        listed = list_webhooks(jira)
    except JiraPermissionError:
        report.add("webhook scope", "skip", "listing webhooks needs the Administer Jira permission")
        return
    hooks = [h for h in listed if is_ours(h)]
    if not hooks:
        report.add(
            "webhook scope",
            "warn",
            "no jira-port webhook is registered in Jira",
            "run `jira-port register-webhook --url <WebhookUrl output>`",
        )
        return
    for hook in hooks:
        registered = webhook_jql(hook)
        if _same_jql(registered, scope):
            report.add("webhook scope", "ok", f"{hook.get('url')} filters with JIRA_JQL {shown}")
        else:
            report.add(
                "webhook scope",
                "warn",
                f"{hook.get('url')} filters issue events with {registered or '(no filter)'!r}, but the "
                f"configured scope (JIRA_JQL, also the backfill's) is {shown!r}",
                f"run `jira-port register-webhook --url {hook.get('url')}` to apply the configured scope",
            )
