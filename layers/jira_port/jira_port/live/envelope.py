"""The queued form of one verified delivery: the raw body (or an S3 pointer) plus what the mapping may read.

The body stays the exact text Jira sent, so the sync side maps precisely what was verified. Headers are
lower-cased and stripped of credentials (``authorization``, cookies, signatures) and of the reserved
``x-jira-port-*`` names (the sync side sets ``x-jira-port-source`` itself, so a sender cannot pose as the
backfill). The URL token never leaves the webhook function.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from jira_port.errors import JiraPortError

ENVELOPE_VERSION = 1
TOKEN_PARAM = "token"  # noqa: S105 - the name of the query parameter, not a secret
_DROPPED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-amz-security-token"}
)
_DROPPED_PREFIXES = ("x-hub-signature", "x-jira-port-")
SOURCE_HEADER = "x-jira-port-source"
LIVE_SOURCE = "webhook"


class EnvelopeError(JiraPortError):
    """A queued message is not a valid envelope (it can never be processed)."""


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
        cls,
        raw: bytes,
        *,
        dedupe_id: str,
        group_id: str,
        received_at_ms: int,
        headers: Mapping[str, str],
        query: Mapping[str, str],
    ) -> Envelope:
        """An inline envelope for ``raw``; non-UTF-8 bodies are carried as base64."""
        try:
            text, b64 = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            text, b64 = base64.b64encode(raw).decode("ascii"), True
        return cls(
            dedupe_id=dedupe_id,
            group_id=group_id,
            received_at_ms=received_at_ms,
            headers=safe_headers(headers),
            query=safe_query(query),
            body=text,
            body_base64=b64,
        )

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
        data: dict[str, Any] = {
            "v": ENVELOPE_VERSION,
            "id": self.dedupe_id,
            "group": self.group_id,
            "receivedAt": self.received_at_ms,
            "headers": self.headers,
            "query": self.query,
        }
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
                dedupe_id=str(data["id"]),
                group_id=str(data["group"]),
                received_at_ms=int(data["receivedAt"]),
                headers=_str_map(data.get("headers")),
                query=_str_map(data.get("query")),
                body=None if pointer is not None else data["body"],
                body_base64=data.get("encoding") == "base64",
                pointer=pointer,
            )
            if envelope.body is not None and envelope.body_base64:
                base64.b64decode(envelope.body, validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise EnvelopeError(f"malformed envelope: {type(exc).__name__} {exc}") from None
        return envelope


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased headers without credentials, signatures or reserved ``x-jira-port-*`` names."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in _DROPPED_HEADERS or key.startswith(_DROPPED_PREFIXES):
            continue
        out[key] = value
    return out


def mapping_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers the mapping sees: safe, lower-cased, marked as coming from a live webhook."""
    out = safe_headers(headers)
    out[SOURCE_HEADER] = LIVE_SOURCE
    return out


def safe_query(query: Mapping[str, str]) -> dict[str, str]:
    """Query parameters without the URL token."""
    return {k: v for k, v in query.items() if k != TOKEN_PARAM}


def _str_map(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("expected an object of strings")
    return {str(k): str(v) for k, v in value.items()}
