"""The jq input of one event, Port's ``{body, headers, queryParams}``, and the headers it never holds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Never handed to jq: a mapping expression (or its error message) must not be able to leak them.
#: Header that tells backfill events (``backfill``) from live ones (``webhook``); only jira-port sets it.
SOURCE_HEADER = "x-jira-port-source"
#: Credential headers: never queued, logged or shown to the mapping (the one list; names lower-case).
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-amz-security-token"}
)
_SENSITIVE_PREFIXES = ("x-hub-signature",)  # X-Hub-Signature and its -256 variant


def sensitive_header(name: str) -> bool:
    """Whether the header ``name`` (any case) carries a credential or a signature."""
    key = name.lower()
    return key in SENSITIVE_HEADERS or key.startswith(_SENSITIVE_PREFIXES)


def build_document(
    body: Any, headers: Mapping[str, str] | None, query_params: Mapping[str, str] | None
) -> dict[str, Any]:
    """Port's jq input ``{body, headers, queryParams}``: header names lower-cased, credentials dropped."""
    clean = {k.lower(): v for k, v in (headers or {}).items() if not sensitive_header(k)}
    return {"body": body, "headers": clean, "queryParams": dict(query_params or {})}


def document_text(document: dict[str, Any], raw_body: str | None = None) -> str:
    """Compact JSON for jq (serialised once per event and shared by every rule); with ``raw_body`` (the
    text ``document["body"]`` was parsed from) that text is spliced in instead of serialising the body."""
    if raw_body is None:
        return json.dumps(document, separators=(",", ":"), default=str)
    rest = json.dumps({k: v for k, v in document.items() if k != "body"}, separators=(",", ":"), default=str)
    return '{"body":' + raw_body + "," + rest[1:]


def clean_base_url(value: str | None) -> str | None:
    """``JIRA_BASE_URL`` as the mapping sees it (``$jira_base_url``): no trailing slash, empty is None."""
    if value is None:
        return None
    value = value.strip().rstrip("/")
    return value or None
