"""What a user may hand ``jira-port map``: a Jira webhook body, or a Lambda event that carries one.

- a webhook body (what Jira POSTs): mapped as is;
- an API Gateway event (HTTP API payload 2.0 or REST 1.0, as in ``events/``): its ``body`` (base64 when
  ``isBase64Encoded``), headers and query string, as the webhook function sees them;
- an SQS event of the sync function (``Records`` with ``eventSource`` ``aws:sqs``): each record's envelope,
  its body inline or read from the payload bucket (S3) with the caller's AWS credentials.

Anything else that is plainly a Lambda event (S3, EventBridge, a backfill invocation) is refused, naming
what it is; a body that is not a JSON object is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jira_port.live.queue import Envelope, EnvelopeError, PayloadPointer, mapping_headers, safe_query


class EventError(Exception):
    """An input that cannot be mapped, with the reason and what to do instead."""


@dataclass(frozen=True, slots=True)
class WebhookInput:
    """One webhook body with the headers and query parameters the mapping sees."""

    label: str
    body: dict[str, Any]
    headers: dict[str, str] | None  # None: not part of the input (the caller's defaults apply)
    query: dict[str, str] | None


PayloadReader = Callable[[PayloadPointer], bytes]


def unwrap(document: Any, label: str, read_payload: PayloadReader) -> list[WebhookInput]:
    """The webhook bodies in ``document`` (one, or one per SQS record); ``EventError`` when there are none."""
    if not isinstance(document, dict):
        raise EventError(f"{label}: a Jira webhook body must be a JSON object, got {type(document).__name__}")
    if isinstance(document.get("Records"), list):
        return _sqs_records(document["Records"], label, read_payload)
    if "requestContext" in document and ("routeKey" in document or "httpMethod" in document):
        return [_api_gateway(document, label)]
    kind = _other_lambda_event(document)
    if kind:
        raise EventError(
            f"{label}: this is {kind}, not a Jira webhook; give a webhook body, an API Gateway event "
            "or an SQS event of the sync function"
        )
    return [WebhookInput(label, document, None, None)]


def _api_gateway(event: dict[str, Any], label: str) -> WebhookInput:
    raw = event.get("body")
    if not isinstance(raw, str) or not raw:
        raise EventError(f"{label}: an API Gateway event without a body (nothing to map)")
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
    except binascii.Error:
        raise EventError(f"{label}: isBase64Encoded is true but the body is not base64") from None
    body = _json_object(data, f"{label} (API Gateway body)")
    headers = {str(k): str(v) for k, v in (event.get("headers") or {}).items()}
    query = {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
    return WebhookInput(label, body, mapping_headers(headers), safe_query(query))


def _sqs_records(records: list[Any], label: str, read_payload: PayloadReader) -> list[WebhookInput]:
    sources = {r.get("eventSource") for r in records if isinstance(r, dict)}
    if sources != {"aws:sqs"}:
        found = ", ".join(sorted(str(s) for s in sources)) or "none"
        raise EventError(f"{label}: Records of {found}; only SQS events of the sync function carry webhooks")
    inputs = []
    for number, record in enumerate(records, start=1):
        where = f"{label} record {number}"
        try:
            envelope = Envelope.from_json(str(record.get("body", "")))
        except EnvelopeError as exc:
            raise EventError(f"{where}: not a jira-port queue message ({exc})") from None
        if envelope.pointer is None:
            raw = envelope.inline_bytes()
        else:
            raw = _read_offloaded(envelope.pointer, where, read_payload)
        body = _json_object(raw, where)
        inputs.append(WebhookInput(where, body, mapping_headers(envelope.headers), dict(envelope.query)))
    return inputs


def _read_offloaded(pointer: PayloadPointer, where: str, read_payload: PayloadReader) -> bytes:
    location = f"s3://{pointer.bucket}/{pointer.key}"
    try:
        return read_payload(pointer)
    except Exception as exc:  # any reason (no credentials, gone, corrupt) gets the same advice
        raise EventError(
            f"{where}: the body was offloaded to {location} and cannot be read "
            f"({type(exc).__name__}: {exc}); with AWS credentials for the bucket it is read from there, "
            "or download it and map the file"
        ) from None


def _json_object(data: bytes, where: str) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventError(f"{where}: the body is not JSON ({type(exc).__name__})") from None
    if not isinstance(body, dict):
        raise EventError(f"{where}: a Jira webhook body must be a JSON object, got {type(body).__name__}")
    return body


def _other_lambda_event(document: dict[str, Any]) -> str | None:
    if "detail-type" in document and "source" in document:
        return "an EventBridge event"
    if set(document) <= {"mode", "projects", "continuation", "run_id"} and "mode" in document:
        return "a backfill invocation payload"
    if "version" in document and "rawPath" in document:
        return "an API Gateway event without a request context"
    return None


def read_payload_from_s3(pointer: PayloadPointer) -> bytes:
    """Read an offloaded body with the default AWS credentials, checked as the sync function checks it."""
    import boto3

    from jira_port.live.queue import PayloadStore

    store = PayloadStore(boto3.client("s3"), pointer.bucket)
    try:
        return store.get(pointer)
    finally:
        store.close()


def read_inputs(name: str) -> list[WebhookInput]:
    """The webhook inputs of a JSON file or a directory of them (its .json files, sorted)."""
    path = Path(name)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
        if not files:
            raise EventError(f"{name}: a directory without .json files")
        return [item for file in files for item in read_inputs(str(file))]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise EventError(f"{name}: cannot read the event: {reason}") from None
    return unwrap(parse_json(text, name), name, read_payload_from_s3)


def parse_json(text: str, label: str) -> Any:
    """``text`` as JSON, or ``EventError`` naming ``label`` and the position."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventError(
            f"{label}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
