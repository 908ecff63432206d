"""The queue contract between the two live functions, both directions: envelope, SQS ids, S3 offload.

The envelope carries the exact body Jira sent (the sync side maps precisely what was verified; ``body_text``
is how both read it as text), or an S3 pointer when it is too big for a message, plus the headers
(lower-cased, without credentials and the reserved ``x-jira-port-*`` names, so a sender cannot pose as the
backfill) and the query (without the URL token). The message group is one per Jira entity (issues by their
immutable id, so comments and worklogs share it; keys change on a move); the deduplication id is Jira's
``X-Atlassian-Webhook-Identifier``, else the body's SHA-256. SQS dedupes only within 5 minutes while Jira
retries 5-15 minutes apart: the sync side is idempotent on its own (the version guard). Oversized bodies
are stored one object per delivery (``webhooks/<dedupe id>/<request id>.json``), deleted after success;
the bucket's lifecycle rule removes what is left (keep it above queue plus DLQ retention).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from jira_port.errors import JiraPortError, aws_error_code
from jira_port.mapping.model import SOURCE_HEADER, sensitive_header
from jira_port.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ENVELOPE_VERSION = 1
TOKEN_PARAM = "token"  # noqa: S105 - the name of the query parameter, not a secret
LIVE_SOURCE = "webhook"
IDENTIFIER_HEADER = "x-atlassian-webhook-identifier"
KEY_PREFIX = "webhooks/"
_RESERVED_PREFIX = "x-jira-port-"
_MAX_ID_LENGTH = 128
_SQS_ID = re.compile(r"^[!-~]+$")  # SQS: "alphanumeric characters and punctuation" (printable ASCII)
_COMMENT_ISSUE = re.compile(r"/issue/(\d+)/comment/")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# Other entity kinds and the fields that identify them (first present wins; a DC user's key survives renames).
_CONTAINERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *((kind, ("id",)) for kind in ("version", "sprint", "board", "component")),
    ("user", ("accountId", "key", "name")),
    *((kind, ("id",)) for kind in ("issueLink", "attachment", "filter", "issueType")),
)
# The kind an event names (`jira:version_released`, `user_deleted`...) decides its group over other objects.
_EVENT_KIND = re.compile(r"^(?:jira:)?(version|sprint|board|component|user)_")
_FIELDS = dict(_CONTAINERS)


class EnvelopeError(JiraPortError):
    """A queued message is not a valid envelope (it can never be processed)."""


class PayloadMissingError(JiraPortError):
    """The stored body is gone (expired by the lifecycle rule, or already consumed)."""


class PayloadCorruptError(JiraPortError):
    """The stored body does not match the size and SHA-256 recorded in the pointer."""


@dataclass(frozen=True, slots=True)
class PayloadPointer:
    """Where an oversized body was stored, with its size and SHA-256 to check what is read back."""

    bucket: str
    key: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Envelope:
    """One delivery as enqueued. Exactly one of ``body`` and ``pointer`` is set."""

    dedupe_id: str
    group_id: str
    received_at_ms: int
    headers: dict[str, str]
    query: dict[str, str]
    body: str | None = None
    body_base64: bool = False
    pointer: PayloadPointer | None = None

    @classmethod
    def for_body(
        cls, raw: bytes, *, dedupe_id: str, group_id: str, received_at_ms: int,
        headers: Mapping[str, str], query: Mapping[str, str],
    ) -> Envelope:  # fmt: skip
        """An inline envelope for ``raw``; non-UTF-8 bodies are carried as base64."""
        text = body_text(raw)
        b64 = text is None
        inline = base64.b64encode(raw).decode("ascii") if text is None else text
        return cls(dedupe_id, group_id, received_at_ms, safe_headers(headers), safe_query(query), inline, b64)

    def with_pointer(self, pointer: PayloadPointer) -> Envelope:
        """The same envelope with the body replaced by a pointer to where it was stored."""
        return replace(self, body=None, body_base64=False, pointer=pointer)

    def inline_bytes(self) -> bytes:
        """The raw body bytes of an inline envelope."""
        if self.body is None:
            raise EnvelopeError("the body is stored in S3, not inline")
        return base64.b64decode(self.body) if self.body_base64 else self.body.encode("utf-8")

    def to_json(self) -> str:
        """Compact ASCII JSON (SQS accepts only some Unicode ranges; escaping keeps every body valid)."""
        data: dict[str, Any] = {"v": ENVELOPE_VERSION, "id": self.dedupe_id, "group": self.group_id}
        data |= {"receivedAt": self.received_at_ms, "headers": self.headers, "query": self.query}
        if self.pointer is not None:
            p = self.pointer
            data["s3"] = {"bucket": p.bucket, "key": p.key, "size": p.size, "sha256": p.sha256}
        else:
            data["body"] = self.body
            data["encoding"] = "base64" if self.body_base64 else "utf-8"
        return json.dumps(data, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str) -> Envelope:
        """Parse a queued message; ``EnvelopeError`` names what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EnvelopeError(f"message is not JSON: {exc.msg}") from None
        if not isinstance(data, dict) or data.get("v") != ENVELOPE_VERSION:
            raise EnvelopeError(f"message is not a version {ENVELOPE_VERSION} envelope")
        try:
            pointer = None
            if "s3" in data:
                s3 = data["s3"]
                pointer = PayloadPointer(
                    str(s3["bucket"]), str(s3["key"]), int(s3["size"]), str(s3["sha256"])
                )
            elif not isinstance(data.get("body"), str):
                raise EnvelopeError("envelope has neither a body nor an S3 pointer")
            envelope = cls(
                str(data["id"]), str(data["group"]), int(data["receivedAt"]), _str_map(data.get("headers")),
                _str_map(data.get("query")), None if pointer is not None else data["body"],
                data.get("encoding") == "base64", pointer,
            )  # fmt: skip
            if envelope.body is not None and envelope.body_base64:
                base64.b64decode(envelope.body, validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise EnvelopeError(f"malformed envelope: {type(exc).__name__} {exc}") from None
        return envelope


def body_text(raw: bytes) -> str | None:
    """``raw`` as text for the mapping (``raw_body``), or ``None`` when it is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased headers without credentials, signatures or reserved ``x-jira-port-*`` names."""
    return {
        k.lower(): v
        for k, v in headers.items()
        if not sensitive_header(k) and not k.lower().startswith(_RESERVED_PREFIX)
    }


def mapping_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers the mapping sees: safe, lower-cased, marked as coming from a live webhook."""
    return safe_headers(headers) | {SOURCE_HEADER: LIVE_SOURCE}


def safe_query(query: Mapping[str, str]) -> dict[str, str]:
    """Query parameters without the URL token."""
    return {k: v for k, v in query.items() if k != TOKEN_PARAM}


def _str_map(value: object) -> dict[str, str]:
    if value is not None and not isinstance(value, dict):
        raise TypeError("expected an object of strings")
    return {str(k): str(v) for k, v in (value or {}).items()}


def message_group_id(body: Mapping[str, Any]) -> str:
    """``issue:<id>``, ``project:<id>``, ``<kind>:<id>`` or ``event:<webhookEvent>`` for a webhook body.

    One group per entity, so its events stay in order: a user, board, sprint, version or component event
    is grouped by the entity its name says (the body's object of that kind), issues by their id.
    """
    for kind, ident in _entities(body):
        if ident is not None:
            return sqs_id(kind, ident)
    event = body.get("webhookEvent")
    return sqs_id("event", event if isinstance(event, str) and event else "unknown")


def _entities(body: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """Candidate ``(kind, identity)`` pairs of a body, in the order they decide its group."""
    event = body.get("webhookEvent")
    named = _EVENT_KIND.match(event) if isinstance(event, str) else None
    if named is not None:
        yield named.group(1), _identity(body.get(named.group(1)), _FIELDS[named.group(1)])
    yield "issue", _identity(body.get("issue"), ("id", "key"))
    yield "project", _identity(body.get("project"), ("id", "key"))
    comment = body.get("comment")
    if isinstance(comment, Mapping):
        # Server's comment_created may carry only the comment; its self link names the issue.
        match = _COMMENT_ISSUE.search(str(comment.get("self", "")))
        yield "issue", match.group(1) if match else None
    worklog = body.get("worklog")
    if isinstance(worklog, Mapping) and worklog.get("issueId") not in (None, ""):
        yield "issue", str(worklog["issueId"])
    for container, fields in _CONTAINERS:
        yield container, _identity(body.get(container), fields)


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
    values = container if isinstance(container, Mapping) else {}
    for name in fields:
        value = values.get(name)
        if value not in (None, "") and not isinstance(value, (dict, list, bool)):
            return str(value)
    return None


class PayloadStore:
    """Put, get and delete oversized bodies in ``bucket``. ``s3`` is a client, or a function making it on
    first use (most deliveries never need S3, and making the client costs cold start); ``close`` releases
    the client if it was made."""

    def __init__(self, s3: S3Client | Callable[[], S3Client], bucket: str) -> None:
        self._make: Callable[[], S3Client] | None = s3 if callable(s3) else None
        self._client: S3Client | None = None if callable(s3) else s3
        self.bucket = bucket

    @property
    def _s3(self) -> S3Client:
        if self._client is None and self._make is not None:
            self._client = self._make()
        assert self._client is not None
        return self._client

    def close(self) -> None:
        """Release the S3 client's connections (if the client was ever made)."""
        if self._client is not None:
            self._client.close()

    def put(self, raw: bytes, *, dedupe_id: str, request_id: str) -> PayloadPointer:
        """Store ``raw`` and return its pointer (botocore errors propagate: the caller answers 503)."""
        key = f"{KEY_PREFIX}{_segment(dedupe_id)}/{_segment(request_id)}.json"
        digest = hashlib.sha256(raw).hexdigest()
        self._s3.put_object(
            Bucket=self.bucket, Key=key, Body=raw, ContentType="application/json", Metadata={"sha256": digest}
        )
        return PayloadPointer(self.bucket, key, len(raw), digest)

    def get(self, pointer: PayloadPointer) -> bytes:
        """The stored bytes, checked against the pointer. A missing object raises ``PayloadMissingError``."""
        try:
            response = self._s3.get_object(Bucket=pointer.bucket, Key=pointer.key)
        except ClientError as exc:
            if aws_error_code(exc) in {"NoSuchKey", "404", "NotFound"}:
                raise PayloadMissingError(f"s3://{pointer.bucket}/{pointer.key} does not exist") from None
            raise
        raw = response["Body"].read()
        if len(raw) != pointer.size or hashlib.sha256(raw).hexdigest() != pointer.sha256:
            raise PayloadCorruptError(f"s3://{pointer.bucket}/{pointer.key} does not match its pointer")
        return raw

    def delete(self, pointer: PayloadPointer) -> None:
        """Best-effort delete after success; the lifecycle rule catches what this misses."""
        try:
            self._s3.delete_object(Bucket=pointer.bucket, Key=pointer.key)
        except (BotoCoreError, ClientError) as exc:
            error = {"key": pointer.key, "error": type(exc).__name__}
            logger.warning("could not delete a consumed payload; the lifecycle rule will", extra=error)


def _segment(value: str) -> str:
    return value if _SAFE_SEGMENT.match(value) else hashlib.sha256(value.encode("utf-8")).hexdigest()
