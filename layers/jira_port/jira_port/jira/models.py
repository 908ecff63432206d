"""Plain result types of the Jira client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Deployment = Literal["cloud", "server"]


@dataclass(frozen=True, slots=True)
class IssuePage:
    """One page of issues (REST v2 shape, like webhook bodies).

    ``cursor`` is JSON-safe state that resumes *after* this page: pass it back as
    ``iter_issue_pages(..., cursor=page.cursor)``. ``None`` means this was the last page.
    Cloud cursors are ``{"nextPageToken": str, "afterId": int}``, Server/DC cursors ``{"afterId": int}``;
    either kind resumes on either deployment (a rejected or expired token falls back to ``afterId``).
    """

    issues: list[dict[str, Any]]
    cursor: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class WebhookRegistration:
    """The outcome of ``register_webhook``: ``created`` is False when an existing one was updated."""

    id: str
    url: str
    created: bool
    signed: bool
    api: str = "/rest/webhooks/1.0/webhook"


@dataclass(frozen=True, slots=True)
class Partition:
    """One project's slice of the sync scope; ``jql`` is a restriction without ORDER BY."""

    project_id: str
    project_key: str
    jql: str


@dataclass(frozen=True, slots=True)
class PartitionPage:
    """A page produced while paging several partitions concurrently."""

    partition: Partition
    page: IssuePage


@dataclass(frozen=True, slots=True)
class PartitionSkipped:
    """A partition whose project the credentials cannot read; the others carry on."""

    partition: Partition
    reason: str
    status: int
