"""The webhook function's core: check, filter and enqueue one delivery, and choose the HTTP answer.

Answers follow Jira's retry rules: 2xx for stored and deliberately ignored events, 401 for a bad
signature, 400/413 for bodies that can never succeed (Jira does not retry other 4xx), and 5xx whenever
the delivery could not be stored (Jira retries 5xx), so a 2xx always means "durably queued or
deliberately dropped". A failed store is retried in-process before the answer is 503: Jira Data Center
never retries a delivery (on DC a 5xx loses the event until the next incremental backfill), and retrying
is safe (the FIFO deduplication id and the S3 key are the same on every attempt).

Bodies are parsed strictly (``parse_body``; 400 with the reason): UTF-8 JSON objects only (RFC 8259
8.1), at most ``MAX_DEPTH`` deep (a "depth bomb" otherwise ends in a RecursionError in the parser),
numbers that fit a double (``1e400`` is infinity), no ``NaN``/``Infinity``, integers Python converts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from jira_port.errors import ConfigError, JiraPortError, aws_error_code
from jira_port.live.auth import SIGNATURE_HEADER, WebhookAuthenticator
from jira_port.live.queue import (
    IDENTIFIER_HEADER,
    TOKEN_PARAM,
    Envelope,
    PayloadStore,
    body_text,
    deduplication_id,
    mapping_headers,
    message_group_id,
)
from jira_port.mapping import CompiledMapping
from jira_port.mapping.source import MappingProvider
from jira_port.observability import MetricUnit, logger, metrics, traced
from jira_port.settings.live import WebhookSettings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


import json
import math


class EnqueueError(JiraPortError):
    """The delivery could not be stored (SQS or S3 failed); the webhook answers 503 so Jira retries."""


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
        settings: WebhookSettings,
        *,
        authenticator: WebhookAuthenticator,
        mapping: CompiledMapping | MappingProvider,
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

    @traced
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


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """What was sent: the SQS message id, whether the body went to S3, and the message size in bytes."""

    message_id: str
    offloaded: bool
    message_bytes: int


class Enqueuer:
    """Sends envelopes to one FIFO queue (ids from the envelope), bodies above ``max_message_bytes`` to S3."""

    def __init__(
        self,
        sqs: SQSClient, queue_url: str, *, payloads: PayloadStore | None, max_message_bytes: int,
        pauses: Sequence[float] = (0.2, 0.8), sleep: Callable[[float], None] = time.sleep,
    ) -> None:  # fmt: skip
        self._sqs, self._queue_url, self._payloads = sqs, queue_url, payloads
        self._max_bytes, self._pauses, self._sleep = max_message_bytes, tuple(pauses), sleep

    def close(self) -> None:
        """Release the SQS client's connections, and the payload store's."""
        self._sqs.close()
        if self._payloads is not None:
            self._payloads.close()

    def enqueue(self, envelope: Envelope, *, request_id: str) -> EnqueueResult:
        """Store the envelope durably, retrying after each of ``pauses``, or raise ``EnqueueError``."""
        for pause in self._pauses:
            try:
                return self._enqueue_once(envelope, request_id=request_id)
            except EnqueueError as exc:
                logger.warning("delivery not stored yet; retrying in-process", extra={"error": str(exc)})
                self._sleep(pause)
        return self._enqueue_once(envelope, request_id=request_id)

    def _enqueue_once(self, envelope: Envelope, *, request_id: str) -> EnqueueResult:
        try:
            text, offloaded = outgoing_message(
                envelope,
                payloads=self._payloads,
                max_message_bytes=self._max_bytes,
                request_id=request_id,
            )
            response = self._sqs.send_message(
                QueueUrl=self._queue_url,
                MessageBody=text,
                MessageGroupId=envelope.group_id,
                MessageDeduplicationId=envelope.dedupe_id,
            )
        except (BotoCoreError, ClientError) as exc:
            raise EnqueueError(
                f"could not store the delivery: {type(exc).__name__} {aws_error_code(exc)}"
            ) from exc
        return EnqueueResult(response["MessageId"], offloaded, len(text))


def outgoing_message(
    envelope: Envelope, *, payloads: PayloadStore | None, max_message_bytes: int, request_id: str
) -> tuple[str, bool]:
    """The message to send for ``envelope``, and whether its body went to S3 (above ``max_message_bytes``);
    botocore errors propagate."""
    text = envelope.to_json()
    if len(text) <= max_message_bytes:
        return text, False
    if payloads is None:
        raise ConfigError(
            f"a {len(text)}-byte delivery exceeds MAX_MESSAGE_BYTES and PAYLOAD_BUCKET is not set"
        )
    pointer = payloads.put(envelope.inline_bytes(), dedupe_id=envelope.dedupe_id, request_id=request_id)
    return envelope.with_pointer(pointer).to_json(), True


def correlation_id(headers: Mapping[str, str], request_id: str) -> str:
    """Jira's delivery identifier when present (stable across retries), else the request id."""
    value = header(headers, IDENTIFIER_HEADER)
    return value.strip() if value and value.strip() else request_id


#: Deepest nesting accepted; real deliveries stay below 20 (a Cloud description in ADF included).
MAX_DEPTH = 512


class BodyError(JiraPortError):
    """The body can never be a Jira delivery; the message says why (no body content in it)."""


def parse_body(raw: bytes) -> dict[str, Any]:
    """The delivery as a JSON object, or ``BodyError``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("body must be UTF-8 encoded JSON") from None
    try:
        body = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise BodyError(f"body nests deeper than {MAX_DEPTH} levels") from None
    except _NumberError as exc:
        raise BodyError(str(exc)) from None
    except ValueError:
        raise BodyError("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BodyError("body must be a JSON object")
    if depth_exceeds(body, MAX_DEPTH):
        raise BodyError(f"body nests deeper than {MAX_DEPTH} levels")
    return body


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers deeper than ``limit`` (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class _NumberError(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberError("body holds a number out of range (beyond a 64-bit float)")
    return value


def _no_constant(name: str) -> Any:
    raise _NumberError(f"body holds {name}, which is not JSON")
