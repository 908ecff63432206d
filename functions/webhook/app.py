"""Webhook function: API Gateway HTTP API (payload v2) -> verify -> enqueue to SQS FIFO -> 202.

Routes: ``POST /webhook`` (signed deliveries) and ``POST /webhook/{token}`` (Data Center before 10,
which cannot sign). All logic lives in ``jira_port.live.receive``; this module only wires it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_port.errors import ConfigError
from jira_port.live.factory import Lazy, build_receiver
from jira_port.live.receive import WebhookReceiver, WebhookResponse, correlation_id
from jira_port.observability import MetricUnit, logger, metrics, tracer

app = APIGatewayHttpResolver()
receiver: Lazy[WebhookReceiver] = Lazy(build_receiver)


def raw_body(event: dict[str, Any]) -> bytes:
    """The body bytes exactly as sent (API Gateway base64-encodes some bodies)."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")


def _json(answer: WebhookResponse) -> Response[str]:
    return Response(status_code=answer.status, content_type="application/json", body=json.dumps(answer.body))


def _deliver(path_token: str | None) -> Response[str]:
    event = app.current_event
    answer = receiver().receive(
        raw_body(event.raw_event),
        event.headers,
        event.query_string_parameters or {},
        path_token=path_token,
        request_id=event.request_context.request_id,
    )
    return _json(answer)


@app.post("/webhook")
def webhook() -> Response[str]:
    """A signed (or unauthenticated, when no secret is configured) delivery."""
    return _deliver(None)


@app.post("/webhook/<token>")
def webhook_with_token(token: str) -> Response[str]:
    """A delivery authenticated by the URL token (API Gateway's decoded path parameter)."""
    return _deliver((app.current_event.path_parameters or {}).get("token", token))


@app.not_found
def _not_found(exc: Exception) -> Response[str]:
    metrics.add_metric(name="WebhookNotFound", unit=MetricUnit.Count, value=1)
    return _json(WebhookResponse(404, {"message": "Not Found"}))


@app.exception_handler(ConfigError)  # type: ignore[untyped-decorator]
def _config_error(exc: ConfigError) -> Response[str]:
    # 5xx: Jira retries, so deliveries survive until the configuration is fixed.
    metrics.add_metric(name="WebhookConfigErrors", unit=MetricUnit.Count, value=1)
    logger.error("configuration error", extra={"error": str(exc)})
    return _json(WebhookResponse(500, {"message": "webhook receiver is misconfigured"}))


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _unexpected(exc: Exception) -> Response[str]:
    metrics.add_metric(name="WebhookErrors", unit=MetricUnit.Count, value=1)
    logger.exception("unexpected error")
    return _json(WebhookResponse(500, {"message": "internal error"}))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point for API Gateway HTTP API events."""
    logger.set_correlation_id(correlation_id(event.get("headers") or {}, _request_id(event)))
    result: dict[str, Any] = app.resolve(event, context)
    return result


def _request_id(event: dict[str, Any]) -> str:
    return str((event.get("requestContext") or {}).get("requestId", ""))


# Init phase: compile the mapping and make the SQS client before the first delivery waits for them.
receiver.warm()
