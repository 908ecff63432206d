"""SQS FIFO ids for a delivery: the message group (one per Jira entity) and the deduplication id.

The group keeps every event of one entity in order and lets different entities proceed in parallel.
Issues are grouped by the immutable issue id (keys change when an issue moves between projects), so
comments and worklogs of an issue share its group. The deduplication id is Jira's
``X-Atlassian-Webhook-Identifier`` (the same across Jira's retries), else a SHA-256 of the body (Data
Center sends no identifier). SQS only dedupes within 5 minutes while Jira retries 5-15 minutes apart, so
the sync side is idempotent on its own (the version guard); the FIFO dedupe just saves work.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

IDENTIFIER_HEADER = "x-atlassian-webhook-identifier"
_MAX_ID_LENGTH = 128
# SQS: "alphanumeric characters and punctuation", i.e. printable ASCII without space.
_SQS_ID = re.compile(r"^[!-~]+$")
_COMMENT_ISSUE = re.compile(r"/issue/(\d+)/comment/")
# Containers of other entity kinds, with the fields that identify them (first present wins).
_CONTAINERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("version", ("id",)),
    ("sprint", ("id",)),
    ("board", ("id",)),
    ("user", ("accountId", "key", "name")),
    ("issueLink", ("id",)),
    ("attachment", ("id",)),
    ("filter", ("id",)),
    ("issueType", ("id",)),
)


def message_group_id(body: Mapping[str, Any]) -> str:
    """``issue:<id>``, ``project:<id>``, ``<kind>:<id>`` or ``event:<webhookEvent>`` for a webhook body."""
    issue = _identity(body.get("issue"), ("id", "key"))
    if issue is not None:
        return sqs_id("issue", issue)
    project = _identity(body.get("project"), ("id", "key"))
    if project is not None:
        return sqs_id("project", project)
    comment = body.get("comment")
    if isinstance(comment, Mapping):
        # Server's comment_created may carry only the comment; its self link names the issue.
        match = _COMMENT_ISSUE.search(str(comment.get("self", "")))
        if match:
            return sqs_id("issue", match.group(1))
    worklog = body.get("worklog")
    if isinstance(worklog, Mapping) and worklog.get("issueId") not in (None, ""):
        return sqs_id("issue", str(worklog["issueId"]))
    for container, fields in _CONTAINERS:
        ident = _identity(body.get(container), fields)
        if ident is not None:
            return sqs_id(container, ident)
    event = body.get("webhookEvent")
    return sqs_id("event", event if isinstance(event, str) and event else "unknown")


def deduplication_id(headers: Mapping[str, str], raw_body: bytes) -> str:
    """Jira's delivery identifier (case-insensitive header lookup), else the body's SHA-256."""
    for name, value in headers.items():
        if name.lower() == IDENTIFIER_HEADER and value.strip():
            return sqs_id("", value.strip())
    return hashlib.sha256(raw_body).hexdigest()


def sqs_id(prefix: str, value: str) -> str:
    """``prefix:value`` when it is a valid SQS id (printable ASCII, at most 128), else a hashed form."""
    candidate = f"{prefix}:{value}" if prefix else value
    if len(candidate) <= _MAX_ID_LENGTH and _SQS_ID.match(candidate):
        return candidate
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return f"{prefix}#{digest}" if prefix else digest


def _identity(container: object, fields: tuple[str, ...]) -> str | None:
    if not isinstance(container, Mapping):
        return None
    for name in fields:
        value = container.get(name)
        if value not in (None, "") and not isinstance(value, (dict, list, bool)):
            return str(value)
    return None
