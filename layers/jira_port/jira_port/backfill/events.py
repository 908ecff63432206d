"""Present what the backfill reads exactly as the live webhooks carry it, so one mapping serves both."""

from __future__ import annotations

from typing import Any

from jira_port.mapping.evaluate import SOURCE_HEADER

BACKFILL_SOURCE = "backfill"
BACKFILL_HEADERS: dict[str, str] = {SOURCE_HEADER: BACKFILL_SOURCE}
ISSUE_EVENT = "jira:issue_updated"
PROJECT_EVENT = "project_updated"


def issue_event(issue: dict[str, Any], read_at_ms: int) -> dict[str, Any]:
    """A ``jira:issue_updated`` webhook body for ``issue`` (REST v2 shape), stamped with the read time."""
    return {"webhookEvent": ISSUE_EVENT, "timestamp": read_at_ms, "issue": issue}


def project_event(project: dict[str, Any], read_at_ms: int) -> dict[str, Any]:
    """A ``project_updated`` webhook body for ``project``, stamped with the read time."""
    return {"webhookEvent": PROJECT_EVENT, "timestamp": read_at_ms, "project": project}
