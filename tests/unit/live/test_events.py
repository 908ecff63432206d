"""The canned events in events/: up to date with their generator, and correctly signed."""

from __future__ import annotations

import base64
import importlib.util
import json
from types import ModuleType
from typing import Any

import pytest

from jira_port.live.auth import verify_signature
from jira_port.live.queue import Envelope
from tests.support.events import EVENTS, event_names, load_event

TEST_SECRET = b"jira-port-local-test-secret"
WEBHOOK_EVENTS = [name for name in event_names() if name.startswith("webhook-")]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jira_port_events_generator", EVENTS / "_generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")


def test_committed_events_match_the_generator() -> None:
    generator = _generator()
    built = generator.build_events()
    assert sorted(built) == event_names(), "run: .venv/bin/python events/_generate.py"
    for name, event in built.items():
        committed = (EVENTS / f"{name}.json").read_text(encoding="utf-8")
        assert committed == generator.render(event), f"events/{name}.json is stale; regenerate it"


@pytest.mark.parametrize("name", WEBHOOK_EVENTS)
def test_every_signed_event_verifies_with_the_test_secret(name: str) -> None:
    event = load_event(name)
    signature = event["headers"].get("x-hub-signature")
    raw = _raw(event)
    json.loads(raw)  # every body is a real JSON webhook
    if name == "webhook-bad-signature":
        assert signature is not None and not verify_signature(raw, signature, [TEST_SECRET])
    elif name == "webhook-token":
        assert signature is None and event["pathParameters"]["token"] == "jira-port-local-test-token"
    else:
        assert verify_signature(raw, signature, [TEST_SECRET]), name


def test_base64_event_carries_the_same_bytes_as_its_plain_twin() -> None:
    plain, encoded = load_event("webhook-issue-updated"), load_event("webhook-issue-updated-base64")
    assert encoded["isBase64Encoded"] is True
    assert _raw(encoded) == _raw(plain)


def test_sqs_batch_holds_valid_envelopes() -> None:
    records = load_event("sqs-sync-batch")["Records"]
    assert len(records) == 6
    for record in records:
        envelope = Envelope.from_json(record["body"])
        assert record["attributes"]["MessageGroupId"] == envelope.group_id
        json.loads(envelope.inline_bytes())
