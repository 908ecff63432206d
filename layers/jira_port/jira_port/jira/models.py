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
    One project's cursor is ``{"anchors": [issue keys, newest first]}``, plus ``nextPageToken`` and
    ``chainAnchor`` on Cloud (a rejected or expired token falls back to the anchors); a scope spanning
    projects wraps it as ``{"project": <id>, "chain": <cursor or None>}``.
    """

    issues: list[dict[str, Any]]
    cursor: dict[str, Any] | None
    #: The search response's body as received, when the page came straight from one: its ``issues``
    #: array holds ``raw_skip`` leading issues (a paging sentinel) before ``issues``. The backfill hands
    #: these bytes to jq as they are instead of re-encoding every issue.
    raw: bytes | None = None
    raw_skip: int = 0


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """A search response: the decoded JSON and the body bytes it was decoded from."""

    data: dict[str, Any]
    raw: bytes
