"""Webhook function: API Gateway HTTP API (payload v2) -> verify -> enqueue to SQS FIFO -> 202.

Routes: ``POST /webhook`` (signed deliveries) and ``POST /webhook/{token}`` (Data Center before 10,
which cannot sign). All logic lives in ``jira_port.live.receive``; this module only wires it. The two
routes are told apart by the event's ``routeKey``: an HTTP API resolver would cost more cold start
(its import pulls in pydantic and the OpenAPI models) than it gives two fixed routes.
"""

from __future__ import annotations

import gc

gc.disable()  # init builds what the container keeps; see the end of this module

from jira_port.live.runtime import start_live_mapping, warm, webhook_receiver  # noqa: E402

# the mapping is read, proven and its relevance check compiled on a thread while the imports below run
start_live_mapping("relevance")

import base64  # noqa: E402
import json  # noqa: E402
from functools import cache  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from jira_port.errors import ConfigError  # noqa: E402
from jira_port.live.receive import WebhookReceiver, WebhookResponse, correlation_id  # noqa: E402
from jira_port.observability import MetricUnit, logger, metrics, traced_handler  # noqa: E402
from jira_port.settings.live import WebhookSettings  # noqa: E402

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

ROUTES = {"POST /webhook": False, "POST /webhook/{token}": True}  # route key -> authenticated by URL token


@cache
def receiver() -> WebhookReceiver:
    """This container's receiver; a build that raised is not cached, so the next delivery tries again."""
    return webhook_receiver(WebhookSettings.from_env())


def raw_body(event: dict[str, Any]) -> bytes:
    """The body bytes exactly as sent (API Gateway base64-encodes some bodies)."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")


def _http(answer: WebhookResponse) -> dict[str, Any]:
    return {
        "statusCode": answer.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(answer.body),
        "isBase64Encoded": False,
    }


def _deliver(event: dict[str, Any], with_token: bool) -> WebhookResponse:
    token = (event.get("pathParameters") or {}).get("token") if with_token else None
    return receiver().receive(
        raw_body(event),
        event.get("headers") or {},
        event.get("queryStringParameters") or {},
        path_token=token,
        request_id=_request_id(event),
    )


def _answer(event: dict[str, Any]) -> WebhookResponse:
    route = event.get("routeKey")
    if route not in ROUTES:
        metrics.add_metric(name="WebhookNotFound", unit=MetricUnit.Count, value=1)
        return WebhookResponse(404, {"message": "Not Found"})
    try:
        return _deliver(event, ROUTES[route])
    except ConfigError as exc:
        # 5xx: Jira retries, so deliveries survive until the configuration is fixed.
        metrics.add_metric(name="WebhookConfigErrors", unit=MetricUnit.Count, value=1)
        logger.error("configuration error", extra={"error": str(exc)})
        return WebhookResponse(500, {"message": "webhook receiver is misconfigured"})
    except Exception:
        metrics.add_metric(name="WebhookErrors", unit=MetricUnit.Count, value=1)
        logger.exception("unexpected error")
        return WebhookResponse(500, {"message": "internal error"})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point for API Gateway HTTP API events."""
    logger.set_correlation_id(correlation_id(event.get("headers") or {}, _request_id(event)))
    return _http(_answer(event))


def _request_id(event: dict[str, Any]) -> str:
    return str((event.get("requestContext") or {}).get("requestId", ""))


# Init: compile the mapping and make the SQS client before the first delivery waits for them.
warm(receiver)

# Init is over. What it built lives as long as the container, so it is frozen: no collection scans it again.
# (During init the collector's passes scanned some 70k live objects to find a few hundred garbage ones.)
gc.freeze()
gc.enable()
