"""The real webhook handler in-process on moto: what is answered, and what is (never) queued."""

from __future__ import annotations

import base64
import json
import logging
from types import ModuleType
from typing import Any

import boto3
import pytest

from jira_port.live.auth import compute_signature
from jira_port.live.queue import Envelope
from jira_port.observability import logger
from tests.integration.live.conftest import Deliver
from tests.integration.live.resources import LiveResources
from tests.integration.live.webhooks import webhook_event
from tests.support.events import load_event
from tests.support.fixtures import FIXTURES, load_fixture
from tests.support.lambda_env import reload_handler

SIGNED_EVENTS = [
    "webhook-issue-created",
    "webhook-issue-updated",
    "webhook-issue-deleted",
    "webhook-server-issue-updated",
    "webhook-project-created",
    "webhook-project-updated",
    "webhook-project-deleted",
    "webhook-server-project-updated",
]


def _raw(event: dict[str, Any]) -> bytes:
    body = event["body"]
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


@pytest.mark.parametrize("name", SIGNED_EVENTS)
def test_signed_canned_events_are_queued_by_entity(name: str, deliver: Deliver, aws: LiveResources) -> None:
    # Given a real Jira body, signed with the test secret
    event = load_event(name)
    # When it is delivered
    status, body = deliver(event)
    # Then it is acknowledged with 202 and queued once, with the raw bytes and the entity's group
    assert status == 202 and body["status"] == "accepted"
    (queued,) = aws.queued()
    envelope = Envelope.from_json(json.dumps({k: v for k, v in queued.items() if k != "_attributes"}))
    assert envelope.inline_bytes() == _raw(event)
    data = json.loads(_raw(event))
    expected_group = f"issue:{data['issue']['id']}" if "issue" in data else f"project:{data['project']['id']}"
    assert queued["_attributes"]["MessageGroupId"] == expected_group == envelope.group_id
    assert queued["_attributes"]["MessageDeduplicationId"] == body["id"] == envelope.dedupe_id
    assert "x-hub-signature" not in envelope.headers


def test_missing_and_bad_signatures_are_401_and_nothing_is_queued(
    deliver: Deliver, aws: LiveResources
) -> None:
    unsigned = load_event("webhook-issue-updated")
    del unsigned["headers"]["x-hub-signature"]
    assert deliver(unsigned) == (401, {"message": "missing signature"})
    assert deliver(load_event("webhook-bad-signature")) == (401, {"message": "invalid signature"})
    assert aws.depth() == 0


def test_signature_over_reserialised_json_is_rejected(deliver: Deliver, aws: LiveResources) -> None:
    event = load_event("webhook-issue-updated")
    event["body"] = json.dumps(json.loads(event["body"]), indent=1)  # same data, other bytes
    assert deliver(event)[0] == 401
    assert aws.depth() == 0


def test_base64_body_is_verified_over_the_decoded_bytes(deliver: Deliver, aws: LiveResources) -> None:
    event = load_event("webhook-issue-updated-base64")
    assert deliver(event)[0] == 202
    (queued,) = aws.queued()
    assert queued["body"].encode() == base64.b64decode(event["body"])


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_bodies_are_400(raw: bytes, deliver: Deliver, aws: LiveResources) -> None:
    assert deliver(webhook_event(raw)) == (400, {"message": "body must be a JSON object"})
    assert aws.depth() == 0


DEEP = 10_000


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "body nests deeper than 512 levels"),
        (b'{"a":' + b"[" * DEEP + b"]" * DEEP + b"}", "body nests deeper than 512 levels"),
        (b'{"a":' * 600 + b"1" + b"}" * 600, "body nests deeper than 512 levels"),
        (b'{"webhookEvent":"jira:issue_deleted","timestamp":1e400}', "body holds a number out of range"),
        (b'{"timestamp":-1e400}', "body holds a number out of range"),
        (b'{"timestamp":NaN}', "body holds NaN, which is not JSON"),
        (b'{"timestamp":Infinity}', "body holds Infinity, which is not JSON"),
        (b'{"timestamp":' + b"9" * 5000 + b"}", "body must be a JSON object"),
        (b"\xff\xfe{}", "body must be UTF-8 encoded JSON"),
        ('{"a":"é"}'.encode("utf-16"), "body must be UTF-8 encoded JSON"),
        ('{"a":"é"}'.encode("utf-32"), "body must be UTF-8 encoded JSON"),
        (b"\xef\xbb\xbf{}", "body must be a JSON object"),  # a byte order mark
        (b'{"a":"\xc3"}', "body must be UTF-8 encoded JSON"),  # truncated sequence
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_hostile_bodies_are_400_with_the_reason(
    raw: bytes, reason: str, deliver: Deliver, aws: LiveResources
) -> None:
    status, answer = deliver(webhook_event(raw))
    assert status == 400
    assert answer["message"].startswith(reason)
    assert aws.depth() == 0


