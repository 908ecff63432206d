"""The live path end to end in-process: real handlers, moto for AWS, the local Port emulator."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws

from jira_port.live.runtime import close_all, sync_processor
from jira_port.settings.live import SyncSettings
from jira_port.transport import RetryPolicy
from jira_port_emulators.port import PortEmulator, PortFaults
from jira_port_tools.serve.sqs_poller import SqsPoller
from tests.integration.live.resources import LiveResources, create_live_resources
from tests.support.aws import collect_logs, use_fake_aws
from tests.support.lambda_env import FakeLambdaContext, reload_handler
from tests.support.port_emulator import client_for, new_emulator

TEST_SECRET = "jira-port-local-test-secret"
JIRA_BASE_URL = "https://acme.atlassian.net"
# Two tries per Port request, millisecond delays: injected faults reach the SQS retry path quickly.
SHORT_POLICY = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.005, max_server_delay=0.005)


@pytest.fixture
def base_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials, no endpoint overrides, the test webhook secret, no inherited config."""
    use_fake_aws(monkeypatch)
    monkeypatch.setenv("WEBHOOK_SECRET", TEST_SECRET)
    monkeypatch.setenv("JIRA_BASE_URL", JIRA_BASE_URL)
    for name in (
        "WEBHOOK_SECRET_ARN",
        "WEBHOOK_TOKEN",
        "WEBHOOK_REQUIRE_SIGNATURE",
        "MAPPING_FILE",
        "MAPPING_SOURCE",
        "MAPPING_REFRESH_SECONDS",
        "MAPPING_SOURCE",
        "MAPPING_REFRESH_SECONDS",
        "MAPPING_CONFIG",
        "MAX_BODY_BYTES",
        "MAX_MESSAGE_BYTES",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws(
    base_env: None, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[LiveResources]:
    """moto with the queue, DLQ, bucket and table; their names in the environment.

    The queue's maxReceiveCount is 3, or ``request.param`` when parametrized indirectly.
    """
    with mock_aws():
        resources = create_live_resources(max_receive_count=getattr(request, "param", 3))
        for name, value in resources.env().items():
            monkeypatch.setenv(name, value)
        yield resources


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch) -> Iterator[PortEmulator]:
    """A running Port emulator with the bundled blueprints, configured in ``PORT_*``."""
    emulator = new_emulator(faults=PortFaults(retry_after=0.0, seed=11))
    with emulator.running() as running:
        monkeypatch.setenv("PORT_API_URL", running.url)
        monkeypatch.setenv("PORT_CLIENT_ID", "local-id")
        monkeypatch.setenv("PORT_CLIENT_SECRET", "local-secret")
        monkeypatch.delenv("PORT_CREDENTIALS_SECRET_ARN", raising=False)
        yield emulator


@pytest.fixture
def webhook(aws: LiveResources) -> ModuleType:
    """The webhook function, cold-started inside moto."""
    return reload_handler("webhook")


@pytest.fixture
def sync(aws: LiveResources, port: PortEmulator) -> Iterator[Any]:
    """The sync function, cold-started inside moto, its Port client with short retry delays."""
    module: Any = reload_handler("sync")
    client = client_for(port, policy=SHORT_POLICY)
    module.live = cache(lambda: sync_processor(SyncSettings.from_env(), client))
    yield module
    close_all()
    client.close()


@dataclass
class Deliver:
    """Call the webhook handler with an event; returns (status, parsed body)."""

    module: ModuleType

    def __call__(self, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = self.module.lambda_handler(event, FakeLambdaContext(function_name="jira-port-webhook"))
        return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def deliver(webhook: ModuleType) -> Deliver:
    return Deliver(webhook)


@pytest.fixture
def poller(aws: LiveResources, sync: ModuleType) -> SqsPoller:
    """Plays the SQS event source mapping for the sync handler (failed messages retried at once)."""
    return SqsPoller(aws.sqs, aws.queue_url, sync.lambda_handler, visibility_timeout=30)


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    """Every record the jira-port logger emits during the test."""
    with collect_logs() as records:
        yield records
