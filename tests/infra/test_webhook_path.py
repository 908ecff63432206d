"""How many layer modules one signed webhook crosses across the webhook and sync functions (a ceiling).

The stack runs in moto as in ``test_permissions_live``; each handler is imported cold and warmed with one
delivery, then a second delivery is traced through the webhook handler and its queued message through the
sync handler. The trace (a profile function on every thread) names each ``jira_port`` module whose code ran
for that request; import-time code and the cold build are not part of a request. The jq worker is another
process: ``mapping/jq_worker.py`` runs there, beside the count.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import boto3

from jira_port.live.auth import compute_signature
from jira_port_tools.serve.lambda_events import sqs_event
from tests.infra.deployment import deployed, port_emulator, store_port_credentials, webhook_secret
from tests.infra.lambda_run import as_function
from tests.infra.stack import REGION, Stack
from tests.support.events import load_event
from tests.support.lambda_env import reload_handler

LAYER = Path(__file__).resolve().parents[2] / "layers" / "jira_port" / "jira_port"
# Measured: 26 before issue #17's merges, 20 after them, 21 once the sync function's own FIFO batch rule
# (live/batch.py, replacing the Powertools batch utility for cold start) joined the path, 22 with
# mapping/document.py (split from evaluate.py to keep it under 300 lines), 18 once the warm webhook left
# secrets.py (the authenticator holds the secret), the Port session left settings/port.py, ownership.py and
# backfill/tables.py became state.py and actions.py went into port/, 16 once a proven mapping mapped
# in-process (mapping/bounded.py and mapping/source.py off the path), 15 once mapping/assemble.py went into
# mapping/model.py, 14 once live/batch.py became part of live/process.py (its failure reporting in
# live/outcome.py, off the path of a message that succeeds), 13 once the token cache joined port/client.py.
# Issue #17 aims at about 12;
# docs/internals.md lists the path. Lower it when a merge lands; a raise means a new module on it.
MAX_MODULES = 13


@contextmanager
def traced_modules() -> Iterator[set[str]]:
    """The layer modules (``live/receive.py``, ...) whose functions are called inside the block."""
    seen: set[str] = set()
    prefix = f"{LAYER}/"

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(prefix):
            seen.add(frame.f_code.co_filename.removeprefix(prefix))

    # Every thread: those running already (the clients' worker pools were made by the warm-up) and new ones.
    threading.setprofile_all_threads(profile)
    try:
        yield seen
    finally:
        threading.setprofile_all_threads(None)


def _signed(secret: str, identifier: str, timestamp_offset: int) -> dict[str, Any]:
    event = load_event("webhook-issue-updated")
    body = event["body"]
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    payload = json.loads(raw)
    payload["timestamp"] += timestamp_offset
    raw = json.dumps(payload).encode("utf-8")
    event["body"], event["isBase64Encoded"] = raw.decode("utf-8"), False
    event["headers"]["content-length"] = str(len(raw))
    event["headers"]["x-atlassian-webhook-identifier"] = identifier
    event["headers"]["x-hub-signature"] = compute_signature(secret, raw)
    return event


def _queued(stack: Stack) -> list[Any]:
    sqs = boto3.client("sqs")
    messages: list[Any] = []
    while batch := sqs.receive_message(
        QueueUrl=stack.ref("SyncQueue"), MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
    return messages


def webhook_path_modules() -> tuple[list[str], list[str]]:
    """The layer modules one warm webhook crosses in the webhook function and in the sync function."""
    with deployed() as stack:
        store_port_credentials(stack)
        secret = webhook_secret(stack)
        with port_emulator().running() as port:
            with as_function(stack, "WebhookFunction") as webhook:
                app = reload_handler("webhook")
                assert app.lambda_handler(_signed(secret, "warm-up", 0), webhook.context)["statusCode"] == 202
                with traced_modules() as receiving:
                    answer = app.lambda_handler(_signed(secret, "traced", 1), webhook.context)
                assert answer["statusCode"] == 202, answer
            warm_up, traced = _queued(stack)
            arn = stack.get_att("SyncQueue", "Arn")
            with as_function(stack, "SyncFunction", {"PORT_API_URL": str(port.url)}) as sync:
                app = reload_handler("sync")
                first = app.lambda_handler(sqs_event([warm_up], queue_arn=arn, region=REGION), sync.context)
                assert first["batchItemFailures"] == []
                with traced_modules() as syncing:
                    result = app.lambda_handler(
                        sqs_event([traced], queue_arn=arn, region=REGION), sync.context
                    )
                assert result["batchItemFailures"] == []
    return sorted(receiving), sorted(syncing)


def test_one_webhook_crosses_few_layer_modules() -> None:
    receiving, syncing = webhook_path_modules()
    crossed = sorted({*receiving, *syncing})
    assert len(crossed) <= MAX_MODULES, f"{len(crossed)} modules: webhook {receiving}, sync {syncing}"
