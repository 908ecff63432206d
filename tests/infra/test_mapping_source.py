"""MappingSource in the template: the parameter, the MAPPING_SOURCE variable, and the grants it adds.

An s3:// source adds s3:GetObject on that one object to each function; a port: source gives the webhook
function the Port settings and secret; anything else adds nothing. The handlers run on moto with the
template environment, their AWS calls recorded and checked against the translated policies.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from jira_port.live.auth import compute_signature
from jira_port.mapping import bundled_mapping_text
from tests.infra.contract import FUNCTION_SETTINGS
from tests.infra.deployment import denied, deployed, port_emulator, store_port_credentials, webhook_secret
from tests.infra.iam import Request, is_allowed
from tests.infra.lambda_run import Invocation, as_function
from tests.infra.stack import Stack
from tests.support.events import load_event
from tests.support.lambda_env import reload_handler
from tests.support.port_emulator import jira_mapper

BUCKET, KEY = "acme-jira-port-mappings", "team/mapping.yaml"
S3_SOURCE = f"s3://{BUCKET}/{KEY}"
OBJECT_ARN = f"arn:aws:s3:::{BUCKET}/{KEY}"
FUNCTIONS = ("WebhookFunction", "SyncFunction", "BackfillFunction")


def _read_grants(stack: Stack, function_id: str) -> list[dict[str, Any]]:
    return [s for s in stack.policy_statements(function_id) if s.get("Sid") == "ReadMappingObject"]


def _signed_delivery(stack: Stack) -> dict[str, Any]:
    event = load_event("webhook-issue-updated")
    raw = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else event["body"].encode()
    event["headers"]["x-hub-signature"] = compute_signature(webhook_secret(stack), raw)
    return event


def test_the_parameter_reaches_every_function_and_a_named_source_adds_no_grant() -> None:
    stack = Stack({"MappingSource": "team.yaml", "MappingRefreshSeconds": "30"})
    for function_id in FUNCTIONS:
        env = stack.function_env(function_id)
        assert (env["MAPPING_SOURCE"], env["MAPPING_REFRESH_SECONDS"]) == ("team.yaml", "30")
        assert "MAPPING_FILE" not in env
        assert _read_grants(stack, function_id) == []
    assert "PORT_API_URL" not in stack.function_env("WebhookFunction")
    assert Stack().function_env("SyncFunction")["MAPPING_SOURCE"] == "default"


def test_an_s3_source_grants_get_object_on_that_object_only() -> None:
    stack = Stack({"MappingSource": S3_SOURCE})
    for function_id in FUNCTIONS:
        (grant,) = _read_grants(stack, function_id)
        assert (grant["Action"], grant["Resource"]) == ("s3:GetObject", OBJECT_ARN)
        statements = stack.policy_statements(function_id)
        assert is_allowed(statements, Request("s3:GetObject", OBJECT_ARN))
        assert not is_allowed(statements, Request("s3:GetObject", f"arn:aws:s3:::{BUCKET}/team/other.yaml"))
        assert not is_allowed(statements, Request("s3:PutObject", OBJECT_ARN))
    assert "PORT_API_URL" not in stack.function_env("WebhookFunction")


@pytest.fixture
def s3_run() -> Iterator[tuple[Stack, Invocation, int]]:
    """The webhook function cold-started with the mapping in S3, answering one signed delivery."""
    with deployed({"MappingSource": S3_SOURCE}) as stack:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=bundled_mapping_text("default").encode())
        with as_function(stack, "WebhookFunction") as run:
            app = reload_handler("webhook")
            status = app.lambda_handler(_signed_delivery(stack), run.context)["statusCode"]
        yield stack, run, status


def test_the_webhook_reads_the_s3_mapping_with_its_own_role(s3_run: tuple[Stack, Invocation, int]) -> None:
    stack, run, status = s3_run
    assert status == 202
    reads = [c for c in run.calls if (c.service, c.operation) == ("s3", "GetObject")]
    assert [r.resource for c in reads for r in c.requests()] == [OBJECT_ARN]
    refused = denied(stack, run)
    assert not refused, "\n".join(refused)


def test_a_port_source_gives_the_webhook_the_port_settings_and_secret() -> None:
    with deployed({"MappingSource": "port:jira_mapper"}) as stack:
        env = stack.function_env("WebhookFunction")
        assert env["PORT_API_URL"] == "https://api.port.io"
        secret_arn = env["PORT_CREDENTIALS_SECRET_ARN"]
        assert _read_grants(stack, "WebhookFunction") == []
        store_port_credentials(stack)
        emulator = port_emulator()
        emulator.add_webhook(jira_mapper())
        with (
            emulator.running() as port,
            as_function(stack, "WebhookFunction", {"PORT_API_URL": port.url}) as run,
        ):
            app = reload_handler("webhook")
            status = app.lambda_handler(_signed_delivery(stack), run.context)["statusCode"]
        assert status == 202
        assert any(r.path == "/v1/webhooks/jira_mapper" for r in emulator.requests)
        used = {str(r) for c in run.calls for r in c.requests()}
        assert f"secretsmanager:GetSecretValue on {secret_arn}" in used
        refused = denied(stack, run)
        assert not refused, "\n".join(refused)
        assert run.settings == {*FUNCTION_SETTINGS["WebhookFunction"], "port:PortSettings"}
