"""The queued envelope: round trips, what is stripped, base64 bodies, pointers, malformed input."""

from __future__ import annotations

import json

import pytest

from jira_port.live.queue import Envelope, EnvelopeError, PayloadPointer, safe_headers, safe_query
from tests.support.fixtures import FIXTURES

RAW = (FIXTURES / "jira-webhooks" / "webhook-issue-updated-assigned.json").read_bytes()


def envelope(raw: bytes = RAW, headers: dict[str, str] | None = None) -> Envelope:
    return Envelope.for_body(
        raw,
        dedupe_id="abc-123",
        group_id="issue:10040",
        received_at_ms=1_700_000_000_123,
        headers={"Content-Type": "application/json", **(headers or {})},
        query={"project": "TES", "token": "secret-token"},
    )


def test_round_trip_keeps_the_exact_body() -> None:
    original = envelope()
    text = original.to_json()
    parsed = Envelope.from_json(text)
    assert parsed == original
    assert parsed.inline_bytes() == RAW
    assert text.isascii()


def test_non_utf8_body_travels_as_base64() -> None:
    raw = b'{"x": "\xff\xfe"}'
    parsed = Envelope.from_json(envelope(raw).to_json())
    assert parsed.body_base64
    assert parsed.inline_bytes() == raw


def test_unicode_that_sqs_rejects_is_escaped() -> None:
    raw = '{"summary": "\ufffe \U0001f600 ä"}'.encode()
    text = envelope(raw).to_json()
    assert text.isascii()
    assert Envelope.from_json(text).inline_bytes() == raw


def test_credentials_signatures_and_reserved_headers_are_dropped() -> None:
    headers = {
        "Authorization": "Basic abc",
        "Cookie": "a=b",
        "X-Hub-Signature": "sha256=00",
        "X-Hub-Signature-256": "sha256=00",
        "X-Jira-Port-Source": "backfill",
        "X-Atlassian-Webhook-Identifier": "id-1",
        "User-Agent": "Atlassian Webhook HTTP Client",
    }
    assert safe_headers(headers) == {
        "x-atlassian-webhook-identifier": "id-1",
        "user-agent": "Atlassian Webhook HTTP Client",
    }
    assert safe_query({"token": "t", "a": "1"}) == {"a": "1"}
    queued = envelope(headers=headers)
    assert "authorization" not in queued.headers and "token" not in queued.query
    assert "secret-token" not in queued.to_json() and "Basic abc" not in queued.to_json()


def test_pointer_round_trip() -> None:
    pointer = PayloadPointer("bucket", "webhooks/abc-123/req.json", len(RAW), "00" * 32)
    stored = envelope().with_pointer(pointer)
    parsed = Envelope.from_json(stored.to_json())
    assert parsed.pointer == pointer and parsed.body is None
    with pytest.raises(EnvelopeError):
        parsed.inline_bytes()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"v": 2}),
        json.dumps({"v": 1, "id": "a", "group": "g", "receivedAt": 1}),
        json.dumps({"v": 1, "id": "a", "group": "g", "body": "{}"}),
        json.dumps({"v": 1, "id": "a", "group": "g", "receivedAt": "x", "body": "{}"}),
        json.dumps({"v": 1, "id": "a", "group": "g", "receivedAt": 1, "s3": {"bucket": "b"}}),
        json.dumps({"v": 1, "id": "a", "group": "g", "receivedAt": 1, "body": "%%", "encoding": "base64"}),
        json.dumps({"v": 1, "id": "a", "group": "g", "receivedAt": 1, "body": "{}", "headers": [1]}),
    ],
)
def test_malformed_envelopes_raise(text: str) -> None:
    with pytest.raises(EnvelopeError):
        Envelope.from_json(text)
