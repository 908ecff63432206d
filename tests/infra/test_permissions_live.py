"""The live path's AWS calls are all allowed by the webhook's and sync's policies, and every grant is used.

The stack's resources are created in moto from the expanded template; each handler runs in-process with
exactly its template environment (``lambda_run.as_function``); botocore calls are recorded and evaluated
against the translated IAM policies. The same run checks which settings models each function loads.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from jira_port.live.auth import compute_signature
from jira_port_emulators.port import PortEmulator
from jira_port_tools.serve.lambda_events import sqs_event
from tests.infra.contract import FUNCTION_SETTINGS
from tests.infra.deployment import (
    denied,
    deployed,
    port_emulator,
    store_port_credentials,
    unused_grants,
    webhook_secret,
)
from tests.infra.lambda_run import Invocation, as_function
from tests.infra.stack import REGION, Stack
from tests.support.events import event_names, load_event
from tests.support.lambda_env import reload_handler

OVERSIZED_BYTES = 400 * 1024  # above the webhook's SQS message limit: the body goes through S3


@dataclass
class LiveRun:
    """The recorded webhook and sync invocations of one pass through the live path."""

    stack: Stack
    webhook: Invocation
    sync: Invocation
    statuses: dict[str, int]
    port: PortEmulator


def _body(event: dict[str, Any]) -> bytes:
    raw: str = event["body"]
    return base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")


def _with_body(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    event["body"], event["isBase64Encoded"] = body.decode("utf-8"), False
    event["headers"]["content-length"] = str(len(body))
    return event


def _deliveries(secret: str) -> dict[str, dict[str, Any]]:
    """Every canned webhook event, signed with the deployed secret, plus one oversized delivery."""
    events = {name: load_event(name) for name in event_names() if name.startswith("webhook-")}
    for name, event in events.items():
        if "x-hub-signature" in event["headers"] and name != "webhook-bad-signature":
            event["headers"]["x-hub-signature"] = compute_signature(secret, _body(event))
    big = load_event("webhook-issue-updated")
    payload = json.loads(_body(big))
    payload["issue"]["fields"]["description"] = "x" * OVERSIZED_BYTES
    payload["timestamp"] += 1
    big = _with_body(big, json.dumps(payload).encode("utf-8"))
    big["headers"]["x-atlassian-webhook-identifier"] = "oversized-delivery"
    big["headers"]["x-hub-signature"] = compute_signature(secret, _body(big))
    events["webhook-oversized"] = big
    return events


def _drain(stack: Stack) -> list[Any]:
    """What the event source mapping would receive from the sync queue."""
    sqs = boto3.client("sqs")
    messages: list[Any] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=stack.ref("SyncQueue"), MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


@pytest.fixture(scope="module")
def live_run() -> Iterator[LiveRun]:
    """One pass through the live path, shared by the checks below."""
    with deployed() as stack:
        yield _run_live(stack)


def _run_live(stack: Stack) -> LiveRun:
    store_port_credentials(stack)
    deliveries = _deliveries(webhook_secret(stack))
    emulator = port_emulator()
    with emulator.running() as port:
        # Given the webhook function receiving every kind of delivery
        with as_function(stack, "WebhookFunction") as webhook:
            app = reload_handler("webhook")
            statuses = {
                name: app.lambda_handler(e, webhook.context)["statusCode"] for name, e in deliveries.items()
            }
        # And the sync function consuming what it enqueued (Port's URL is the only override: the
        # template only allows Port's real hosts)
        messages = _drain(stack)
        assert messages, "the webhook enqueued nothing"
        with as_function(stack, "SyncFunction", {"PORT_API_URL": str(port.url)}) as sync:
            app = reload_handler("sync")
            event = sqs_event(messages, queue_arn=stack.get_att("SyncQueue", "Arn"), region=REGION)
            result = app.lambda_handler(event, sync.context)
    assert result["batchItemFailures"] == []
    return LiveRun(stack, webhook, sync, statuses, emulator)


def test_live_path_works_end_to_end_on_the_template_environment(live_run: LiveRun) -> None:
    # Then signed deliveries are accepted, forged ones rejected
    assert live_run.statuses.pop("webhook-bad-signature") == 401
    assert live_run.statuses.pop("webhook-token") == 401  # WebhookRequireSignature defaults to true
    assert set(live_run.statuses.values()) == {202}, live_run.statuses
    # And the entities reached Port
    assert live_run.port.entities("jiraIssue")
    assert live_run.port.entities("jiraProject")
    # And the oversized body went through the bucket (put by the webhook, read and removed by sync)
    assert ("s3", "PutObject") in {(c.service, c.operation) for c in live_run.webhook.calls}
    assert {("s3", "GetObject"), ("s3", "DeleteObject")} <= {
        (c.service, c.operation) for c in live_run.sync.calls
    }


@pytest.mark.parametrize("function", ["webhook", "sync"])
def test_live_functions_policies_allow_every_call_they_make(live_run: LiveRun, function: str) -> None:
    run: Invocation = getattr(live_run, function)
    stack = live_run.stack
    assert run.calls, "nothing recorded"
    refused = denied(stack, run)
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("function", ["webhook", "sync"])
def test_live_functions_use_every_grant(live_run: LiveRun, function: str) -> None:
    run: Invocation = getattr(live_run, function)
    assert unused_grants(live_run.stack, run) == set()


@pytest.mark.parametrize("function", ["webhook", "sync"])
def test_live_functions_load_the_declared_settings(live_run: LiveRun, function: str) -> None:
    run: Invocation = getattr(live_run, function)
    assert run.settings == set(FUNCTION_SETTINGS[run.function_id])