def test_huge_strings_and_odd_but_valid_text_are_accepted(deliver: Deliver, aws: LiveResources) -> None:
    body = {
        "webhookEvent": "jira:issue_updated",
        "timestamp": 1_700_000_000_000,
        "issue": {"id": "1", "key": "A-1", "fields": {"summary": "x" * 3_000_000 + "\u0000\ud800 😀"}},
    }
    raw = json.dumps(body).encode()  # ASCII escapes, a lone surrogate among them
    assert deliver(webhook_event(raw))[0] == 202
    assert aws.depth() == 1


def test_oversize_bodies_are_413_before_anything_else(
    aws: LiveResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    deliver = Deliver(reload_handler("webhook"))
    big = load_fixture("jira-webhooks/webhook-issue-created.json")
    assert deliver(webhook_event(big, signature="sha256=bogus"))[0] == 413
    assert aws.depth() == 0


def test_events_no_rule_maps_are_acknowledged_and_dropped(deliver: Deliver, aws: LiveResources) -> None:
    comment = load_fixture("jira-webhooks/webhook-cloud-comment-created-mention-user.json")
    assert deliver(webhook_event(comment, identifier="c-1")) == (202, {"status": "ignored"})
    assert aws.depth() == 0


def test_jira_retries_collapse_in_the_fifo_queue(deliver: Deliver, aws: LiveResources) -> None:
    event = load_event("webhook-issue-updated")
    retry = load_event("webhook-issue-updated")
    retry["headers"]["x-atlassian-webhook-retry"] = "1"
    assert deliver(event)[0] == 202 and deliver(retry)[0] == 202
    assert aws.depth() == 1


def test_server_deliveries_without_identifier_dedupe_on_the_body_hash(
    deliver: Deliver, aws: LiveResources
) -> None:
    event = load_event("webhook-server-issue-updated")
    assert "x-atlassian-webhook-identifier" not in event["headers"]
    _, first = deliver(event)
    _, second = deliver(load_event("webhook-server-issue-updated"))
    assert first["id"] == second["id"] and len(first["id"]) == 64
    assert aws.depth() == 1


def test_url_token_route_and_query_token(aws: LiveResources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBHOOK_SECRET")
    monkeypatch.setenv("WEBHOOK_TOKEN", "jira-port-local-test-token")
    deliver = Deliver(reload_handler("webhook"))
    assert deliver(load_event("webhook-token"))[0] == 202
    body = load_fixture("jira-webhooks/webhook-server-issue-updated-closed.json")
    assert deliver(webhook_event(body, secret=None, query="token=jira-port-local-test-token&x=1"))[0] == 202
    assert deliver(webhook_event(body, secret=None, query="token=wrong"))[0] == 401
    assert deliver(webhook_event(body, secret=None))[0] == 401
    queued = aws.queued()
    assert len(queued) == 2
    assert all("token" not in q["query"] for q in queued)
    assert "jira-port-local-test-token" not in json.dumps(queued)


def test_large_bodies_go_to_s3_and_the_sync_side_reads_them(
    aws: LiveResources, monkeypatch: pytest.MonkeyPatch, sync: ModuleType, port: Any
) -> None:
    from jira_port_tools.serve.sqs_poller import SqsPoller

    # Given a message limit below the size of a real 18 KB capture
    monkeypatch.setenv("MAX_MESSAGE_BYTES", "4096")
    deliver = Deliver(reload_handler("webhook"))
    body = load_fixture("jira-webhooks/webhook-cloud-issue-created-many-fields.json")
    # When it is delivered
    assert deliver(webhook_event(body, identifier="big-1"))[0] == 202
    # Then the message carries a pointer and the body sits in S3
    (queued,) = aws.queued()
    assert "body" not in queued and queued["s3"]["bucket"] == aws.bucket
    stored = aws.s3.get_object(Bucket=aws.bucket, Key=queued["s3"]["key"])["Body"].read()
    assert json.loads(stored) == body
    # And the sync function maps it from S3, then removes the object
    SqsPoller(aws.sqs, aws.queue_url, sync.lambda_handler).run_until_empty()
    assert port.entities("jiraIssue")["KT-22"]["title"] == body["issue"]["fields"]["summary"]
    assert aws.s3.list_objects_v2(Bucket=aws.bucket)["KeyCount"] == 0


def test_oversize_without_bucket_is_a_5xx(aws: LiveResources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_MESSAGE_BYTES", "4096")
    monkeypatch.delenv("PAYLOAD_BUCKET")
    deliver = Deliver(reload_handler("webhook"))
    body = load_fixture("jira-webhooks/webhook-cloud-issue-created-many-fields.json")
    assert deliver(webhook_event(body))[0] == 500
    assert aws.depth() == 0


def test_queue_failure_is_503_so_jira_retries(aws: LiveResources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUE_URL", aws.queue_url.replace("sync.fifo", "missing.fifo"))
    deliver = Deliver(reload_handler("webhook"))
    status, _ = deliver(load_event("webhook-issue-updated"))
    assert status == 503


def test_required_signature_without_secret_is_a_5xx(
    aws: LiveResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBHOOK_SECRET")
    monkeypatch.setenv("WEBHOOK_REQUIRE_SIGNATURE", "true")
    deliver = Deliver(reload_handler("webhook"))
    assert deliver(load_event("webhook-issue-updated"))[0] == 500
    assert aws.depth() == 0


def test_secret_from_secrets_manager_with_rotation(
    aws: LiveResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the webhook secret in Secrets Manager
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(Name="jira-port-webhook-rotation", SecretString="first-secret")["ARN"]
    monkeypatch.delenv("WEBHOOK_SECRET")
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", arn)
    deliver = Deliver(reload_handler("webhook"))
    body = load_fixture("jira-webhooks/webhook-issue-updated-labels.json")
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert deliver(webhook_event(raw, secret="first-secret", identifier="r-1"))[0] == 202
    # When the secret is rotated and Jira signs with the new one
    secrets.put_secret_value(SecretId=arn, SecretString="second-secret")
    # Then the cached value fails, is re-read once, and the delivery is accepted
    assert deliver(webhook_event(raw, secret="second-secret", identifier="r-2"))[0] == 202
    assert deliver(webhook_event(raw, secret="first-secret", identifier="r-3"))[0] == 401
    assert aws.depth() == 2


def test_correlation_id_is_the_webhook_identifier(
    deliver: Deliver, log_records: list[logging.LogRecord]
) -> None:
    event = load_event("webhook-issue-updated")
    deliver(event)
    record = next(r for r in log_records if r.getMessage() == "delivery queued")
    queued = json.loads(logger.registered_formatter.format(record))
    assert queued["correlation_id"] == event["headers"]["x-atlassian-webhook-identifier"]
    assert queued["group_id"] == "issue:10040" and queued["auth"] == "signature"


def test_unknown_routes_are_404(deliver: Deliver) -> None:
    event = load_event("webhook-issue-updated")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/other"
    event["routeKey"] = "POST /other"  # API Gateway names the route it matched
    assert deliver(event)[0] == 404


def test_raw_fixture_bytes_are_signed_as_is(deliver: Deliver, aws: LiveResources) -> None:
    # Pretty-printed bytes straight from a capture file (not re-serialised) verify and are kept verbatim
    raw = (FIXTURES / "jira-webhooks" / "webhook-issue-updated-sprint.json").read_bytes()
    event = webhook_event(raw, signature=compute_signature("jira-port-local-test-secret", raw))
    assert deliver(event)[0] == 202
    (queued,) = aws.queued()
    assert queued["body"].encode() == raw
