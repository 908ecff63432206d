"""The webhook function's core: check, filter and enqueue one delivery, and choose the HTTP answer.

Answers follow Jira's retry rules: 2xx for stored and deliberately ignored events, 401 for a bad
signature, 400/413 for bodies that can never succeed (Jira does not retry other 4xx), and 5xx whenever
the delivery could not be stored (Jira retries 5xx), so a 2xx always means "durably queued or
deliberately dropped".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jira_port.live.auth import WebhookAuthenticator
from jira_port.live.body import BodyError, body_text, parse_body
from jira_port.live.enqueue import EnqueueError, Enqueuer
from jira_port.live.envelope import LIVE_SOURCE, SOURCE_HEADER, TOKEN_PARAM, Envelope, mapping_headers
from jira_port.live.grouping import IDENTIFIER_HEADER, deduplication_id, message_group_id
from jira_port.live.protocols import EventMapping
from jira_port.live.signature import SIGNATURE_HEADER
from jira_port.observability import MetricUnit, logger, metrics, tracer
from jira_port.settings.live import LiveSettings


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    """Status code and JSON body of the answer to Jira."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (``name`` lower-case)."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


class WebhookReceiver:
    """Verifies, filters and enqueues deliveries. One instance per warm container."""

    def __init__(
        self,
        settings: LiveSettings,
        *,
        authenticator: WebhookAuthenticator,
        mapping: EventMapping,
        enqueuer: Enqueuer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._auth = authenticator
        self._mapping = mapping
        self._enqueuer = enqueuer
        self._clock = clock

    def close(self) -> None:
        """Release the AWS clients the enqueuer holds."""
        self._enqueuer.close()

    @tracer.capture_method(capture_response=False)
    def receive(
        self,
        raw: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        *,
        path_token: str | None = None,
        request_id: str,
    ) -> WebhookResponse:
        """Handle one delivery and return the answer for Jira."""
        received_ms = int(self._clock() * 1000)
        metrics.add_metric(name="WebhookReceived", unit=MetricUnit.Count, value=1)
        if len(raw) > self._settings.max_body_bytes:
            metrics.add_metric(name="WebhookRejectedOversize", unit=MetricUnit.Count, value=1)
            logger.warning("delivery rejected: body too large", extra={"bytes": len(raw)})
            return WebhookResponse(413, {"message": "body too large"})

        token = path_token if path_token is not None else query.get(TOKEN_PARAM)
        verdict = self._auth.authenticate(raw, header(headers, SIGNATURE_HEADER), token)
        if not verdict.accepted:
            metrics.add_metric(name="WebhookRejectedSignature", unit=MetricUnit.Count, value=1)
            logger.warning("delivery rejected", extra={"reason": verdict.reason, "method": verdict.method})
            return WebhookResponse(401, {"message": verdict.reason or "unauthorized"})

        try:
            body = parse_body(raw)
        except BodyError as exc:
            metrics.add_metric(name="WebhookRejectedMalformed", unit=MetricUnit.Count, value=1)
            logger.warning("delivery rejected: malformed body", extra={"bytes": len(raw), "reason": str(exc)})
            return WebhookResponse(400, {"message": str(exc)})

        event = body.get("webhookEvent")
        mapped_headers = mapping_headers(headers)
        if not self._mapping.relevant(
            body,
            mapped_headers,
            dict(query),
            jira_base_url=self._settings.jira_base_url,
            raw_body=body_text(raw),
        ):
            metrics.add_metric(name="WebhookDroppedIrrelevant", unit=MetricUnit.Count, value=1)
            logger.info("delivery ignored: no mapping rule selects it", extra={"webhook_event": event})
            return WebhookResponse(202, {"status": "ignored"})

        envelope = Envelope.for_body(
            raw,
            dedupe_id=deduplication_id(headers, raw),
            group_id=message_group_id(body),
            received_at_ms=received_ms,
            headers=headers,
            query=query,
        )
        try:
            result = self._enqueuer.enqueue(envelope, request_id=request_id)
        except EnqueueError as exc:
            metrics.add_metric(name="WebhookEnqueueFailed", unit=MetricUnit.Count, value=1)
            logger.error("delivery not stored; Jira will retry", extra={"error": str(exc)})
            return WebhookResponse(503, {"message": "temporarily unable to store the delivery"})
        metrics.add_metric(name="WebhookEnqueued", unit=MetricUnit.Count, value=1)
        if result.offloaded:
            metrics.add_metric(name="WebhookOffloadedToS3", unit=MetricUnit.Count, value=1)
        logger.info(
            "delivery queued",
            extra={
                "webhook_event": event,
                "group_id": envelope.group_id,
                "dedupe_id": envelope.dedupe_id,
                "auth": verdict.method,
                "offloaded": result.offloaded,
                "message_bytes": result.message_bytes,
                "retry": header(headers, "x-atlassian-webhook-retry"),
            },
        )
        return WebhookResponse(202, {"status": "accepted", "id": envelope.dedupe_id})


def correlation_id(headers: Mapping[str, str], request_id: str) -> str:
    """Jira's delivery identifier when present (stable across retries), else the request id."""
    value = header(headers, IDENTIFIER_HEADER)
    return value.strip() if value and value.strip() else request_id


__all__ = [
    "LIVE_SOURCE",
    "SOURCE_HEADER",
    "WebhookReceiver",
    "WebhookResponse",
    "correlation_id",
    "header",
    "mapping_headers",
]
