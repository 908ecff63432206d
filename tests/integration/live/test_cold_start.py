"""Cold start: each function imports only its own core, builds it in the init phase (mapping compiled,
clients made), and makes the S3 client only when a body is too big for SQS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from jira_port_emulators.port import PortEmulator
from tests.integration.live.conftest import Deliver
from tests.integration.live.resources import LiveResources
from tests.integration.live.webhooks import webhook_event
from tests.support.fixtures import load_fixture
from tests.support.lambda_env import reload_handler

ROOT = Path(__file__).resolve().parents[3]
_IMPORT = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
built = getattr(module, sys.argv[2]).cache_info().currsize == 1
jira_port = sorted(m for m in sys.modules if m.startswith("jira_port"))
print(json.dumps({"built": built, "modules": jira_port, "xray": "aws_xray_sdk" in sys.modules}))
"""
ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jira-port-sync.fifo",
    "PAYLOAD_BUCKET": "jira-port-payloads",
    "STATE_TABLE": "jira-port-state",
    "WEBHOOK_SECRET": "cold-start-secret",
    "JIRA_BASE_URL": "https://acme.atlassian.net",
    "PORT_API_URL": "https://api.getport.io",
    "PORT_CLIENT_ID": "id",
    "PORT_CLIENT_SECRET": "secret",
}
# Modules only the other function needs. The ``jira_port.port`` package and its ``types`` are shared: the
# mapping makes ``Action``s in both functions; the client, its write rules and the apply step are the sync's.
SYNC_ONLY = {
    "jira_port.live.process",
    "jira_port.live.guard",
    "jira_port.port.apply",
    "jira_port.port.client",
    "jira_port.port.writes",
}
WEBHOOK_ONLY = {"jira_port.live.receive", "jira_port.live.auth"}
CORE = {"webhook": "receiver", "sync": "live"}  # the handler's cached builder of its core


def cold_import(function: str, **extra_env: str) -> dict[str, Any]:
    """Import ``functions/<function>/app.py`` in a fresh interpreter; what it built and imported."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")} | ENV | extra_env
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT, str(ROOT / "functions" / function / "app.py"), CORE[function]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("function", "needed", "foreign"),
    [
        ("webhook", {"jira_port.live.receive", "jira_port.mapping"}, SYNC_ONLY),
        ("sync", {"jira_port.live.process", "jira_port.port.client", "jira_port.mapping"}, WEBHOOK_ONLY),
    ],
)
def test_a_cold_start_builds_its_own_core_and_imports_nothing_of_the_other(
    function: str, needed: set[str], foreign: set[str]
) -> None:
    started = cold_import(function)
    assert started["built"], "the core was not built in the init phase"
    modules = set(started["modules"])
    assert needed <= modules
    assert modules & foreign == set()


@pytest.mark.parametrize("function", ["webhook", "sync"])
def test_the_xray_sdk_is_imported_only_when_its_subsegments_are_turned_on(function: str) -> None:
    assert not cold_import(function)["xray"]
    assert not cold_import(function, TRACE_SDK_CALLS="false")["xray"]
    traced = cold_import(function, TRACE_SDK_CALLS="true")
    assert traced["xray"] and traced["built"]


@pytest.fixture
def clients_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Service names of every boto3 client made from a session."""
    made: list[str] = []
    original = boto3.session.Session.client

    def client(self: boto3.session.Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(service_name)
        return original(self, service_name, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return made


def test_the_webhook_makes_its_s3_client_for_the_first_oversized_body_only(
    aws: LiveResources, monkeypatch: pytest.MonkeyPatch, clients_made: list[str]
) -> None:
    # Given a cold-started webhook function with a bucket for bodies above 10 KB
    monkeypatch.setenv("MAX_MESSAGE_BYTES", "10240")
    deliver = Deliver(reload_handler("webhook"))
    # Then its init made the SQS client, not the S3 one, also while small bodies arrive
    assert clients_made == ["sqs"]
    small = load_fixture("jira-webhooks/webhook-issue-updated-labels.json")
    assert deliver(webhook_event(small, identifier="small"))[0] == 202
    assert clients_made == ["sqs"]
    # When bodies too big for SQS arrive, the first one makes the S3 client, once
    big = load_fixture("jira-webhooks/webhook-cloud-issue-created-many-fields.json")
    assert deliver(webhook_event(big, identifier="big-1"))[0] == 202
    assert deliver(webhook_event(big, identifier="big-2"))[0] == 202
    assert clients_made == ["sqs", "s3"]
    assert [("s3" in q) for q in aws.queued()] == [False, True, True]


def test_the_sync_function_makes_no_s3_client_at_init(
    aws: LiveResources, port: PortEmulator, clients_made: list[str]
) -> None:
    module: Any = reload_handler("sync")
    assert module.live.cache_info().currsize == 1
    assert clients_made == ["dynamodb"]
