"""Build signed API Gateway HTTP API events for webhook bodies (tests only)."""

from __future__ import annotations

import base64
import json
from typing import Any

from jira_port.live.auth import compute_signature
from jira_port_tools.serve.lambda_events import http_api_event

TEST_SECRET = "jira-port-local-test-secret"


def raw_of(body: dict[str, Any] | bytes) -> bytes:
    """Compact JSON bytes as Jira sends them."""
    return body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()


def webhook_event(
    body: dict[str, Any] | bytes,
    *,
    identifier: str | None = None,
    secret: str | None = TEST_SECRET,
    signature: str | None = None,
    token: str | None = None,
    query: str = "",
    base64_body: bool = False,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API v2 event for ``POST /webhook`` (or ``/webhook/{token}``), signed with ``secret``."""
    raw = raw_of(body)
    pairs = [
        ("content-type", "application/json; charset=utf-8"),
        ("user-agent", "Atlassian Webhook HTTP Client"),
    ]
    if identifier is not None:
        pairs.append(("x-atlassian-webhook-identifier", identifier))
    if signature is not None:
        pairs.append(("x-hub-signature", signature))
    elif secret is not None:
        pairs.append(("x-hub-signature", compute_signature(secret, raw)))
    pairs.extend((headers or {}).items())
    event = http_api_event(
        method="POST",
        path=f"/webhook/{token}" if token else "/webhook",
        query_string=query,
        headers=pairs,
        body=raw,
        route_key="POST /webhook/{token}" if token else "POST /webhook",
        path_parameters={"token": token} if token else None,
    )
    if base64_body:
        event["body"] = base64.b64encode(raw).decode()
        event["isBase64Encoded"] = True
    return event
